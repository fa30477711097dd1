"""Writing a file whole or not at all."""

import os

import pytest

from app.core import files
from app.core.files import atomic_target, write_atomically


def names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_a_file_is_written_whole_and_replaces_the_old_one(tmp_path):
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    assert write_atomically(target, b"<p>new</p>") == 10
    assert target.read_bytes() == b"<p>new</p>"
    assert names(tmp_path) == ["report.html"]


def test_a_private_file_is_readable_by_its_owner_only(tmp_path):
    target = tmp_path / "export.json"
    write_atomically(target, b"{}", mode=0o600)
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_a_failed_write_leaves_the_old_file_and_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")

    def full_disk(*arguments):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == ["report.pdf"]


def test_a_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "report.pdf", b"new")


def test_a_target_written_by_name_is_renamed_only_when_the_writer_succeeds(tmp_path):
    target = tmp_path / "backup.db"
    with atomic_target(target) as partial:
        assert partial.parent == tmp_path and partial.exists()
        partial.write_bytes(b"copy")
    assert target.read_bytes() == b"copy"

    with pytest.raises(RuntimeError), atomic_target(target) as partial:
        partial.write_bytes(b"half")
        raise RuntimeError("the copy failed")
    assert target.read_bytes() == b"copy"
    assert names(tmp_path) == ["backup.db"]
    assert not os.path.exists(partial)

"""Writing files so that a failure never leaves half a file: the one way plantrack writes one.

The content goes to a temporary file beside the target (the same directory, so the same file
system), is flushed to disk, and only then renamed over the target: a reader sees the old file
or the new one, never a part. On any failure the temporary file is removed and the target is
left as it was.
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _create_beside(target: Path, mode: int) -> tuple[int, Path]:
    """A new, empty temporary file in the target's directory: (open descriptor, path)."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            return os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode), temporary
        except FileExistsError:
            continue


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX; elsewhere the rename is all there is)."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _put_in_place(temporary: Path, target: Path) -> None:
    descriptor = os.open(temporary, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, target)
    _sync_directory(target.parent)


@contextmanager
def atomic_target(path: Path | str, *, mode: int = 0o666) -> Iterator[Path]:
    """A temporary file beside ``path`` for a writer that needs a file name of its own (SQLite's
    backup API): when the block ends without an error it is synced and renamed to ``path``;
    on any error it is removed and the error raised again. ``mode`` is narrowed by the umask.
    """
    target = Path(path)
    descriptor, temporary = _create_beside(target, mode)
    os.close(descriptor)
    try:
        yield temporary
        _put_in_place(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: Path | str, content: bytes, *, mode: int = 0o666) -> int:
    """Write ``content`` to ``path`` whole or not at all; returns its size in bytes. Raises
    OSError when it cannot. ``mode`` is narrowed by the umask: give 0o600 for a file only its
    owner may read."""
    target = Path(path)
    descriptor, temporary = _create_beside(target, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)
    return len(content)

"""Export, restore and backup: every row out and back exactly, and a live SQLite copy."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from app.core.db import make_engine
from app.core.models import (
    Action,
    ApiToken,
    ApiTokenPlan,
    AuditEvent,
    Indicator,
    Meeting,
    Organisation,
    Plan,
    PublishedFile,
    PublishedReport,
    Reminder,
    StatusUpdate,
    User,
    UserBoard,
)
from app.domain.backup import (
    FORMAT,
    NOT_EXPORTED,
    BackupError,
    backup_sqlite,
    export_all,
    exported_tables,
    import_backup,
    non_empty_tables,
)
from app.domain.seed import load_seed
from tests.conftest import migrate, temporary_database


def all_rows(connection) -> dict[str, list[dict]]:
    return {
        table.name: [
            dict(row)
            for row in connection.execute(
                select(table).order_by(*table.primary_key.columns)
            ).mappings()
        ]
        for table in exported_tables()
    }


def add_rows_the_demo_lacks(session: Session) -> None:
    """Rows for the tables the demo leaves empty, so the round trip covers every table."""
    plan = session.exec(select(Plan).where(Plan.slug == "reduced-offending-2018-21")).scalar_one()
    meeting = session.exec(select(Meeting).order_by(Meeting.id)).scalars().first()
    user = session.exec(select(User).order_by(User.id)).scalars().first()
    moment = datetime(2019, 4, 23, 9, 30, 15, 123456, tzinfo=UTC)
    report = PublishedReport(
        plan_id=plan.id,
        meeting_id=meeting.id,
        kind="appendix",
        title="Appendix: April 2019",
        as_at=date(2019, 4, 1),
        published_at=moment,
        published_by_id=user.id,
        model_json=json.dumps({"headline": "Of the 11 actions…", "rows": [1, 2.5, None]}),
    )
    session.add(report)
    session.flush()
    session.add(
        PublishedFile(
            report_id=report.id,
            format="pdf",
            media_type="application/pdf",
            sha256="0" * 64,
            content=bytes(range(256)) + b"%PDF-1.7\n\0",
        )
    )
    session.add(
        Reminder(
            meeting_id=meeting.id, user_id=user.id, email=user.email, sent_at=moment, action_count=3
        )
    )
    # API tokens are kept (only their hashes exist): a restored plantrack's feeds keep working.
    token = ApiToken(
        name="power-bi",
        token_hash="f" * 64,
        prefix="pt_abcd",
        service="Power BI",
        scope="read",
        expires_at=datetime(2020, 4, 23, tzinfo=UTC),
        created_by_id=user.id,
        created_at=moment,
    )
    session.add(token)
    session.flush()
    session.add(ApiTokenPlan(token_id=token.id, plan_id=plan.id))
    # Access scoped by board: a viewer limited to the plan's board.
    viewer = session.exec(select(User).where(User.role == "viewer")).scalars().first()
    session.add(UserBoard(user_id=viewer.id, board_id=plan.board_id))
    session.add(
        AuditEvent(
            occurred_at=moment,
            user_id=user.id,
            actor=user.email,
            verb="update",
            entity_type="action",
            entity_id=1,
            summary="Changed “title”",
            before_json='{"a": 1}',
            after_json=None,
        )
    )
    old = session.exec(select(Indicator).order_by(Indicator.id)).scalars().first()
    session.add(
        Indicator(
            key=old.key,
            version=old.version + 1,
            title=old.title + " (revised)",
            unit=old.unit,
            data_source=old.data_source,
            supersedes_id=old.id,
            valid_from=date(2020, 4, 1),
            baseline_value=0.1 + 0.2,
        )
    )
    session.flush()


def test_every_table_is_exported_or_deliberately_left_out():
    names = {table.name for table in SQLModel.metadata.sorted_tables}
    assert names == {table.name for table in exported_tables()} | set(NOT_EXPORTED)
    assert set(NOT_EXPORTED) == {"auth_session", "sign_in_attempt", "data_version", "report_job"}


def test_export_and_restore_round_trip_every_row_exactly(session, backend, tmp_path_factory):
    add_rows_the_demo_lacks(session)
    source = session.connection()
    data = json.loads(json.dumps(export_all(source, include_password_hashes=True)))
    assert data["format"] == FORMAT and data["format_version"] == 1
    expected = all_rows(source)
    assert all(expected[name] for name in expected), "every table should hold rows"

    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        restored = make_engine(url)
        try:
            counts = import_backup(restored, data)
            assert counts == {name: len(rows) for name, rows in expected.items()}
            with restored.connect() as connection:
                assert all_rows(connection) == expected
            # Ids continue after the restored ones (PostgreSQL sequences were moved on).
            with Session(restored) as fresh:
                organisation = Organisation(short_name="NEW", name="A new organisation")
                fresh.add(organisation)
                fresh.commit()
                largest = max(row["id"] for row in expected["organisation"])
                assert organisation.id == largest + 1
        finally:
            restored.dispose()


def test_password_hashes_are_left_out_unless_asked_for(session):
    data = export_all(session.connection())
    assert data["includes_password_hashes"] is False
    assert {row["password_hash"] for row in data["tables"]["user"]} == {""}
    with_hashes = export_all(session.connection(), include_password_hashes=True)
    assert all(row["password_hash"].startswith("$argon2") for row in with_hashes["tables"]["user"])


def test_restoring_into_a_database_that_is_not_empty_is_refused(session, engine):
    data = export_all(session.connection())
    session.close()
    with pytest.raises(BackupError) as refused:
        import_backup(engine, data)
    assert str(refused.value).startswith("the database is not empty (board (5 rows), ")
    assert "a backup is restored only into a new database made with `plantrack db upgrade`" in (
        str(refused.value)
    )


def test_a_restore_that_fails_part_way_writes_nothing(session, backend, tmp_path_factory):
    data = json.loads(json.dumps(export_all(session.connection()), default=str))
    # The last table written refers to an action that does not exist.
    data["tables"]["status_update"][-1]["action_id"] = 999_999
    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        restored = make_engine(url)
        try:
            with pytest.raises(BackupError, match="the backup could not be restored, nothing was"):
                import_backup(restored, data)
            with restored.connect() as connection:
                assert non_empty_tables(connection) == {}
        finally:
            restored.dispose()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(format="something-else"), "this is not a plantrack backup"),
        (lambda d: d.update(format_version=99), "backup format version 99 is not one"),
        (
            lambda d: d["tables"].update(spreadsheet=[]),
            "the backup holds table 'spreadsheet', which this database does not have",
        ),
        (
            lambda d: d["tables"]["plan"][0].update(colour="red"),
            "table plan, row 1: unknown column 'colour'",
        ),
        (
            lambda d: d["tables"]["plan"][0].update(period_start="31/03/2018"),
            "table plan, row 1, period_start: '31/03/2018' is not a date",
        ),
        (
            lambda d: d.update(schema_revision="0000"),
            "the backup was made at schema revision 0000 but this database is at",
        ),
    ],
    ids=["format", "version", "unknown table", "unknown column", "bad date", "other revision"],
)
def test_a_backup_that_cannot_be_read_is_refused_before_anything_is_written(
    session, engine, change, message
):
    data = json.loads(json.dumps(export_all(session.connection())))
    session.close()
    change(data)
    with pytest.raises(BackupError, match=message):
        import_backup(engine, data)


# --- SQLite online backup -----------------------------------------------------------------------


@pytest.fixture
def live_sqlite(tmp_path_factory):
    """A demo database of its own (not the shared one), so other threads may commit to it."""
    with temporary_database("sqlite", tmp_path_factory) as url:
        migrate(url)
        engine = make_engine(url)
        with Session(engine) as session:
            load_seed(session)
            session.commit()
        yield engine
        engine.dispose()


UPDATES_PER_TRANSACTION = 3


def test_a_backup_taken_while_updates_are_written_is_consistent(live_sqlite, tmp_path):
    database = Path(make_url(live_sqlite.url).database)
    with Session(live_sqlite) as session:
        action = session.exec(select(Action).order_by(Action.id)).scalars().first()
        action_id, seeded_version = action.id, action.version
        seeded = len(
            session.exec(select(StatusUpdate).where(StatusUpdate.action_id == action_id)).all()
        )
    assert seeded_version == 1 + seeded
    committed = [0]
    stop = threading.Event()
    failures: list[BaseException] = []

    def write_updates() -> None:
        try:
            while not stop.is_set():
                with Session(live_sqlite) as session:
                    action = session.get(Action, action_id)
                    for _ in range(UPDATES_PER_TRANSACTION):
                        session.add(
                            StatusUpdate(
                                action_id=action_id,
                                recorded_at=datetime.now(UTC),
                                effective_on=date(2019, 1, 1),
                                stage="in_progress",
                                rag="green",
                            )
                        )
                        action.version += 1
                    session.commit()
                committed[0] += 1
        except BaseException as error:  # surfaced in the test thread below
            failures.append(error)

    writer = threading.Thread(target=write_updates)
    writer.start()
    copies = []
    try:
        while committed[0] < 5:
            stop.wait(0.01)
        for n in range(8):
            before = committed[0]
            target = tmp_path / f"copy-{n}.db"
            backup_sqlite(database, target)
            copies.append((target, before, committed[0]))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, failures
    assert copies[-1][2] > copies[0][1], "the writer should have kept committing"

    counts = []
    for target, before, after in copies:
        with sqlite3.connect(target) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            updates = copy.execute(
                "SELECT count(*) FROM status_update WHERE action_id = ?", (action_id,)
            ).fetchone()[0]
            (version,) = copy.execute(
                "SELECT version FROM action WHERE id = ?", (action_id,)
            ).fetchone()
        # Each transaction's updates and its version bump are in the copy together or not at all.
        assert version == 1 + updates
        transactions, remainder = divmod(updates - seeded, UPDATES_PER_TRANSACTION)
        assert remainder == 0
        assert before <= transactions <= after + 1
        counts.append(updates)
    assert counts == sorted(counts)
    assert not [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")]


def test_a_backup_that_fails_leaves_the_previous_copy_and_no_partial_file(tmp_path):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_bytes(b"these are not the pages of a SQLite database" * 100)
    target = tmp_path / "backup.db"
    target.write_bytes(b"yesterday's backup")
    with pytest.raises(BackupError, match="backup failed: file is not a database"):
        backup_sqlite(not_a_database, target)
    assert target.read_bytes() == b"yesterday's backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup.db", "notes.db"]


def test_a_backup_never_overwrites_the_database_itself(live_sqlite):
    database = Path(make_url(live_sqlite.url).database)
    with pytest.raises(BackupError, match="cannot overwrite the database itself"):
        backup_sqlite(database, database)
    with pytest.raises(BackupError, match="no SQLite database at"):
        backup_sqlite(database.with_name("missing.db"), database.with_name("copy.db"))


# --- The commands -------------------------------------------------------------------------------


def plantrack(url: str, *arguments: str) -> subprocess.CompletedProcess:
    environment = os.environ | {"PLANTRACK_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_the_commands_export_and_restore_the_demo(engine, backend, tmp_path, tmp_path_factory):
    source_url = engine.url.render_as_string(hide_password=False)
    exported = tmp_path / "plantrack.json"
    result = plantrack(source_url, "export", "--all", "-o", str(exported))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Exported ")
    assert oct(exported.stat().st_mode & 0o777) == "0o600"
    data = json.loads(exported.read_text())
    assert {row["password_hash"] for row in data["tables"]["user"]} == {""}

    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        result = plantrack(url, "import-backup", str(exported))
        assert result.returncode == 0, result.stderr
        again = tmp_path / "again.json"
        assert plantrack(url, "export", "--all", "-o", str(again)).returncode == 0
        assert json.loads(again.read_text())["tables"] == data["tables"]

        result = plantrack(url, "import-backup", str(exported))
        assert result.returncode == 2
        assert result.stderr.startswith("Error: the database is not empty")


def test_an_export_that_cannot_be_written_gets_a_one_line_error(engine, tmp_path):
    target = tmp_path / "no-such-folder" / "plantrack.json"
    result = plantrack(
        engine.url.render_as_string(hide_password=False), "export", "--all", "-o", str(target)
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: could not write {target}: No such file or directory\n"
    assert not target.parent.exists()


def test_export_needs_all(engine, tmp_path):
    result = plantrack(
        engine.url.render_as_string(hide_password=False), "export", "-o", str(tmp_path / "x.json")
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: give --all: a whole-database export is the only kind so far"
    )


def test_the_backup_command_copies_sqlite_and_points_postgresql_at_pg_dump(live_sqlite, tmp_path):
    target = tmp_path / "backup.db"
    result = plantrack(
        live_sqlite.url.render_as_string(hide_password=False), "backup", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert "integrity check ok" in result.stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM plan").fetchone() == (5,)  # the five demo plans

    result = plantrack(
        "postgresql+psycopg://plantrack@db.example/plantrack", "backup", "-o", str(tmp_path / "x")
    )
    assert result.returncode == 2
    assert "back up PostgreSQL with pg_dump" in result.stderr
    assert "pg_restore" in result.stderr

"""`plantrack db downgrade` asks before it drops data, and on SQLite backs it up first."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, date, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.db import make_engine
from app.core.migrations import alembic_config
from app.core.models import AuditEvent, PublishedReport, User
from tests.conftest import migrate, temporary_database
from tests.factories import make_action, make_plan, make_theme, make_update

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def database(backend, tmp_path_factory):
    """A migrated, empty database of the test's own: a downgrade really drops its tables."""
    with temporary_database(backend, tmp_path_factory) as url:
        migrate(url)
        yield url


def plantrack(url: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *arguments],
        capture_output=True,
        text=True,
        env=os.environ | {"PLANTRACK_DATABASE_URL": url},
        timeout=120,
    )


def add_row(url: str, table: str) -> None:
    """One row in ``table`` (and the rows it needs)."""
    engine = make_engine(url)
    with Session(engine) as session:
        if table == "user":
            session.add(User(email="lead@plantrack.example", display_name="Lead", created_at=now()))
        elif table == "audit_event":
            session.add(AuditEvent(occurred_at=now(), actor="office", verb="x", entity_type="y"))
        else:
            plan = make_plan(session)
            if table == "status_update":
                make_update(session, make_action(session, plan, make_theme(session, plan)))
            elif table == "published_report":
                session.add(
                    PublishedReport(
                        plan_id=plan.id,
                        kind="appendix",
                        title="Progress Tracking appendix",
                        as_at=date(2021, 3, 31),
                        published_at=now(),
                        model_json="{}",
                    )
                )
        session.commit()
    engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)


def state(url: str) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the number of rows in every table."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
            counts = {
                name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in tables - {"alembic_version"}
            }
    finally:
        engine.dispose()
    return revision, counts


def test_an_empty_database_is_downgraded_without_a_question(database):
    result = plantrack(database, "db", "downgrade", "base")
    assert result.returncode == 0, result.stderr
    assert "Backed up" not in result.stdout
    assert state(database) == (None, {})


@pytest.mark.parametrize(
    "table", ["plan", "status_update", "audit_event", "published_report", "user"]
)
def test_a_database_that_holds_data_is_not_downgraded_without_yes(database, table):
    add_row(database, table)
    before = state(database)
    assert before[0] == HEAD and before[1][table] == 1

    result = plantrack(database, "db", "downgrade", "base")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: the database holds data (")
    assert f"{table} (1 rows)" in result.stderr
    assert "--yes" in result.stderr
    assert state(database) == before
    if make_url(database).get_backend_name() == "sqlite":
        directory = make_url(database).database.rsplit("/", 1)[0]
        assert not [name for name in os.listdir(directory) if "before-downgrade" in name]


def test_one_step_down_also_asks(database):
    add_row(database, "audit_event")
    before = state(database)
    result = plantrack(database, "db", "downgrade", "-1")
    assert result.returncode == 2
    assert state(database) == before


def test_with_yes_it_is_downgraded_after_a_backup_on_sqlite(database):
    add_row(database, "status_update")
    before = state(database)

    result = plantrack(database, "db", "downgrade", "base", "--yes")

    assert result.returncode == 0, result.stderr
    assert state(database) == (None, {})
    if make_url(database).get_backend_name() != "sqlite":
        assert "Backed up" not in result.stdout
        return
    line = result.stdout.splitlines()[0]
    assert line.startswith("Backed up the database to ") and line.endswith(" before downgrading.")
    backup = line.removeprefix("Backed up the database to ").removesuffix(" before downgrading.")
    database_file = make_url(database).database
    assert os.path.dirname(backup) == os.path.dirname(database_file)
    assert os.path.basename(backup).startswith("plantrack-test-before-downgrade-20")
    assert state(f"sqlite:///{backup}") == before
    with closing(sqlite3.connect(backup)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_with_yes_a_downgrade_keeps_what_the_older_schema_holds(database):
    add_row(database, "status_update")
    _, counts = state(database)

    result = plantrack(database, "db", "downgrade", "0002", "--yes")

    assert result.returncode == 0, result.stderr
    # The tables later revisions add (API tokens, board scopes, report jobs) are empty here, and go.
    added_later = {"api_token", "api_token_plan", "user_board", "report_job"}
    assert all(counts[name] == 0 for name in added_later)
    # The data versions go too: they only key caches, and start again (read as 0).
    assert counts["data_version"] > 0
    older = {n: c for n, c in counts.items() if n not in added_later | {"data_version"}}
    assert state(database) == ("0002", older)
    assert plantrack(database, "db", "upgrade").returncode == 0
    assert state(database) == (HEAD, counts | {"data_version": 0})

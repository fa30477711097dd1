"""Status updates, audit events and published reports stay as written, whatever SQL is tried.

The rules live in the database (migrations), so these tests speak SQL, not the domain.
"""

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlmodel import Session, SQLModel

from app.core.config import PROJECT_ROOT
from app.core.db import make_engine
from app.core.models import AuditEvent, PublishedFile, PublishedReport, StatusUpdate
from app.domain.seed import load_seed
from tests.conftest import migrate, temporary_database

APPEND_ONLY = ["status_update", "audit_event", "published_report", "published_file"]
REVIEW_COLUMNS = {"review_state", "reviewed_by_id", "reviewed_at", "review_note"}
APP_ROLE_SQL = PROJECT_ROOT / "migrations" / "app_role.sql"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8


def refused():
    return pytest.raises((IntegrityError, DBAPIError), match="append-only")


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def first_id(session: Session, table: str) -> int:
    return session.execute(text(f'SELECT min(id) FROM "{table}"')).scalar_one()


def admin_id(session: Session) -> int:
    return session.execute(text("""SELECT min(id) FROM "user" WHERE role = 'admin'""")).scalar_one()


def add_update(session: Session, **overrides) -> StatusUpdate:
    values = {
        "action_id": first_id(session, "action"),
        "recorded_at": datetime(2018, 1, 5, 9, 30, tzinfo=UTC),
        "effective_on": date(2018, 1, 5),
        "stage": "in_progress",
        "commentary": "Work has started.",
        "review_state": "submitted",
    }
    update = StatusUpdate(**(values | overrides))
    session.add(update)
    session.flush()
    return update


@pytest.fixture
def rows(session) -> dict[str, int]:
    """One row of each append-only table (inserting is what they allow), by table."""
    report = PublishedReport(
        plan_id=first_id(session, "plan"),
        meeting_id=first_id(session, "meeting"),
        kind="appendix",
        title="Progress Tracking appendix",
        as_at=date(2018, 3, 31),
        published_at=datetime(2018, 4, 2, 10, tzinfo=UTC),
        model_json="{}",
    )
    event = AuditEvent(
        occurred_at=datetime.now(UTC), actor="test", verb="create", entity_type="plan", summary="s"
    )
    session.add_all([report, event])
    session.flush()
    stored = PublishedFile(
        report_id=report.id, format="pdf", media_type="application/pdf", sha256="0", content=PDF
    )
    session.add(stored)
    session.flush()
    return {
        "status_update": add_update(session).id,
        "audit_event": event.id,
        "published_report": report.id,
        "published_file": stored.id,
    }


# --- An insert may not replace a row ------------------------------------------------------------

# The column each attempt rewrites, and what it writes (a published PDF once became 4 bytes).
REWRITES = {
    "status_update": ("commentary", "rewritten"),
    "audit_event": ("summary", "rewritten"),
    "published_report": ("title", "rewritten"),
    "published_file": ("content", b"%PDF"),
}


def columns(table: str) -> list[str]:
    return [column.name for column in SQLModel.metadata.tables[table].columns]


def rewrite_statement(session: Session, table: str, conflict: list[str], *, new_id: bool) -> str:
    """Insert a copy of row :id with one column rewritten, over the row it collides with: SQLite's
    REPLACE deletes that row first; PostgreSQL's ON CONFLICT DO UPDATE updates it."""
    column, _ = REWRITES[table]
    names = [name for name in columns(table) if not (new_id and name == "id")]
    target = ", ".join(f'"{name}"' for name in names)
    chosen = ", ".join(":value" if name == column else f'"{name}"' for name in names)
    copy = f'SELECT {chosen} FROM "{table}" WHERE id = :id'
    if dialect(session) == "sqlite":
        return f'REPLACE INTO "{table}" ({target}) {copy}'
    return (
        f'INSERT INTO "{table}" ({target}) {copy} '
        f'ON CONFLICT ({", ".join(conflict)}) DO UPDATE SET "{column}" = EXCLUDED."{column}"'
    )


def value_of(session: Session, table: str, row_id: int):
    column, _ = REWRITES[table]
    value = session.execute(
        text(f'SELECT "{column}" FROM "{table}" WHERE id = :id'), {"id": row_id}
    ).scalar_one()
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_an_insert_over_an_existing_id_is_refused(session, rows, table):
    before = value_of(session, table, rows[table])
    statement = rewrite_statement(session, table, ["id"], new_id=False)
    with refused():
        with session.begin_nested():
            session.execute(text(statement), {"id": rows[table], "value": REWRITES[table][1]})
    assert value_of(session, table, rows[table]) == before
    assert session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() >= 1


@pytest.mark.parametrize(
    "table, unique_key",
    [
        ("published_report", ["plan_id", "meeting_id", "kind"]),
        ("published_file", ["report_id", "format"]),
    ],
)
def test_an_insert_over_another_unique_key_is_refused(session, rows, table, unique_key):
    before = value_of(session, table, rows[table])
    statement = rewrite_statement(session, table, unique_key, new_id=True)
    with refused():
        with session.begin_nested():
            session.execute(text(statement), {"id": rows[table], "value": REWRITES[table][1]})
    assert value_of(session, table, rows[table]) == before


def test_new_rows_are_still_inserted(session, rows):
    assert set(rows) == set(APPEND_ONLY)
    assert value_of(session, "published_file", rows["published_file"]) == PDF


# --- No table is emptied ------------------------------------------------------------------------


@pytest.mark.parametrize("table", [*APPEND_ONLY, "plan"])
def test_an_append_only_table_cannot_be_emptied(session, rows, table):
    """TRUNCATE on PostgreSQL (CASCADE from plan reaches status updates and published reports);
    on SQLite, which has no TRUNCATE, DELETE without WHERE (its "truncate optimisation")."""
    if dialect(session) == "sqlite" and table == "plan":
        # SQLite has no TRUNCATE ... CASCADE: emptying the plan table is refused by the keys
        # that hold actions, and through them status updates, to their plan.
        counts = {
            t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in rows
        }
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            with session.begin_nested():
                session.execute(text('DELETE FROM "plan"'))
        for name, count in counts.items():
            assert session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() == count
        return
    counts = {t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in rows}
    if dialect(session) == "sqlite":
        statement = f'DELETE FROM "{table}"'
    else:
        statement = f'TRUNCATE "{table}" CASCADE'
    with refused():
        with session.begin_nested():
            session.execute(text(statement))
    for name, count in counts.items():
        assert session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() == count


# --- A status update is reviewed once: submitted -> approved or returned -------------------------

STATES = ["submitted", "approved", "returned"]


@pytest.mark.parametrize("new", STATES)
@pytest.mark.parametrize("old", STATES)
def test_the_review_state_moves_only_from_submitted_to_approved_or_returned(session, old, new):
    update_id = add_update(session, review_state=old).id
    review = text(
        "UPDATE status_update SET review_state = :new, reviewed_by_id = :admin, "
        "reviewed_at = :now, review_note = 'Checked at the board' WHERE id = :id"
    )
    values = {"new": new, "admin": admin_id(session), "now": datetime.now(UTC), "id": update_id}
    if old == "submitted" and new in ("approved", "returned"):
        session.execute(review, values)
    else:
        with refused():
            with session.begin_nested():
                session.execute(review, values)
    state, note = session.execute(
        text("SELECT review_state, review_note FROM status_update WHERE id = :id"),
        {"id": update_id},
    ).one()
    if old == "submitted" and new in ("approved", "returned"):
        assert (state, note) == (new, "Checked at the board")
    else:
        assert (state, note) == (old, "")


def test_an_approved_update_cannot_be_returned_later(session):
    update_id = add_update(session).id
    approve = "UPDATE status_update SET review_state = :state WHERE id = :id"
    session.execute(text(approve), {"state": "approved", "id": update_id})
    with refused():
        with session.begin_nested():
            session.execute(text(approve), {"state": "returned", "id": update_id})


def changed_values(session: Session, update: StatusUpdate) -> dict:
    """A different, valid value for every column that a review leaves alone."""
    other_action = session.execute(
        text("SELECT min(id) FROM action WHERE id <> :id"), {"id": update.action_id}
    ).scalar_one()
    return {
        "id": update.id + 1_000_000,
        "action_id": other_action,
        "recorded_by_id": admin_id(session),
        "recorded_at": datetime(2018, 1, 6, 9, 30, tzinfo=UTC),
        "effective_on": date(2018, 1, 4),
        "stage": "not_started",
        "rag": "amber",
        "commentary": "Rewritten while approving.",
        "corrective_action": "Rewritten while approving.",
        "next_steps": "Rewritten while approving.",
    }


def test_every_column_but_the_review_ones_is_covered(session):
    update = add_update(session)
    assert set(changed_values(session, update)) == set(columns("status_update")) - REVIEW_COLUMNS


@pytest.mark.parametrize("column", sorted(set(columns("status_update")) - REVIEW_COLUMNS))
def test_a_review_cannot_change_anything_else(session, column):
    update = add_update(session)
    value = changed_values(session, update)[column]
    with refused():
        with session.begin_nested():
            session.execute(
                text(
                    f"UPDATE status_update SET review_state = 'approved', {column} = :value "
                    "WHERE id = :id"
                ),
                {"value": value, "id": update.id},
            )
    assert (
        session.execute(
            text("SELECT review_state FROM status_update WHERE id = :id"), {"id": update.id}
        ).scalar_one()
        == "submitted"
    )


# --- PostgreSQL: the app connects as a role that owns nothing -----------------------------------


def app_role_sql(role: str) -> str:
    """migrations/app_role.sql, the file the README gives, for a role of the test's own."""
    return re.sub(r"\bplantrack_app\b", role, APP_ROLE_SQL.read_text())


def run_script(engine: Engine, script: str) -> None:
    # psycopg runs several statements in one call when it is given no parameters.
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute(script)
        raw.commit()
    finally:
        raw.close()


@pytest.fixture(scope="module")
def postgres_database(tmp_path_factory):
    """A PostgreSQL database of the module's own, migrated and seeded: roles are PostgreSQL's
    alone, so these tests run once, on it (CI always has the server)."""
    with temporary_database("postgresql", tmp_path_factory) as url:
        migrate(url)
        owner = make_engine(url)
        with Session(owner) as session:
            load_seed(session)
            session.commit()
        yield url, owner
        owner.dispose()


@pytest.fixture
def app_role(postgres_database):
    """A role made by migrations/app_role.sql in a database of the module's own; dropped after."""
    url, owner = postgres_database
    role = f"plantrack_app_test_{uuid.uuid4().hex[:10]}"
    run_script(owner, app_role_sql(role))
    engine = make_engine(make_url(url).set(username=role).render_as_string(hide_password=False))
    try:
        yield role, owner, engine
    finally:
        engine.dispose()
        run_script(owner, f'DROP OWNED BY "{role}"; DROP ROLE "{role}";')


def test_the_app_role_reads_adds_and_reviews_updates(app_role):
    role, _owner, engine = app_role
    with engine.begin() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() == role
        assert connection.execute(text("SELECT count(*) FROM plan")).scalar_one() > 0
        action_id = connection.execute(text("SELECT min(id) FROM action")).scalar_one()
        update_id = connection.execute(
            text(
                "INSERT INTO status_update (action_id, recorded_at, effective_on, stage, "
                "commentary, corrective_action, review_state, review_note) VALUES (:action, :now, "
                ":day, 'in_progress', 'As the app.', '', 'submitted', '') RETURNING id"
            ),
            {"action": action_id, "now": datetime.now(UTC), "day": date(2018, 1, 5)},
        ).scalar_one()
        connection.execute(
            text(
                "UPDATE status_update SET review_state = 'approved', reviewed_at = :now "
                "WHERE id = :id"
            ),
            {"now": datetime.now(UTC), "id": update_id},
        )
        connection.execute(
            text(
                "INSERT INTO audit_event (occurred_at, actor, verb, entity_type, summary) "
                "VALUES (:now, 'app', 'approve_update', 'status_update', 'as the app')"
            ),
            {"now": datetime.now(UTC)},
        )
        connection.execute(text("DELETE FROM auth_session WHERE id = -1"))


@pytest.mark.parametrize(
    "statement, message",
    [
        ("ALTER TABLE status_update DISABLE TRIGGER ALL", "must be owner"),
        ("TRUNCATE audit_event", "permission denied"),
        ("TRUNCATE status_update CASCADE", "permission denied"),
        ("UPDATE audit_event SET summary = 'changed'", "permission denied"),
        ("UPDATE status_update SET commentary = 'changed'", "permission denied"),
        ("UPDATE published_file SET content = ''", "permission denied"),
        ("DELETE FROM status_update", "permission denied"),
        ("DELETE FROM published_report", "permission denied"),
        ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
        ("DROP TABLE audit_event", "must be owner"),
        ("CREATE TABLE plantrack_own (id integer)", "permission denied"),
    ],
)
def test_the_app_role_cannot_get_round_the_triggers(app_role, statement, message):
    _role, _owner, engine = app_role
    with engine.connect() as connection:
        with pytest.raises(ProgrammingError, match=message):
            connection.execute(text(statement))


def test_tables_a_later_migration_makes_are_granted_too(app_role):
    role, owner, engine = app_role
    with owner.begin() as connection:
        connection.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO later_table (note) VALUES ('as the app')"))
            assert connection.execute(text("SELECT count(*) FROM later_table")).scalar_one() == 1
    finally:
        with owner.begin() as connection:
            connection.execute(text("DROP TABLE later_table"))


def test_the_app_served_as_the_app_role_signs_in_records_and_exports(app_role):
    """The whole app, as served, connected as the role that owns nothing: a lead signs in (a
    session and a sign-in attempt are written), records an update, and the office exports."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import sign_in

    _role, _owner, engine = app_role
    app = create_app()
    app.state.open_session = lambda: Session(engine, expire_on_commit=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        csrf = sign_in(client, "omrr.lead@plantrack.example")
        path = "/plans/reduced-offending-2018-21/actions/OM1"
        page = client.get(path).text
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        response = client.post(
            f"{path}/updates",
            data={
                "stage": "in_progress",
                "rag": "green",
                "commentary": "Recorded through the least-privileged role.",
                "corrective_action": "",
                "effective_on": "2021-03-31",
                "version": version,
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:500]
        assert "Recorded through the least-privileged role." in client.get(path).text
    with TestClient(app, raise_server_exceptions=False) as office:
        csrf = sign_in(office, "admin")
        exported = office.post("/export", data={"csrf_token": csrf})
        assert exported.status_code == 200
        assert exported.json()["tables"]["plan"]

"""Triggers that keep status updates and audit events append-only in the database.

A status update may only have its review columns set (submitted -> approved or returned);
nothing else about it may change and it may never be deleted. An audit event may never change.
"""

from sqlalchemy import Connection, text

STATUS_UPDATE_FROZEN_COLUMNS = (
    "action_id, recorded_by_id, recorded_at, effective_on, stage, rag, commentary, "
    "corrective_action"
)

SQLITE_CREATE = [
    f"""CREATE TRIGGER status_update_frozen BEFORE UPDATE OF {STATUS_UPDATE_FROZEN_COLUMNS}
        ON status_update BEGIN
        SELECT RAISE(ABORT, 'status updates are append-only: record a new update instead');
        END""",
    """CREATE TRIGGER status_update_no_delete BEFORE DELETE ON status_update BEGIN
        SELECT RAISE(ABORT, 'status updates are append-only: they cannot be deleted');
        END""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
        END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
        END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS status_update_frozen",
    "DROP TRIGGER IF EXISTS status_update_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]

POSTGRES_CREATE = [
    """CREATE FUNCTION plantrack_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$""",
    f"""CREATE TRIGGER status_update_frozen BEFORE UPDATE OF {STATUS_UPDATE_FROZEN_COLUMNS}
        ON status_update FOR EACH ROW EXECUTE FUNCTION plantrack_refuse_change()""",
    """CREATE TRIGGER status_update_no_delete BEFORE DELETE ON status_update
        FOR EACH ROW EXECUTE FUNCTION plantrack_refuse_change()""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION plantrack_refuse_change()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS status_update_frozen ON status_update",
    "DROP TRIGGER IF EXISTS status_update_no_delete ON status_update",
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_event",
    "DROP FUNCTION IF EXISTS plantrack_refuse_change()",
]


def _statements(connection: Connection, *, sqlite: list[str], postgres: list[str]) -> list[str]:
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite
    if name == "postgresql":
        return postgres
    raise RuntimeError(f"plantrack supports SQLite and PostgreSQL, not {name}")


def create_append_only_triggers(connection: Connection) -> None:
    for statement in _statements(connection, sqlite=SQLITE_CREATE, postgres=POSTGRES_CREATE):
        connection.execute(text(statement))


def drop_append_only_triggers(connection: Connection) -> None:
    for statement in _statements(connection, sqlite=SQLITE_DROP, postgres=POSTGRES_DROP):
        connection.execute(text(statement))

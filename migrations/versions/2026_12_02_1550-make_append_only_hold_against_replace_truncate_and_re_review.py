"""Make append-only hold against REPLACE, TRUNCATE and a second review

Status updates, audit events, published reports and their files are append-only, but three
statements still rewrote or emptied them:

- SQLite's ``REPLACE INTO`` (and ``INSERT OR REPLACE``) over an existing row deletes that row
  without firing its delete trigger (unless ``recursive_triggers`` is on) and inserts the new
  one. A BEFORE INSERT trigger now refuses any insert that would collide with an existing row
  on its id or any other unique key, so REPLACE can never delete one. A plain INSERT that
  collides failed before and still fails, with this message instead of the constraint's.
- PostgreSQL's ``TRUNCATE`` (also ``TRUNCATE ... CASCADE`` from a parent table) fires no row
  trigger. A statement-level BEFORE TRUNCATE trigger on each table now refuses it.
- A status update's review columns could be rewritten at will (approved back to returned), and
  its id was not frozen. One BEFORE UPDATE trigger now allows exactly one change: a submitted
  update becomes approved or returned, with its reviewer, time and note; every other column must
  stay as it was. On PostgreSQL "every other column" is computed from the row itself, so a column
  added later is frozen too; on SQLite the columns are listed, and tests/core/test_append_only.py
  tries to change each column of the model.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 15:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("status_update", "audit_event", "published_report", "published_file")

# The unique keys of each table, beside its id: a REPLACE that collides on any of them would
# delete the row it collides with. NULL never equals NULL, as in a UNIQUE constraint.
SQLITE_COLLISIONS = {
    "status_update": "id = NEW.id",
    "audit_event": "id = NEW.id",
    "published_report": (
        "id = NEW.id OR (plan_id = NEW.plan_id AND meeting_id = NEW.meeting_id AND kind = NEW.kind)"
    ),
    "published_file": "id = NEW.id OR (report_id = NEW.report_id AND format = NEW.format)",
}

REVIEW_COLUMNS = ("review_state", "reviewed_by_id", "reviewed_at", "review_note")
FROZEN_COLUMNS = (
    "id",
    "action_id",
    "recorded_by_id",
    "recorded_at",
    "effective_on",
    "stage",
    "rag",
    "commentary",
    "corrective_action",
)
REVIEW_MESSAGE = (
    "status updates are append-only: only a submitted update may be approved or returned, "
    "once, and nothing else about it may change"
)

# What 0001 created, restored on downgrade.
OLD_FROZEN_COLUMNS = (
    "action_id, recorded_by_id, recorded_at, effective_on, stage, rag, commentary, "
    "corrective_action"
)


def _sqlite_upgrade() -> None:
    for table, collision in SQLITE_COLLISIONS.items():
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {collision}) BEGIN "
            f"SELECT RAISE(ABORT, '{table} rows are append-only: an insert may not replace a row'); "
            "END"
        )
    op.execute("DROP TRIGGER status_update_frozen")
    unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in FROZEN_COLUMNS)
    op.execute(
        "CREATE TRIGGER status_update_review_once BEFORE UPDATE ON status_update "
        "WHEN NOT (OLD.review_state = 'submitted' "
        "AND NEW.review_state IN ('approved', 'returned') "
        f"AND {unchanged}) BEGIN "
        f"SELECT RAISE(ABORT, '{REVIEW_MESSAGE}'); END"
    )


def _sqlite_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS status_update_review_once")
    op.execute(
        f"CREATE TRIGGER status_update_frozen BEFORE UPDATE OF {OLD_FROZEN_COLUMNS} "
        "ON status_update BEGIN "
        "SELECT RAISE(ABORT, 'status updates are append-only: record a new update instead'); "
        "END"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")


def _postgres_upgrade() -> None:
    op.execute(
        """CREATE FUNCTION plantrack_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% rows are append-only: the table cannot be truncated', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$"""
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION plantrack_refuse_truncate()"
        )
    review = "ARRAY[" + ", ".join(f"'{column}'" for column in REVIEW_COLUMNS) + "]"
    op.execute(
        f"""CREATE FUNCTION plantrack_status_update_review_once() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.review_state = 'submitted'
                AND NEW.review_state IN ('approved', 'returned')
                AND to_jsonb(NEW) - {review}::text[] = to_jsonb(OLD) - {review}::text[]
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{REVIEW_MESSAGE}'
                USING ERRCODE = 'integrity_constraint_violation';
        END $$"""
    )
    op.execute("DROP TRIGGER status_update_frozen ON status_update")
    op.execute(
        "CREATE TRIGGER status_update_review_once BEFORE UPDATE ON status_update "
        "FOR EACH ROW EXECUTE FUNCTION plantrack_status_update_review_once()"
    )


def _postgres_downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS status_update_review_once ON status_update")
    op.execute("DROP FUNCTION IF EXISTS plantrack_status_update_review_once()")
    op.execute(
        f"CREATE TRIGGER status_update_frozen BEFORE UPDATE OF {OLD_FROZEN_COLUMNS} "
        "ON status_update FOR EACH ROW EXECUTE FUNCTION plantrack_refuse_change()"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS plantrack_refuse_truncate()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _postgres_downgrade()

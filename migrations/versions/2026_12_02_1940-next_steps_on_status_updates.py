"""Next steps on status updates

- ``status_update.next_steps``: what the action's lead means to do before the board's next
  meeting (optional; existing rows get ""). It feeds the highlight report's "Planned before the
  next report".
- SQLite's append-only trigger names the columns a review may not change; it is recreated to
  name ``next_steps`` too. PostgreSQL's compares whole rows (``to_jsonb``), so it needs nothing.

Revision ID: 0009_next_steps
Revises: 0008_board_scope
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A revision id of its own; only its down_revision needs re-chaining when branches meet.
revision: str = "0009_next_steps"
down_revision: str | None = "0008_board_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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


def _sqlite_review_trigger(columns: Sequence[str]) -> None:
    op.execute("DROP TRIGGER IF EXISTS status_update_review_once")
    unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in columns)
    op.execute(
        "CREATE TRIGGER status_update_review_once BEFORE UPDATE ON status_update "
        "WHEN NOT (OLD.review_state = 'submitted' "
        "AND NEW.review_state IN ('approved', 'returned') "
        f"AND {unchanged}) BEGIN "
        f"SELECT RAISE(ABORT, '{REVIEW_MESSAGE}'); END"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Recreated below to name the new column; adding a column does not rebuild the table.
        op.execute("DROP TRIGGER IF EXISTS status_update_review_once")
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_steps", sa.Text(), nullable=False, server_default=""))
    if sqlite:
        _sqlite_review_trigger((*FROZEN_COLUMNS, "next_steps"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN (3.35+), not a batch rebuild: rebuilding the table would
        # drop its other append-only triggers with it.
        op.execute("DROP TRIGGER IF EXISTS status_update_review_once")
        op.execute("ALTER TABLE status_update DROP COLUMN next_steps")
        _sqlite_review_trigger(FROZEN_COLUMNS)
        return
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.drop_column("next_steps")

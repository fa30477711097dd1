"""Index status updates in the order the latest one is found

``ix_status_update_latest`` on ``status_update`` (action_id, effective_on, recorded_at, id): the
as-at rule takes each action's latest approved update effective on or before a date, ordered by
effective date, then the time recorded, then id. With the whole order in the index, each
action's "latest update" subquery reads the index from its end instead of sorting the action's
history. It replaces ``ix_status_update_action_effective`` (action_id, effective_on), which is
its prefix.

Plain CREATE/DROP INDEX, not a batch rebuild: rebuilding the table on SQLite would drop its
append-only triggers.

Revision ID: 0010_latest_update_index
Revises: 0009_next_steps
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_latest_update_index"
down_revision: str | None = "0009_next_steps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_status_update_latest",
        "status_update",
        ["action_id", "effective_on", "recorded_at", "id"],
    )
    op.drop_index("ix_status_update_action_effective", table_name="status_update")


def downgrade() -> None:
    op.create_index(
        "ix_status_update_action_effective", "status_update", ["action_id", "effective_on"]
    )
    op.drop_index("ix_status_update_latest", table_name="status_update")

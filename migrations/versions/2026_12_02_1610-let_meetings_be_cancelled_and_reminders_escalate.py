"""Let meetings be cancelled and reminders escalate

- ``meeting.cancelled_at``: a cancelled meeting stays on record (and in the audit log) but
  drops out of the reporting cycle and every meeting picker. Nullable: every existing meeting
  is one that was not cancelled.
- ``reminder.kind``: ``reminder`` (before the deadline, to owners) or ``escalation`` (after it,
  the meeting still ahead: a digest to delivery-group leads and the office). The unique key that
  makes sending idempotent becomes (meeting, user, kind), so a person can be reminded and later
  sent an escalation for one meeting, each once. Existing rows are reminders.

Downgrading deletes the escalations (the older key allows one row per person per meeting).

Revision ID: 0004_cancel_escalate
Revises: 0003
Create Date: 2026-12-02 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# A revision id of its own (not "0004"), so a migration written beside it on another branch
# cannot take the same id; only its down_revision needs re-chaining when they meet.
revision: str = "0004_cancel_escalate"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="reminder",
            )
        )
        batch_op.drop_constraint("uq_reminder_once", type_="unique")
        batch_op.create_unique_constraint("uq_reminder_once", ["meeting_id", "user_id", "kind"])
        batch_op.create_check_constraint("reminder_kind", "kind IN ('reminder', 'escalation')")


def downgrade() -> None:
    op.execute("DELETE FROM reminder WHERE kind <> 'reminder'")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("reminder_kind", type_="check")
        batch_op.drop_constraint("uq_reminder_once", type_="unique")
        batch_op.create_unique_constraint("uq_reminder_once", ["meeting_id", "user_id"])
        batch_op.drop_column("kind")

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")

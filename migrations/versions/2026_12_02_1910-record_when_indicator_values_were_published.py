"""Record when each indicator value was published

- ``indicator_value.published_on``: the date the figure was published. A report as at a date
  shows only the figures published by then, so a proven reoffending rate (published about two
  years after its cohort ends) no longer appears in reports dated before it existed.
- A check that no figure is published before its period ends.

Backfill: rows stored before this migration have no known publication date, so they take the
end of their period, the earliest date they could have been published. Every report therefore
reads as it did before the migration; the office corrects a date by withdrawing the figure and
adding it again with its published date.

Downgrading drops the column and the check (the dates are lost).

Revision ID: 0006_published
Revises: 0005_sro
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A revision id of its own, so a migration written beside it on another branch cannot take the
# same id; only its down_revision needs re-chaining when they meet.
revision: str = "0006_published"
down_revision: str | None = "0005_sro"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_on", sa.Date(), nullable=True))

    op.execute("UPDATE indicator_value SET published_on = period_end WHERE published_on IS NULL")

    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.alter_column("published_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint(
            "indicator_value_published_after_period", "published_on >= period_end"
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator_value", schema=None) as batch_op:
        batch_op.drop_constraint("indicator_value_published_after_period", type_="check")
        batch_op.drop_column("published_on")

"""The data version: values that move with every write a page or report could show

``data_version`` holds one value per plan and row 0 for what plans share (see
app/core/data_version.py). Cached pages and report files are keyed by them. The table starts
empty: a missing row reads as 0.

Revision ID: 0011_data_version
Revises: 0010_latest_update_index
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_data_version"
down_revision: str | None = "0010_latest_update_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )


def downgrade() -> None:
    op.drop_table("data_version")

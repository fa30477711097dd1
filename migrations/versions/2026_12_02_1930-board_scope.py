"""Access scoped by board

- ``user_board``: the boards a viewer or editor is limited to (none: every plan, as before).
  The office (admin) is never scoped; app.domain.access holds the rule.

Revision ID: 0008_board_scope
Revises: 0007_tokens
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A revision id of its own; only its down_revision needs re-chaining when branches meet.
revision: str = "0008_board_scope"
down_revision: str | None = "0007_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_board",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "board_id"),
    )
    with op.batch_alter_table("user_board", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_board_board_id"), ["board_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_board", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_board_board_id"))

    op.drop_table("user_board")

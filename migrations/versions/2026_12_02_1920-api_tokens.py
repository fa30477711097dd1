"""API tokens

- ``api_token``: a credential for the API (``Authorization: Bearer``), held by a person's
  account or by a named service (exactly one: a CHECK says so), read or write, with a required
  expiry, its last use and its revocation. Only the SHA-256 of the secret is stored, never the
  secret, so a copy of the database cannot call the API.
- ``api_token_plan``: the plans a token is restricted to (none: every plan its holder reads).

Revision ID: 0007_tokens
Revises: 0006_published
Create Date: 2026-12-02 19:20:58.662508
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# A revision id of its own; only its down_revision needs re-chaining when branches meet.
revision: str = "0007_tokens"
down_revision: str | None = "0006_published"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name="api_token_scope"),
        sa.CheckConstraint(
            "(user_id IS NULL AND service IS NOT NULL) OR (user_id IS NOT NULL AND service IS NULL)",
            name="api_token_one_holder",
        ),
        sa.CheckConstraint("expires_at > created_at", name="api_token_expires_after_creation"),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "api_token_plan",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_token.id"],
        ),
        sa.PrimaryKeyConstraint("token_id", "plan_id"),
    )


def downgrade() -> None:
    op.drop_table("api_token_plan")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")

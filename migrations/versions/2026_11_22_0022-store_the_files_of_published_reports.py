"""Store the files of published reports

A published report is a snapshot for a meeting: its model and its files are stored, and
triggers refuse any change to either, so what went to a meeting stays as it was sent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:22:36.940399
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

FROZEN_TABLES = ("published_report", "published_file")


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["published_report.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", "format", name="uq_published_file_format"),
    )
    with op.batch_alter_table("published_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_published_file_report_id"), ["report_id"], unique=False
        )
    for table in FROZEN_TABLES:
        if op.get_bind().dialect.name == "sqlite":
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'published reports are append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION plantrack_refuse_change()"
            )


def downgrade() -> None:
    for table in FROZEN_TABLES:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}")
    with op.batch_alter_table("published_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_file_report_id"))

    op.drop_table("published_file")

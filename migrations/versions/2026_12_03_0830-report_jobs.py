"""Report jobs: PDF and Word files rendered by a worker outside the web request

``report_job`` is both the queue and the file cache (see app/jobs.py): one row per file, keyed
by plan, report, format, dates, meeting and the plan's data version. It starts empty and holds
nothing that cannot be made again, so a downgrade simply drops it.

Revision ID: 0012_report_jobs
Revises: 0011_data_version
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_report_jobs"
down_revision: str | None = "0011_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("as_at", sa.Date(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("data_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("leased_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name="report_job_state"
        ),
        sa.CheckConstraint("kind IN ('appendix', 'highlight')", name="report_job_kind"),
        sa.CheckConstraint("format IN ('pdf', 'docx')", name="report_job_format"),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("report_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_job_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index("ix_report_job_state", ["state", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("report_job")

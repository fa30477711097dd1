"""Give plans and themes a senior responsible owner

- ``plan.senior_responsible_owner`` and ``theme.senior_responsible_owner``: who answers for the
  plan's or the theme's delivery, as the strategy names them ("Chief Superintendent, Head of
  Partnerships"). Free text, optional: existing rows get "" (none named).

Revision ID: 0005_sro
Revises: 0004_cancel_escalate
Create Date: 2026-12-02 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# A revision id of its own (not "0005"), so a migration written beside it on another branch
# cannot take the same id; only its down_revision needs re-chaining when they meet.
revision: str = "0005_sro"
down_revision: str | None = "0004_cancel_escalate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("plan", "theme")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "senior_responsible_owner",
                    sqlmodel.sql.sqltypes.AutoString(length=300),
                    nullable=False,
                    server_default="",
                )
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite's own DROP COLUMN (3.35+), not a batch rebuild: rebuilding plan or theme
            # drops a table other tables' foreign keys point at, which a database holding data
            # refuses.
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN senior_responsible_owner')
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("senior_responsible_owner")

"""An index of the ingest runs that have not ended, by organization. Each ingest marks the
earlier runs of its file by its organization that never ended (`DID_NOT_FINISH`,
`bigfish.intake.service`); without it, that read every run ever recorded. Partial and without
the source: a path of ~900 multibyte characters would pass PostgreSQL's btree row limit.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_OPEN = "finished_at IS NULL AND error IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_ingest_runs_open",
        "ingest_runs",
        ["org_id"],
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_ingest_runs_open", table_name="ingest_runs")

"""An index on ingest_runs (org_id, source): the runs of one organization's file. Each ingest
marks the earlier runs of its file by its organization that never ended (`DID_NOT_FINISH`,
`bigfish.intake.service`), and `bigfish ingest --runs --org` lists one organization's runs;
both read every run ever recorded without it.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ingest_runs_org_id_source", "ingest_runs", ["org_id", "source"])


def downgrade() -> None:
    op.drop_index("ix_ingest_runs_org_id_source", table_name="ingest_runs")

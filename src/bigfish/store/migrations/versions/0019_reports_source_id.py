"""An index on reports (source_id): the STIX id a report came with. A TAXII POST or a pulled
page is checked against the ids held for other reports (a STIX id is its author's), and an
export finds whether an earlier report holds a report's id, without reading every report.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reports_source_id", "reports", ["source_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reports_source_id", table_name="reports")

"""An index on reports (org_id, updated_at, id) in place of (org_id, created_at, id): alerts are
dated by updated_at (a replaced or re-marked report raises alerts dated when it changed), and an
alert page reads the viewer's reports of a time span (and finds its first) from the index alone.
Nothing else read the (org_id, created_at, id) index.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reports_org_id_updated_at_id",
        "reports",
        ["org_id", "updated_at", "id"],
        unique=False,
    )
    op.drop_index("ix_reports_org_id_created_at_id", table_name="reports")


def downgrade() -> None:
    op.create_index(
        "ix_reports_org_id_created_at_id",
        "reports",
        ["org_id", "created_at", "id"],
        unique=False,
    )
    op.drop_index("ix_reports_org_id_updated_at_id", table_name="reports")

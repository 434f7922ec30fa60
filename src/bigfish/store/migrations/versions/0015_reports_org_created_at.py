"""An index on reports (org_id, created_at, id): an alert page reads the viewer's reports of a
time span (and finds its first) from the index alone, not by walking everyone's reports of the
span through the created_at index.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reports_org_id_created_at_id",
        "reports",
        ["org_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_reports_org_id_created_at_id", table_name="reports")

"""An index on reports (created_at, id): the order of alerts, read from the oldest report on.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reports_created_at_id", "reports", ["created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reports_created_at_id", table_name="reports")

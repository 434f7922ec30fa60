"""An index on cooperation_requests.updated_at: every writer of reports or requests reads the
newest stamp stored before taking its own (`bigfish.store.stamps.after_stored`, so that a clock
set back never stamps before a bound readers went past), and without it that read went over
every request.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cooperation_requests_updated_at", "cooperation_requests", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_cooperation_requests_updated_at", table_name="cooperation_requests")

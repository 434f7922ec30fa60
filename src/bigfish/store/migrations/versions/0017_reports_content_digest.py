"""reports.content_digest: a SHA-256 of what a re-submission can change that readers care
about (`bigfish.store.writes.content_digest`). A partner re-sending a report unchanged (a
cumulative export, each day) no longer rewrites it: its updated_at, mentions and withdrawals
stay, so alerts, link runs and TAXII peers do not see it as changed. Rows written before have
no digest (NULL): the next re-submission rewrites them once, as before, and gives them one.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN): a batch copy of reports would drop and recreate it
    # on SQLite, and dropping it deletes every mention of it (ON DELETE CASCADE).
    op.add_column("reports", sa.Column("content_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Not a batch copy either (see upgrade). Both backends drop a column in place; the digests
    # are bookkeeping that the next re-submission of each report makes again.
    op.execute("ALTER TABLE reports DROP COLUMN content_digest")

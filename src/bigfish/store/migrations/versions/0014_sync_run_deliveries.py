"""What a sync run delivered and why it failed: `sync_runs.webhooks` and `webhooks_failed` (the
webhook deliveries the pulled pages' alerts made, and those that failed), and `error` (why a
pull failed part-way; what it stored and delivered before stays counted). Runs recorded before
this revision count no deliveries.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN): a batch copy of sync_runs would drop and recreate
    # it on SQLite, and dropping it deletes every run's rejections (ON DELETE CASCADE).
    op.add_column(
        "sync_runs",
        sa.Column("webhooks", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "sync_runs",
        sa.Column("webhooks_failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("sync_runs", sa.Column("error", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    # The runs' delivery counts and errors are an account of past pulls, not what a peer sent
    # (the reports and their rejections stay): they go with the columns. In place, as above.
    for column in ("error", "webhooks_failed", "webhooks"):
        op.execute(f"ALTER TABLE sync_runs DROP COLUMN {column}")

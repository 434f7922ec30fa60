"""link_state.withdrawn_upto: the newest report_withdrawals.withdrawn_at a link run read while
writers were paused (`bigfish.linking.state.settled`). The next run looks for networks that lost
a member when a withdrawal is later than it. Before, it compared withdrawals' stamps (the
database server's clock on PostgreSQL) with the last run's `now` (its process's clock, or its
caller's): a run whose clock was ahead took a deletion committed after it for seen, and the
network kept counting the deleted report until a rebuild. Rows written before have none (NULL):
the next run looks whenever there is a withdrawal, and records one.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "link_state", sa.Column("withdrawn_upto", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # In place, as 0017. The bound is bookkeeping: without it a run compares with its `now`.
    op.execute("ALTER TABLE link_state DROP COLUMN withdrawn_upto")

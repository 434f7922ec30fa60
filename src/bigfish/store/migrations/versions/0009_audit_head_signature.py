"""The audit log's head is signed by the node key (`bigfish.audit`): rows rewritten and
re-chained by someone without the key no longer verify. Heads written before stay unsigned
until the next entry (or `bigfish audit seal`).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("signature", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("signed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("signed_by")
        batch.drop_column("signature")

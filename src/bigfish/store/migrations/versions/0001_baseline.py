"""Baseline schema.

Until the first release the baseline is the declared schema itself; at release it is frozen
into explicit operations and later changes become new revisions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bigfish.store.schema import metadata

    metadata.create_all(op.get_bind())


def downgrade() -> None:
    from bigfish.store.schema import metadata

    metadata.drop_all(op.get_bind())

"""Kept rankings carry their facets (`bigfish.web.facets`): a filtered page reads those and
decodes only the networks it shows.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_figures") as batch:
        batch.add_column(sa.Column("facets", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_figures") as batch:
        batch.drop_column("facets")

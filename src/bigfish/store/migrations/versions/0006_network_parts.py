"""Part ids: a viewer who cannot see every report of a network sees the parts its visible links
connect, each under an id of its own (`bigfish.linking.parts`).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_parts",
        sa.Column(
            "anchor_pk",
            sa.Integer(),
            sa.ForeignKey("reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("id", sa.Integer(), nullable=False, unique=True),
    )


def downgrade() -> None:
    op.drop_table("network_parts")
    op.execute("DELETE FROM networks WHERE status = 'part'")

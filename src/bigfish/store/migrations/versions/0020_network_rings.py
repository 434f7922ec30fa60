"""Network rings: the reports an id held when it first took part in a merge, so that a merge
split back gives each piece the id it had (`bigfish.linking.networks`). Ids merged away before
this migration start with the report that already keeps them findable (`network_parts`).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_rings",
        sa.Column(
            "report_pk",
            sa.Integer(),
            sa.ForeignKey("reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("network_id", sa.Integer(), primary_key=True),
    )
    op.create_index("ix_network_rings_network_id", "network_rings", ["network_id"])
    op.execute(
        "INSERT INTO network_rings (report_pk, network_id) "
        "SELECT p.anchor_pk, p.id FROM network_parts p "
        "JOIN networks n ON n.id = p.id WHERE n.status = 'merged'"
    )


def downgrade() -> None:
    op.drop_index("ix_network_rings_network_id", table_name="network_rings")
    op.drop_table("network_rings")

"""Signed changes of cooperation requests: each event's signature and signer, and the key each
peer node is pinned to.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_events") as batch:
        batch.add_column(sa.Column("signature", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("signed_by", sa.String(length=64), nullable=True))
    op.create_table(
        "peer_keys",
        sa.Column("origin", sa.String(length=1000), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("pinned_by", sa.String(length=20), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_peer_keys")),
    )


def downgrade() -> None:
    # A peer's signature cannot be made again here, and a pinned key is the operator's trust.
    bind = op.get_bind()
    signed = bind.execute(
        sa.text("SELECT COUNT(*) FROM request_events WHERE signature IS NOT NULL")
    ).scalar()
    pinned = bind.execute(sa.text("SELECT COUNT(*) FROM peer_keys")).scalar()
    if signed or pinned:
        raise RuntimeError(
            f"{signed} signed request changes and {pinned} pinned peer keys: downgrading below "
            "0004 would lose them"
        )
    op.drop_table("peer_keys")
    with op.batch_alter_table("request_events") as batch:
        batch.drop_column("signed_by")
        batch.drop_column("signature")

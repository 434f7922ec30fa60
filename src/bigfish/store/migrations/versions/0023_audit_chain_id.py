"""The audit log's chain has an id (`bigfish.audit`): random, signed into every head, and the
key of the marks the node keeps under its data directory, so a data directory may serve several
databases without holding one's marks against another's chain. A chain that exists gets its
id here; its head keeps the signature it had (without the id) until the next entry.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("chain_id", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    heads = conn.execute(sa.text("SELECT id FROM audit_head WHERE chain_id IS NULL")).scalars()
    for head in list(heads):  # one per database: each chain its own random id
        conn.execute(
            sa.text("UPDATE audit_head SET chain_id = :chain WHERE id = :id"),
            {"chain": secrets.token_hex(16), "id": head},
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("chain_id")

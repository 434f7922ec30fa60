"""Acquired custody records sign the file's metadata (name, size, media type, source, method,
tool, description), so that the evidence row and a package's manifest can be checked against
them (`bigfish.evidence.binding`). Records written before keep NULL and verify as they were.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custody_events") as batch:
        batch.add_column(sa.Column("acquisition", sa.Text(), nullable=True))


def downgrade() -> None:
    # Records that carry signed metadata cannot be rebuilt without it: their signatures would no
    # longer verify. Refuse rather than break the chain of custody.
    bind = op.get_bind()
    signed = bind.execute(
        sa.text("SELECT COUNT(*) FROM custody_events WHERE acquisition IS NOT NULL")
    ).scalar()
    if signed:
        raise RuntimeError(
            f"{signed} custody records carry signed acquisition metadata: downgrading below "
            "0007 would make them fail verification"
        )
    with op.batch_alter_table("custody_events") as batch:
        batch.drop_column("acquisition")

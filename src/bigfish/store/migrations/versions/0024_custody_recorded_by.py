"""Custody records sign the account that wrote them into bigfish (`recorded_by`: "user:alice",
"key:12", "console:<OS user>", as the audit log names actors), beside the people the account
stated. Records written before keep NULL and verify as they were.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("custody_events") as batch:
        batch.add_column(sa.Column("recorded_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Records that sign their account cannot be rebuilt without it: their signatures would no
    # longer verify. Refuse rather than break the chain of custody.
    bind = op.get_bind()
    signed = bind.execute(
        sa.text("SELECT COUNT(*) FROM custody_events WHERE recorded_by IS NOT NULL")
    ).scalar()
    if signed:
        raise RuntimeError(
            f"{signed} custody records sign the account that wrote them: downgrading below "
            "0024 would make them fail verification"
        )
    with op.batch_alter_table("custody_events") as batch:
        batch.drop_column("recorded_by")

"""A withdrawal for one organization: when an organization leaves a sharing group, each of the
group's reports is withdrawn from it alone (`report_withdrawals.audience_org_id`), so that its
node, which pulled them while a member, is sent revoked versions and deletes its copies.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_withdrawals") as batch:
        batch.add_column(sa.Column("audience_org_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Without its audience a withdrawal from one organization would be read as a withdrawal
    # from every reader of the report: refuse rather than widen it.
    bind = op.get_bind()
    narrow = bind.execute(
        sa.text("SELECT COUNT(*) FROM report_withdrawals WHERE audience_org_id IS NOT NULL")
    ).scalar()
    if narrow:
        raise RuntimeError(
            f"{narrow} withdrawals are from one organization alone: downgrading below 0010 "
            "would withdraw those reports from every reader"
        )
    with op.batch_alter_table("report_withdrawals") as batch:
        batch.drop_column("audience_org_id")

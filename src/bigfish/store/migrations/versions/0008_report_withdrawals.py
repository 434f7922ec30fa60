"""Withdrawn reports: a report deleted or re-marked is kept here with the marking it had, so that
TAXII readers that may hold it are sent a revoked version (`bigfish.interop.feed`).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tlp", sa.String(length=20), nullable=False),
        sa.Column("distribution", sa.String(length=20), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_report_withdrawals_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_withdrawals")),
    )
    op.create_index(
        "ix_report_withdrawals_withdrawn_at",
        "report_withdrawals",
        ["withdrawn_at"],
        unique=False,
    )


def downgrade() -> None:
    # Readers that pulled a withdrawn report would never be sent its revoked version.
    kept = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM report_withdrawals")).scalar()
    if kept:
        raise RuntimeError(
            f"{kept} withdrawn reports are kept to revoke them at their readers: downgrading "
            "below 0008 would lose them"
        )
    op.drop_index("ix_report_withdrawals_withdrawn_at", table_name="report_withdrawals")
    op.drop_table("report_withdrawals")

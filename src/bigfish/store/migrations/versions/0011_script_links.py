"""Same-script suggestions and analysts' decisions on them (`bigfish.suggestions`).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "script_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_a", sa.Integer(), nullable=False),
        sa.Column("report_b", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_a"],
            ["reports.id"],
            name=op.f("fk_script_links_report_a_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_b"],
            ["reports.id"],
            name=op.f("fk_script_links_report_b_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_links")),
        sa.UniqueConstraint("report_a", "report_b", name=op.f("uq_script_links_report_a_report_b")),
    )
    op.create_index("ix_script_links_report_b", "script_links", ["report_b"], unique=False)
    op.create_table(
        "script_link_decisions",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["script_links.id"],
            name=op.f("fk_script_link_decisions_link_id_script_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_script_link_decisions_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", "org_id", name=op.f("pk_script_link_decisions")),
    )


def downgrade() -> None:
    # Analysts' decisions cannot be made again from anything else: refuse rather than lose them.
    decided = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM script_link_decisions")).scalar()
    if decided:
        raise RuntimeError(
            f"{decided} decisions of analysts on same-script suggestions would be lost below 0011"
        )
    op.drop_table("script_link_decisions")
    op.drop_index("ix_script_links_report_b", table_name="script_links")
    op.drop_table("script_links")

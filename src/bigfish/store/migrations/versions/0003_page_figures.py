"""The page figures kept between server processes: one row per viewer and kind of figures.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_figures",
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("shape", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("rest", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("viewer", "kind", name=op.f("pk_page_figures")),
    )


def downgrade() -> None:
    op.drop_table("page_figures")

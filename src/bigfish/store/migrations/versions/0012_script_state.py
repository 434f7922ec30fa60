"""Incremental same-script suggestions (`bigfish.suggestions.find`): what the last run scored
(`script_state`, `script_narratives`), so that the next compares only new or changed narratives
with all; a pair no longer suggested is kept while a decision on it stands (`suggested`).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN): a batch copy of script_links would delete every
    # decision on it on SQLite (see downgrade).
    op.add_column(
        "script_links",
        sa.Column("suggested", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "script_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("frequencies", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_state")),
    )
    op.create_table(
        "script_narratives",
        sa.Column("report_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("chosen", sa.Integer(), nullable=False),
        sa.Column("floor_score", sa.Float(), nullable=True),
        sa.Column("floor_pk", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("report_pk", name=op.f("pk_script_narratives")),
    )


def downgrade() -> None:
    # Both tables are bookkeeping that the next `bigfish ml suggest` (a full run without them)
    # makes again. A pair kept only for a decision must not turn back into a suggestion for
    # every organization: refuse rather than show it again.
    kept = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM script_links WHERE NOT suggested"))
        .scalar()
    )
    if kept:
        raise RuntimeError(
            f"{kept} same-script pairs are kept only for analysts' decisions and would be shown"
            " as suggestions again below 0012"
        )
    op.drop_table("script_narratives")
    op.drop_table("script_state")
    # Not a batch copy: on SQLite that drops and recreates script_links, and dropping it deletes
    # every decision on it (ON DELETE CASCADE). Both backends drop a column in place.
    op.execute("ALTER TABLE script_links DROP COLUMN suggested")

"""An index on mentions (identifier_id, report_pk) in place of the one on identifier_id: the
alerts find the reports mentioning a value from the index alone (SQLite: a covering index;
PostgreSQL: an index-only scan), not by a read of each mention's row. Every look-up by
identifier_id the old index served, the new one serves.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_mentions_identifier_id_report_pk",
        "mentions",
        ["identifier_id", "report_pk"],
        unique=False,
    )
    op.drop_index("ix_mentions_identifier_id", table_name="mentions")


def downgrade() -> None:
    op.create_index("ix_mentions_identifier_id", "mentions", ["identifier_id"], unique=False)
    op.drop_index("ix_mentions_identifier_id_report_pk", table_name="mentions")

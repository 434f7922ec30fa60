"""Bytes of an evidence item that was disposed of may be acquired again for the same report, as
a new item with its own `acquired` record (a new copy from the victim is a new fact; the
disposed item's chain stays closed). The unique constraint on (report, sha256) gives way to an
index: `add_evidence` refuses a second live item of the same bytes under the custody log's lock.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_constraint("uq_evidence_report_pk_sha256", type_="unique")
        batch.create_index("ix_evidence_report_pk_sha256", ["report_pk", "sha256"])


def downgrade() -> None:
    # Two items of the same bytes in one report (one disposed of, one acquired again) cannot
    # both be kept under the old constraint, and neither may be deleted: refuse.
    bind = op.get_bind()
    twice = bind.execute(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT report_pk, sha256 FROM evidence "
            "GROUP BY report_pk, sha256 HAVING COUNT(*) > 1) AS twice"
        )
    ).scalar()
    if twice:
        raise RuntimeError(
            f"{twice} reports hold the same bytes as two evidence items (acquired again after "
            "a disposal): downgrading below 0025 would have to delete one of them"
        )
    with op.batch_alter_table("evidence") as batch:
        batch.drop_index("ix_evidence_report_pk_sha256")
        batch.create_unique_constraint("uq_evidence_report_pk_sha256", ["report_pk", "sha256"])

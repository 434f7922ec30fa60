"""ingest_runs.error: why an ingest run failed, or that it did not finish. An ingest of a file
killed outright (SIGKILL, its machine stopped) leaves its run's row with finished_at NULL for
ever, as a run still under way; the next ingest of the same file by the same organization now
says of it `DID_NOT_FINISH` (`bigfish.intake.service`). Runs recorded before this revision
have no error (NULL).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN): a batch copy of ingest_runs would drop and recreate
    # it on SQLite, under the reports that refer to it (reports.ingest_run).
    op.add_column("ingest_runs", sa.Column("error", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    # The runs' errors are an account of past ingests, not what a partner sent (the reports and
    # the runs' counts stay): they go with the column. In place, as above.
    op.execute("ALTER TABLE ingest_runs DROP COLUMN error")

"""reports.stix_id: the STIX id each report goes out under, indexed. A report that came with a
`report--` id (its source_id) goes out under it; any other under an id bigfish makes of its
organization and report_id (UUIDv5), which no lookup can invert. The check that a STIX id is
its author's (`bigfish.interop.held_ids`) found a made id only among the reports of the
report_id it was sent for: a report sent under the id of another report_id's report was stored
beside it, and both went out under one id. The check now looks every sent id up here.

Filled here for the reports stored before, a batch of rows at a time in key order (memory stays
flat, on SQLite and PostgreSQL alike); `bigfish.store.writes` writes it with every report since.
Not unique: a TAXII POST of an id held by a report its poster may not see keeps both (README,
"Known limitations").

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# bigfish.interop.markings.BIGFISH_NAMESPACE, of which bigfish.interop.stix.report_stix_id makes
# a report's id: copied, so that this migration fills the ids as they were made when it ran
# (tests/store/test_stix_id_column_h179.py checks both agree).
_NAMESPACE = uuid.UUID("6b1f7c2e-3a0d-5e4b-9b8f-2c6d1a4e7f10")
_PREFIX = "report--"
_BATCH = 5_000

_reports = sa.table(
    "reports",
    sa.column("id", sa.Integer),
    sa.column("org_id", sa.Integer),
    sa.column("report_id", sa.String),
    sa.column("source_id", sa.String),
    sa.column("stix_id", sa.String),
)
_organizations = sa.table("organizations", sa.column("id", sa.Integer), sa.column("name"))


def _stix_id(org: str, report_id: str, source_id: str | None) -> str:
    if source_id is not None and source_id.startswith(_PREFIX):
        return source_id
    return f"{_PREFIX}{uuid.uuid5(_NAMESPACE, 'report:' + org + '/' + report_id)}"


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN): a batch copy of reports would drop and recreate it
    # on SQLite, and dropping it deletes every mention of it (ON DELETE CASCADE).
    op.add_column("reports", sa.Column("stix_id", sa.String(length=200), nullable=True))
    bind = op.get_bind()
    update = (
        _reports.update()
        .where(_reports.c.id == sa.bindparam("pk"))
        .values(stix_id=sa.bindparam("value"))
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(
                _reports.c.id, _organizations.c.name, _reports.c.report_id, _reports.c.source_id
            )
            .join(_organizations, _organizations.c.id == _reports.c.org_id)
            .where(_reports.c.id > after)
            .order_by(_reports.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            update,
            [
                {"pk": pk, "value": _stix_id(str(org), str(report_id), source_id)}
                for pk, org, report_id, source_id in rows
            ],
        )
        after = int(rows[-1][0])
    # After the fill: one build of the index, not an update of it for every row.
    op.create_index("ix_reports_stix_id", "reports", ["stix_id"], unique=False)


def downgrade() -> None:
    # The index first: SQLite drops no column an index names. Not a batch copy (see upgrade);
    # the ids are made again from the reports by the next upgrade.
    op.drop_index("ix_reports_stix_id", table_name="reports")
    op.execute("ALTER TABLE reports DROP COLUMN stix_id")

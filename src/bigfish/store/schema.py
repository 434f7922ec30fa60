"""The core tables: organizations, sharing groups, reports, identifiers and mentions.

Other areas declare their tables on the same `metadata` in `schema_<area>.py` modules, which
`bigfish.store` imports so that migrations and `create_all` see one schema. Types are chosen to
behave the same on SQLite and PostgreSQL: amounts are exact decimal text, times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class _UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A time with its time zone, stored in UTC on both backends. PostgreSQL keeps the instant
    of any offset; SQLite keeps text without one, so a time at +07:00 was kept as its local
    clock time and read back seven hours off (and compared so in a WHERE). Given in UTC there,
    it is the same instant everywhere; read back, it is naive on SQLite as before."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "sqlite" and isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value


UTCDateTime = _UTCDateTime()

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("country", sa.String(2)),
    sa.Column("sector", sa.String(40)),
    sa.Column("node", sa.String(200)),  # the federated node it lives on; NULL for this node
    sa.Column("created_at", UTCDateTime, nullable=False),
)

sharing_groups = sa.Table(
    "sharing_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("owner_org_id", sa.ForeignKey("organizations.id"), nullable=False),
    # The community key for blinded matching (hex); a secret, never exported or logged.
    sa.Column("community_key", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("group_id", sa.ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("source", sa.String(1000), nullable=False),  # file name, "api" or a peer's URL
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("received", sa.Integer, nullable=False, default=0),
    sa.Column("stored", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    # why the run failed, or `intake.service.DID_NOT_FINISH` (written by the next ingest of the
    # same file by the same organization over a run that never ended); NULL: it did not fail
    sa.Column("error", sa.String(1000)),
    # an organization's runs that have not ended: an ingest marks those of its file that never
    # will (0022). Partial, and without the source: a path of ~900 multibyte characters passes
    # PostgreSQL's btree limit (2,704 bytes), and the ended runs are most of the table.
    sa.Index(
        "ix_ingest_runs_open",
        "org_id",
        sqlite_where=sa.text("finished_at IS NULL AND error IS NULL"),
        postgresql_where=sa.text("finished_at IS NULL AND error IS NULL"),
    ),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("report_id", sa.String(200), nullable=False),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("scam_type", sa.String(40)),
    sa.Column("channel", sa.String(40)),
    sa.Column("loss_amount", sa.String(40)),  # exact decimal text
    sa.Column("loss_currency", sa.String(3)),
    sa.Column("loss_usd", sa.Float),  # at the node's reference rates when stored; NULL if unknown
    sa.Column("narrative", sa.Text),
    sa.Column("attributes", sa.JSON),  # extra columns a partner sent, kept verbatim
    sa.Column("tlp", sa.String(20), nullable=False, default="amber"),
    sa.Column("distribution", sa.String(20), nullable=False, default="organization"),
    sa.Column("group_id", sa.ForeignKey("sharing_groups.id")),
    sa.Column("source_id", sa.String(200)),  # STIX/MISP object id it came from
    sa.Column("source_file", sa.String(1000)),
    sa.Column("source_line", sa.Integer),
    sa.Column("ingest_run", sa.ForeignKey("ingest_runs.id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("classification", sa.String(10)),  # scam | spam | legit, by the shipped model
    sa.Column("scam_probability", sa.Float),
    sa.Column("predicted_scam_type", sa.String(40)),
    # SHA-256 of its content (store.writes.content_digest): an unchanged re-submission is not a
    # rewrite. NULL for rows written before migration 0017.
    sa.Column("content_digest", sa.String(64)),
    # The STIX id it goes out under: its source_id when that is a `report--` id, else the one
    # made of its organization and report_id (`bigfish.interop.stix.report_stix_id`), which a
    # lookup cannot recompute from the id alone (0026; written by `store.writes.write_batch`).
    # Not unique: a TAXII POST of an id held by a report its poster may not see keeps both.
    sa.Column("stix_id", sa.String(200)),
    sa.UniqueConstraint("org_id", "report_id"),
    sa.Index("ix_reports_reported_at", "reported_at"),
    sa.Index("ix_reports_updated_at", "updated_at"),
    sa.Index("ix_reports_updated_at_id", "updated_at", "id"),  # alerts, oldest first
    # alerts: an organization's reports of a time span, and its first, without the others'
    sa.Index("ix_reports_org_id_updated_at_id", "org_id", "updated_at", "id"),
    # a STIX id is its author's: imports check it, exports find an earlier holder (0019)
    sa.Index("ix_reports_source_id", "source_id"),
    sa.Index("ix_reports_stix_id", "stix_id"),  # a STIX id is its author's (`held_ids`)
)

identifiers = sa.Table(
    "identifiers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # the canonical kind
    sa.Column("canonical", sa.String(2000), nullable=False),
    sa.Column("valid", sa.Boolean, nullable=False),
    sa.Column("error", sa.String(500)),
    sa.Column("domain", sa.String(300)),
    sa.Column("chain", sa.String(20)),
    sa.Column("country", sa.String(2)),
    sa.UniqueConstraint("kind", "canonical"),
)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("report_pk", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("identifier_id", sa.ForeignKey("identifiers.id"), primary_key=True),
    sa.Column("source", sa.String(10), primary_key=True),  # field | narrative | derived
    sa.Column("role", sa.String(10)),
    sa.Column("raw", sa.String(2000), nullable=False),  # the value as the partner wrote it
    # alerts: the reports mentioning a value, from the index alone
    sa.Index("ix_mentions_identifier_id_report_pk", "identifier_id", "report_pk"),
)

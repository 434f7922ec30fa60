"""Tables of the evidence and cooperation area.

Custody times are kept as the exact ISO text that was signed (``2025-12-17T03:00:00.000000Z``)
so that a record's canonical body can be rebuilt byte for byte on SQLite and PostgreSQL alike.
`custody_events` and `request_events` are append-only: no code path updates or deletes a row.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.store.schema import UTCDateTime, metadata

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("evidence_id", sa.String(40), nullable=False, unique=True),
    sa.Column("report_pk", sa.ForeignKey("reports.id"), nullable=False),
    sa.Column("org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.String(200), nullable=False),
    sa.Column("file_name", sa.String(500)),
    sa.Column("acquired_by", sa.String(200), nullable=False),
    sa.Column("acquired_at", sa.String(32), nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("method", sa.String(500), nullable=False),
    sa.Column("tool", sa.String(200)),
    sa.Column("tool_version", sa.String(100)),
    sa.Column("description", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Not unique: the bytes of an item disposed of may be acquired again as a new item (0025);
    # add_evidence allows one live item of the same bytes per report, under the log's lock.
    sa.Index("ix_evidence_report_pk_sha256", "report_pk", "sha256"),
    sa.Index("ix_evidence_sha256", "sha256"),
)

custody_events = sa.Table(
    "custody_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("evidence_id", sa.String(40), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("report", sa.String(320), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("released_person", sa.String(200)),
    sa.Column("released_org", sa.String(200)),
    sa.Column("received_person", sa.String(200)),
    sa.Column("received_org", sa.String(200)),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("place", sa.String(500), nullable=False),
    sa.Column("channel", sa.String(100), nullable=False),
    sa.Column("hash_check", sa.String(20), nullable=False),
    sa.Column("tlp", sa.String(20), nullable=False),
    sa.Column("distribution", sa.String(20), nullable=False),
    sa.Column("group_name", sa.String(100)),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("evidence_prev_hash", sa.String(64), nullable=False),
    sa.Column("leaf_hash", sa.String(64), nullable=False),
    sa.Column("record_hash", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
    # An acquired record's signed file metadata as canonical JSON; NULL on other events and on
    # records written before it was signed (migration 0007).
    sa.Column("acquisition", sa.Text),
    # The account that wrote the record (signed with it); NULL on records written before it was
    # signed (migration 0024).
    sa.Column("recorded_by", sa.String(200)),
    sa.Index("ix_custody_events_evidence_id", "evidence_id"),
)

custody_tree_heads = sa.Table(
    "custody_tree_heads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("timestamp", sa.String(32), nullable=False),
    sa.Column("key_fingerprint", sa.String(64), nullable=False),
    sa.Column("signature", sa.String(128), nullable=False),
    sa.Column("frontier", sa.JSON, nullable=False),  # hex roots of the perfect subtrees
)

cooperation_requests = sa.Table(
    "cooperation_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.String(40), nullable=False, unique=True),
    sa.Column("request_type", sa.String(40), nullable=False),
    sa.Column("from_org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("to_org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("urgency", sa.String(20), nullable=False),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("subjects", sa.JSON, nullable=False),
    sa.Column("summary", sa.String(500), nullable=False),
    sa.Column("details", sa.Text),
    sa.Column("deadline", UTCDateTime),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_cooperation_requests_from_org_id", "from_org_id"),
    sa.Index("ix_cooperation_requests_to_org_id", "to_org_id"),
    sa.Index("ix_cooperation_requests_updated_at", "updated_at"),  # `stamps.after_stored`
)

request_events = sa.Table(
    "request_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "request_pk", sa.ForeignKey("cooperation_requests.id", ondelete="CASCADE"), nullable=False
    ),
    # The same on every node the request travels to, so that histories merge by union.
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor_org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("from_status", sa.String(20)),
    sa.Column("to_status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text),
    # The Ed25519 signature of the node that made the change and its key's fingerprint: set on
    # a change received from a peer; this node signs its own organizations' changes as it
    # serves them (bigfish.cooperation.signing).
    sa.Column("signature", sa.String(128)),
    sa.Column("signed_by", sa.String(64)),
    sa.Index("ix_request_events_request_pk", "request_pk"),
    sa.UniqueConstraint("request_pk", "event_id"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(50)),
    sa.Column("email", sa.String(320)),
    sa.Column("always_available", sa.Boolean, nullable=False),  # the 24/7 point of contact
    sa.Column("languages", sa.String(200)),
    sa.Column("timezone", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

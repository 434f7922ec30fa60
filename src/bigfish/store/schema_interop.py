"""Tables of federation: versions of imported objects, sync state per peer, accounted sync runs,
observables seen in a pull (so references resolve across pages and restarts), TAXII statuses."""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.store.schema import UTCDateTime, metadata

# A report that came from a STIX/TAXII source: its STIX id and the source's version, so that a
# re-pull of the same version changes nothing and an echo of our own data is recognised.
interop_imports = sa.Table(
    "interop_imports",
    metadata,
    sa.Column("report_pk", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("stix_id", sa.String(200), nullable=False),
    sa.Column("modified", UTCDateTime, nullable=False),
    sa.Column("peer", sa.String(1000)),
)

# The key each peer node signs its organizations' changes with, by origin (scheme://host:port):
# pinned by the operator (`bigfish org add --node URL --node-key FINGERPRINT`) or on first use.
peer_keys = sa.Table(
    "peer_keys",
    metadata,
    sa.Column("origin", sa.String(1000), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("public_key", sa.Text),  # PEM, once the peer has served it
    sa.Column("pinned_by", sa.String(20), nullable=False),  # operator | first use
    sa.Column("pinned_at", UTCDateTime, nullable=False),
)

# Where the last pull of one collection of one peer stopped.
sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("peer", sa.String(1000), primary_key=True),
    sa.Column("collection", sa.String(200), primary_key=True),
    sa.Column("added_after", sa.String(40)),  # the newest date_added fully stored
    sa.Column("next_token", sa.String(1000)),  # set while a pull is in progress
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# One pull: what it received, stored and rejected (committed with each page), the webhook
# deliveries the pages' alerts made and those that failed; when it ended and, if it failed, why
# (what it did before failing stays counted). A run without finished_at was killed or is running.
sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("peer", sa.String(1000), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("received", sa.Integer, nullable=False, default=0),
    sa.Column("stored", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    # the database's default, as the migration that added them sets it: a run counts 0 till told
    sa.Column("webhooks", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("webhooks_failed", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("error", sa.String(1000)),
)

sync_rejections = sa.Table(
    "sync_rejections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("object_id", sa.String(200)),
    sa.Column("reason", sa.String(1000), nullable=False),
)

# Observables and identities received from peers, by STIX id, for reports that refer to them.
interop_observables = sa.Table(
    "interop_observables",
    metadata,
    sa.Column("stix_id", sa.String(200), primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
)

# The status of an envelope POSTed to a TAXII collection.
taxii_statuses = sa.Table(
    "taxii_statuses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id"), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# A report withdrawn from where it was shared: deleted, or re-marked (kept with the marking it
# had before), so that a TAXII reader that may have pulled it is sent a revoked version of it
# (`bigfish.interop.feed`), and a node that pulled it deletes its copy (`bigfish.interop.importer`).
report_withdrawals = sa.Table(
    "report_withdrawals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("report_id", sa.String(200), nullable=False),
    sa.Column("source_id", sa.String(200)),  # as reports.source_id: the STIX id it came with
    sa.Column("created", UTCDateTime, nullable=False),  # the report object's STIX `created`
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("tlp", sa.String(20), nullable=False),  # the marking before the withdrawal
    sa.Column("distribution", sa.String(20), nullable=False),
    sa.Column("group_id", sa.Integer),
    sa.Column("members", sa.JSON),  # a group's report: the group's organizations when withdrawn
    sa.Column("withdrawn_at", UTCDateTime, nullable=False),
    # withdrawn from this one organization only (it left the report's group); none: from every
    # reader that could see the report before and cannot now
    sa.Column("audience_org_id", sa.Integer),
    sa.Index("ix_report_withdrawals_withdrawn_at", "withdrawn_at"),
)

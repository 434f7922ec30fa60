"""Tables of linking: networks, their members, merge/split events, pins and stopped values.

A network row keeps the operator's view of its statistics (every member visible); viewers with a
narrower view get statistics recomputed over the members they may see (`bigfish.linking.views`).
"""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.store.schema import UTCDateTime, metadata

networks = sa.Table(
    "networks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # stable, never reused
    # active | merged (into merged_into) | dissolved (fewer than two reports left) | part (an id
    # of `network_parts`, merged_into the network it was first part of)
    sa.Column("status", sa.String(10), nullable=False, default="active"),
    sa.Column("merged_into", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("report_count", sa.Integer, nullable=False, default=0),
    sa.Column("score", sa.Float, nullable=False, default=0.0),
    sa.Column("total_loss_usd", sa.Float, nullable=False, default=0.0),
    sa.Column("unknown_currency", sa.JSON),  # currencies without a rate, with their counts
    sa.Column("countries", sa.JSON),
    sa.Column("organizations", sa.JSON),
    sa.Column("scam_types", sa.JSON),
    sa.Column("channels", sa.JSON),
    sa.Column("first_seen", UTCDateTime),
    sa.Column("last_seen", UTCDateTime),
    sa.Column("growth_30d", sa.Integer, nullable=False, default=0),
    sa.Column("community_split", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_networks_status_score", "status", "score"),
)

network_members = sa.Table(
    "network_members",
    metadata,
    sa.Column("report_pk", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.Integer, nullable=False),
    sa.Index("ix_network_members_network_id", "network_id"),
)

network_events = sa.Table(
    "network_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # created | merged | split | dissolved
    sa.Column("network_id", sa.Integer, nullable=False),  # the survivor or the new network
    sa.Column("other_ids", sa.JSON),  # merged: the absorbed ids; split: the parent id
    sa.Column("detail", sa.String(500)),
    sa.Index("ix_network_events_network_id", "network_id"),
)

# A viewer who cannot see every report of a network sees it through the parts its visible links
# connect (`bigfish.linking.parts`): the part holding the earliest visible report keeps the
# network's id, every other part gets an id of its own, kept here by the part's first report so
# that it stays as the part grows. Part ids are rows of `networks` (status "part", merged_into
# the network), drawn from the same sequence: a viewer cannot tell a part from a network. A
# merged-away id is kept here too (by its anchor). A row goes with its report; the id's ring
# (`network_rings`) then tells which group takes it back.
network_parts = sa.Table(
    "network_parts",
    metadata,
    sa.Column("anchor_pk", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("id", sa.Integer, nullable=False, unique=True),
)

# The reports an id held when it first took part in a merge, as the survivor or as one absorbed:
# its own ring. On a split, the earliest of them still in the network the id leads to (its
# anchor) decides: the piece holding an active id's anchor keeps that id, and a piece holding
# the anchor of an id merged into it earlier takes that id back (`bigfish.linking.networks`).
# Rows go with their report, so a withdrawn anchor passes to the ring's next report. A part id
# (`network_parts`) has a ring too: the reports of its group when it was given out, which keep
# the id when its first report is deleted; link runs leave part ids' rings alone (they lead to
# no network: `bigfish.linking.state.ring_reports`).
network_rings = sa.Table(
    "network_rings",
    metadata,
    sa.Column("report_pk", sa.ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.Integer, primary_key=True),
    sa.Index("ix_network_rings_network_id", "network_id"),
)

link_pins = sa.Table(
    "link_pins",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("canonical", sa.String(2000), primary_key=True),
    sa.Column("link", sa.Boolean, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

stopped_values = sa.Table(
    "stopped_values",
    metadata,
    sa.Column("identifier_id", sa.ForeignKey("identifiers.id"), primary_key=True),
    sa.Column(
        "reason", sa.String(20), nullable=False
    ),  # warning_list | hub_groups | hub_degree | pin
    sa.Column("detail", sa.String(500), nullable=False),  # list name, or the statistic
    sa.Column("report_count", sa.Integer, nullable=False),
)

link_state = sa.Table(
    "link_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # one row, id 1
    # The largest reports.updated_at linked, as the database stores it (text on SQLite, whose
    # stored times may carry an offset, so they compare as stored); later reports are not linked.
    sa.Column("watermark", sa.String(40)),
    sa.Column("degree_cap", sa.Integer),  # the hub test's degree limit at the last rebuild
    sa.Column("rebuilt_at", UTCDateTime),
    # When the last run ran: its `now` (its process's clock, or its caller's), which ages networks.
    sa.Column("updated_at", UTCDateTime),
    # The newest report_withdrawals.withdrawn_at the last run read while writers were paused
    # (`bigfish.linking.state.settled`): the next looks for shrunk networks when a withdrawal is
    # later. A stamp of the writers' clock, never compared with updated_at (another clock).
    sa.Column("withdrawn_upto", UTCDateTime),
)

# Same-script suggestions (`bigfish.suggestions`): two reports whose narratives may tell the same
# script, with a score — possible links for an analyst, kept apart from the identifier links
# above and never merged into a network. `report_a` < `report_b`. A pair the last run no longer
# suggests is kept, not `suggested`, while an organization's decision on it stands.
script_links = sa.Table(
    "script_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("report_a", sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("report_b", sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("found_at", UTCDateTime, nullable=False),
    sa.Column("suggested", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("report_a", "report_b"),
    sa.Index("ix_script_links_report_b", "report_b"),
)

# What the last `bigfish ml suggest` run scored, so that the next compares only new or changed
# narratives with all (`bigfish.suggestions.find`). One row, id 1.
script_state = sa.Table(
    "script_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("method", sa.String(40), nullable=False),  # with its features' version
    sa.Column("top_k", sa.Integer, nullable=False),
    sa.Column("min_score", sa.Float, nullable=False),
    # The idf's document frequencies (char-ngram), counted over `documents` narratives at the
    # last full run and kept until the next: compressed, base64 text.
    sa.Column("documents", sa.Integer, nullable=False),
    sa.Column("frequencies", sa.Text),
    sa.Column("generation", sa.Integer, nullable=False),  # runs stored so far
    sa.Column("rebuilt_at", UTCDateTime, nullable=False),  # the last full run
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Each narrative the last run scored: a digest of its masked text (a changed one is scored
# again), how many others it chose, and its worst choice (its floor). No foreign key: a deleted
# report's row stays until the next run, which finds it gone.
script_narratives = sa.Table(
    "script_narratives",
    metadata,
    sa.Column("report_pk", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("digest", sa.String(32), nullable=False),
    sa.Column("chosen", sa.Integer, nullable=False),
    sa.Column("floor_score", sa.Float),
    sa.Column("floor_pk", sa.Integer),
)

# An organization's analyst's word on a suggestion: accepted or rejected, for that organization.
script_link_decisions = sa.Table(
    "script_link_decisions",
    metadata,
    sa.Column("link_id", sa.ForeignKey("script_links.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("org_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("decision", sa.String(10), nullable=False),  # accepted | rejected
    sa.Column("decided_by", sa.String(200), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
)

"""One network with the explanation of every link (`bigfish network ID`, GET /networks/{id})."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import NotFound
from bigfish.fx import Rates
from bigfish.linking.explain import Join, Link, joins, key_identifiers, spanning_links
from bigfish.linking.hubs import StopReason
from bigfish.linking.loading import chunked, utc
from bigfish.linking.parts import linking_mentions, load_member_graph
from bigfish.linking.score import ReportFacts, summarize
from bigfish.linking.state import ring_anchors
from bigfish.linking.views import (
    NetworkSummary,
    ReportRef,
    _iso,
    _stored_stats,
    _summary,
    _visible_members,
)
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions
from bigfish.store.schema_linking import (
    network_events,
    network_members,
    network_parts,
    networks,
    stopped_values,
)


@dataclass(frozen=True, slots=True)
class NotLinking:
    """A value a member mentions that does not link, and why."""

    kind: str
    canonical: str
    reason: str  # pin | warning_list | hub_groups | hub_degree
    detail: str
    report_count: int  # the operator: every report of the node; a viewer: the members it sees


@dataclass(frozen=True, slots=True)
class EventView:
    """One recorded change of the network."""

    at: datetime
    kind: str
    other_ids: tuple[int, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class NetworkDetail:
    """A network, the identifiers that join its reports, and a minimal set of links."""

    summary: NetworkSummary
    community_split: bool
    joins: tuple[Join, ...]
    spanning: tuple[Link, ...]
    key_identifiers: tuple[int, ...]
    not_linking: tuple[NotLinking, ...]
    events: tuple[EventView, ...]
    refs: dict[int, ReportRef]
    redirected_from: int | None = None
    #: REDIRECTED_FROM is a viewer's part id (the operator opened it), not a merged-away id
    redirected_part: bool = False

    def to_json(self) -> dict[str, Any]:
        """The list's keys, plus the explanation."""
        s = self.summary.stats
        names = {j.identifier_id: {"kind": j.kind, "canonical": j.canonical} for j in self.joins}
        out = self.summary.to_json() | {
            "scam_types": dict(s.scam_types),
            "channels": dict(s.channels),
            "unknown_currency": dict(s.unknown_currency),
            "growth_30d": s.growth_30d,
            "community_split": self.community_split,
            "key_identifiers": [names[i] for i in self.key_identifiers],
            "links": [
                names[j.identifier_id]
                | {"reports": [self.refs[pk].to_json() for pk in j.report_pks]}
                for j in self.joins
            ],
            "spanning_links": [
                {
                    "identifier": names[link.identifier_id],
                    "a": self.refs[link.report_a].to_json(),
                    "b": self.refs[link.report_b].to_json(),
                }
                for link in self.spanning
            ],
            "not_linking": [
                {
                    "kind": n.kind,
                    "canonical": n.canonical,
                    "reason": n.reason,
                    "detail": n.detail,
                    "report_count": n.report_count,
                }
                for n in self.not_linking
            ],
            "events": [
                {
                    "at": _iso(e.at),
                    "kind": e.kind,
                    "other_ids": list(e.other_ids),
                    "detail": e.detail,
                }
                for e in self.events
            ],
        }
        if self.redirected_from is not None:
            out["redirected_from"] = self.redirected_from
        return out


def shown_network(
    conn: Connection, viewer: Viewer, network_id: int, rates: Rates | None
) -> tuple[int, list[ReportFacts], bool]:
    """The network NETWORK_ID names for VIEWER: (the id it is shown under, its visible members'
    facts, community_split). A part id (`bigfish.linking.parts`) names the part that holds its
    anchor now (the report of its part row, or once that is deleted the earliest of its ring
    reports in a network); a merged id the network that absorbed it, for a viewer only when that
    one is shown whole (else which part would tell what joined them), or else the part holding
    its anchor (its row gone with its report, not yet moved by a link run). A dissolved id, and
    a part id none of whose reports is in a network, name nothing. NotFound otherwise."""
    anchor = _anchor(conn, network_id)
    if anchor is not None:  # a part: wherever its anchor is now
        return _at_anchor(conn, viewer, network_id, *anchor, rates)
    nid, split = _survivor(conn, network_id)
    seen = _visible_members(conn, viewer, [nid], rates)
    facts = seen.get(nid, [])
    whole = len(facts) >= 2 and (nid == network_id or len(seen) == 1)
    if whole and nid != network_id and not viewer.operator:
        whole = len(load_member_graph(conn, [nid]).pk) == len(facts)
    if whole:
        return nid, facts, split
    if nid != network_id and not viewer.operator:
        lost = ring_anchors(conn, [network_id])  # a merged id whose row went with its report
        if network_id in lost:
            return _at_anchor(conn, viewer, network_id, lost[network_id], "merged", rates)
    raise NotFound("network", str(network_id))


def _at_anchor(
    conn: Connection,
    viewer: Viewer,
    network_id: int,
    anchor_pk: int,
    status: str,
    rates: Rates | None,
) -> tuple[int, list[ReportFacts], bool]:
    """`shown_network` of NETWORK_ID (of STATUS), kept findable by the report ANCHOR_PK: the
    part VIEWER is shown that holds it; NotFound when that is none, or it is shown under
    another id and NETWORK_ID is a part id (given only to viewers that see it in parts)."""
    in_network = conn.execute(
        sa.select(network_members.c.network_id).where(network_members.c.report_pk == anchor_pk)
    ).scalar_one_or_none()
    if in_network is None:
        raise NotFound("network", str(network_id))
    nid, split = _survivor(conn, in_network)
    for shown, facts in _visible_members(conn, viewer, [nid], rates).items():
        if not any(f.pk == anchor_pk for f in facts):
            continue
        if shown != network_id and status == "part" and not viewer.operator:
            break  # an id only a viewer that sees the network in parts was given: 404
        return shown, facts, split
    raise NotFound("network", str(network_id))


def _anchor(conn: Connection, network_id: int) -> tuple[int, str] | None:
    """(the report that keeps NETWORK_ID findable, its status) for an id with a part row, or a
    part id whose row went with its report (its ring's anchor, `state.ring_anchors`); None for
    other ids (a merged id without one is found through where it merged). NotFound for a part
    id none of whose reports is in a network, and for a dissolved id."""
    row = conn.execute(
        sa.select(network_parts.c.anchor_pk, networks.c.status)
        .select_from(network_parts)
        .outerjoin(networks, networks.c.id == network_parts.c.id)
        .where(network_parts.c.id == network_id)
    ).first()
    if row is not None:
        if row.status == "dissolved":  # left by a run before retire_networks (until a rebuild)
            raise NotFound("network", str(network_id))
        return int(row.anchor_pk), str(row.status)
    status = conn.execute(
        sa.select(networks.c.status).where(networks.c.id == network_id)
    ).scalar_one_or_none()
    if status != "part":
        return None
    found = ring_anchors(conn, [network_id])
    if network_id not in found:
        raise NotFound("network", str(network_id))
    return found[network_id], status


def _survivor(conn: Connection, network_id: int) -> tuple[int, bool]:
    """Follow merges to the network that absorbed NETWORK_ID; (id, community_split)."""
    seen: set[int] = set()
    current = network_id
    while current not in seen:
        seen.add(current)
        row = conn.execute(sa.select(networks).where(networks.c.id == current)).first()
        if row is None or row.status == "dissolved":
            break
        if row.status == "active":
            return current, bool(row.community_split)
        if row.merged_into is None:
            break
        current = row.merged_into
    raise NotFound("network", str(network_id))


#: What a viewer who is not the operator is told of a hub: the statistic behind it counts every
#: report of the node, some of which it may not see (spec/security-tests.md class 3).
_HUB_TOLD = {
    StopReason.HUB_GROUPS.value: "its reports fall into many separate groups: infrastructure",
    StopReason.HUB_DEGREE.value: "far more reports than rings show: infrastructure",
}


def _not_linking(conn: Connection, pks: list[int], operator: bool) -> list[NotLinking]:
    """The stopped values the reports PKS mention, and why. The operator sees the statistics
    of the hub test and how many reports of the node mention each value now; a viewer sees how
    many of PKS (the members it sees) mention each."""
    query = (
        sa.select(
            stopped_values.c.identifier_id,
            identifiers.c.kind,
            identifiers.c.canonical,
            stopped_values.c.reason,
            stopped_values.c.detail,
            mentions.c.report_pk,
        )
        .join(mentions, mentions.c.identifier_id == stopped_values.c.identifier_id)
        .join(identifiers, identifiers.c.id == stopped_values.c.identifier_id)
    )
    found: dict[tuple[int, str, str, str, str], set[int]] = {}
    for part in chunked(sorted(pks)):
        for ident, kind, canonical, reason, detail, pk in conn.execute(
            query.where(mentions.c.report_pk.in_(part))
        ):
            found.setdefault((ident, kind, canonical, reason, detail), set()).add(pk)
    # The count a link run stored is of its time: an update records a list's or a pin's stop
    # once and never counts it again (nor a hub's, whose stored count is the one it was judged
    # on), so the operator was told one report where two members mention the value.
    counts = _mention_counts(conn, [key[0] for key in found]) if operator else {}
    out = [
        NotLinking(kind, canonical, reason, detail, counts.get(ident, len(members)))
        if operator
        else NotLinking(kind, canonical, reason, _HUB_TOLD.get(reason, detail), len(members))
        for (ident, kind, canonical, reason, detail), members in found.items()
    ]
    return sorted(out, key=lambda n: (-n.report_count, n.kind, n.canonical))


def _mention_counts(conn: Connection, ids: list[int]) -> dict[int, int]:
    """How many reports of the node mention each identifier of IDS (from the index on
    mentions (identifier_id, report_pk) alone)."""
    out: dict[int, int] = {}
    for part in chunked(sorted(set(ids))):
        query = (
            sa.select(mentions.c.identifier_id, sa.func.count(sa.distinct(mentions.c.report_pk)))
            .where(mentions.c.identifier_id.in_(part))
            .group_by(mentions.c.identifier_id)
        )
        out.update((int(i), int(n)) for i, n in conn.execute(query))
    return out


def _events(conn: Connection, network_id: int) -> list[EventView]:
    query = (
        sa.select(network_events)
        .where(network_events.c.network_id == network_id)
        .order_by(network_events.c.id)
    )
    return [
        EventView(utc(r.at), r.kind, tuple(r.other_ids or ()), r.detail or "")
        for r in conn.execute(query)
    ]


def get_network(
    store: Store,
    viewer: Viewer,
    network_id: int,
    *,
    rates: Rates | None = None,
    now: datetime | None = None,
) -> NetworkDetail:
    """Network NETWORK_ID (or the network it merged into) as VIEWER sees it, explained.

    Raises NotFound when the viewer may see fewer than two of its reports."""
    now = now or datetime.now(UTC)
    with store.connect() as conn:
        nid, facts, split = shown_network(conn, viewer, network_id, rates)
        if viewer.operator and rates is None:
            stats = _stored_stats(conn, [nid])[nid]
        else:
            stats = summarize(facts, now)
        pks = [f.pk for f in facts]
        shared = joins(linking_mentions(conn, pks))
        summary = _summary(nid, stats, facts, shared)
        refs = {f.pk: ReportRef(f.org, f.report_id) for f in facts}
        ordered = sorted(pks, key=lambda pk: (refs[pk].org, refs[pk].report_id))
        return NetworkDetail(
            summary=summary,
            community_split=split,
            joins=tuple(shared),
            spanning=tuple(spanning_links(ordered, shared)),
            key_identifiers=tuple(key_identifiers(shared)),
            not_linking=tuple(_not_linking(conn, pks, viewer.operator)),
            events=tuple(_events(conn, nid)) if viewer.operator else (),
            refs=refs,
            redirected_from=network_id if nid != network_id else None,
            redirected_part=nid != network_id and _is_part(conn, network_id),
        )


def _is_part(conn: Connection, network_id: int) -> bool:
    """Whether NETWORK_ID was given out as a viewer's part id (`bigfish.linking.parts`)."""
    status = conn.execute(
        sa.select(networks.c.status).where(networks.c.id == network_id)
    ).scalar_one_or_none()
    return status == "part"

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
from bigfish.linking.loading import chunked, utc
from bigfish.linking.score import ReportFacts, summarize
from bigfish.linking.views import (
    NetworkSummary,
    ReportRef,
    _iso,
    _linking_mentions,
    _stored_stats,
    _summary,
    _visible_members,
)
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions
from bigfish.store.schema_linking import network_events, networks, stopped_values


@dataclass(frozen=True, slots=True)
class NotLinking:
    """A value a member mentions that does not link, and why."""

    kind: str
    canonical: str
    reason: str  # pin | warning_list | hub_groups | hub_degree
    detail: str
    report_count: int


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


def _not_linking(conn: Connection, pks: list[int]) -> list[NotLinking]:
    query = (
        sa.select(
            identifiers.c.kind,
            identifiers.c.canonical,
            stopped_values.c.reason,
            stopped_values.c.detail,
            stopped_values.c.report_count,
        )
        .distinct()
        .join(mentions, mentions.c.identifier_id == stopped_values.c.identifier_id)
        .join(identifiers, identifiers.c.id == stopped_values.c.identifier_id)
    )
    found: set[NotLinking] = set()
    for part in chunked(sorted(pks)):
        for row in conn.execute(query.where(mentions.c.report_pk.in_(part))):
            found.add(NotLinking(*row))
    return sorted(found, key=lambda n: (-n.report_count, n.kind, n.canonical))


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
        nid, split = _survivor(conn, network_id)
        facts: list[ReportFacts] = _visible_members(conn, viewer, [nid], rates).get(nid, [])
        if len(facts) < 2:
            raise NotFound("network", str(network_id))
        if viewer.operator and rates is None:
            stats = _stored_stats(conn, [nid])[nid]
        else:
            stats = summarize(facts, now)
        pks = [f.pk for f in facts]
        shared = joins(_linking_mentions(conn, pks))
        summary = _summary(nid, stats, facts, shared)
        refs = {f.pk: ReportRef(f.org, f.report_id) for f in facts}
        ordered = sorted(pks, key=lambda pk: (refs[pk].org, refs[pk].report_id))
        return NetworkDetail(
            summary=summary,
            community_split=split,
            joins=tuple(shared),
            spanning=tuple(spanning_links(ordered, shared)),
            key_identifiers=tuple(key_identifiers(shared)),
            not_linking=tuple(_not_linking(conn, pks)),
            events=tuple(_events(conn, nid)) if viewer.operator else (),
            refs=refs,
            redirected_from=network_id if nid != network_id else None,
        )

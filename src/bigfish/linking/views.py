"""Networks as a viewer sees them: the ranked list and one network with its explanation.

A network is seen through the reports the viewer may see (``bigfish.sharing.policy``): counts,
countries, organizations, losses and identifiers are computed over visible members only, and a
network with fewer than two visible reports does not exist for that viewer.

The statistics split by audience, which serve every viewer's figures, are in
`bigfish.linking.audience_stats`; their names are re-exported here.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.errors import InputError
from bigfish.fx import Rates
from bigfish.linking.audience_stats import AudienceSplit as AudienceSplit
from bigfish.linking.audience_stats import _in_active_networks as _in_active_networks
from bigfish.linking.audience_stats import _split_rows as _split_rows
from bigfish.linking.audience_stats import audience_split as audience_split
from bigfish.linking.audience_stats import stats_of_parts as stats_of_parts
from bigfish.linking.audience_stats import visible_network_stats as visible_network_stats
from bigfish.linking.explain import Join, MemberMention, joins
from bigfish.linking.loading import chunked, facts_select, iter_facts, raw_rows, utc
from bigfish.linking.parts import linking_mentions, load_member_graph, shown_parts
from bigfish.linking.score import NetworkStats, ReportFacts, summarize
from bigfish.models import iso_z
from bigfish.sharing import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_linking import network_members, networks, stopped_values

DEFAULT_LIMIT = 50


def _iso(value: datetime) -> str:
    return iso_z(value)


@dataclass(frozen=True, slots=True)
class ReportRef:
    """A member report, named as partners name it."""

    org: str
    report_id: str

    def to_json(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"org": self.org, "report_id": self.report_id}


@dataclass(frozen=True, slots=True)
class SharedIdentifier:
    """An identifier shared by member reports, with how many of them mention it."""

    kind: str
    canonical: str
    report_count: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "canonical": self.canonical, "report_count": self.report_count}


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    """One network in the ranked list (the JSON shape of spec/cli.md)."""

    id: int
    stats: NetworkStats
    reports: tuple[ReportRef, ...]
    identifiers: tuple[SharedIdentifier, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form, exactly the keys of `bigfish networks --json`."""
        s = self.stats
        return {
            "id": self.id,
            "score": s.score,
            "reports": [r.to_json() for r in self.reports],
            "report_count": s.report_count,
            "countries": list(s.countries),
            "organizations": list(s.organizations),
            "total_loss_usd": float(s.total_loss_usd),
            "first_seen": _iso(s.first_seen),
            "last_seen": _iso(s.last_seen),
            "identifiers": [i.to_json() for i in self.identifiers],
        }


@dataclass(frozen=True, slots=True)
class NetworkPage:
    """A page of the ranking, with the cursor of the next page (None at the end)."""

    networks: tuple[NetworkSummary, ...]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"networks": [...]}`` as in spec/cli.md, plus ``next_cursor`` when there is more."""
        out: dict[str, Any] = {"networks": [n.to_json() for n in self.networks]}
        if self.next_cursor is not None:
            out["next_cursor"] = self.next_cursor
        return out


def _visible_members(
    conn: Connection, viewer: Viewer, network_ids: Iterable[int] | None, rates: Rates | None
) -> dict[int, list[ReportFacts]]:
    """Facts of the visible members of active networks (of NETWORK_IDS, or all), by the id
    VIEWER is shown them under: a network seen in part is shown as the parts its visible links
    connect (`bigfish.linking.parts`), each of two reports or more."""
    query = _members_query(visible_reports(viewer))
    out: dict[int, list[ReportFacts]] = defaultdict(list)
    chunks: list[list[int] | None] = (
        [None] if network_ids is None else list(chunked(sorted(set(network_ids))))
    )
    for chunk in chunks:
        q = query if chunk is None else query.where(network_members.c.network_id.in_(chunk))
        for fact, (network_id,) in iter_facts(conn, q, rates):
            out[network_id].append(fact)
    seen = {nid: facts for nid, facts in out.items() if len(facts) >= 2}
    if viewer.operator or not seen:
        return seen
    graph = load_member_graph(conn, None if network_ids is None else sorted(seen))
    return _as_shown(conn, seen, graph.cut_for(viewer))


def _as_shown(
    conn: Connection,
    seen: dict[int, list[ReportFacts]],
    cut: dict[int, list[tuple[int, ...]]],
) -> dict[int, list[ReportFacts]]:
    """SEEN (network id -> visible members) with the networks of CUT replaced by their parts,
    under the ids they are shown under (`bigfish.linking.parts`)."""
    for nid, parts in shown_parts(conn, cut).items():
        by_pk = {f.pk: f for f in seen.pop(nid, [])}
        for shown_id, pks in parts:
            seen[shown_id] = [by_pk[pk] for pk in pks]
    return seen


def _members_query(where: ColumnElement[bool] | None) -> sa.Select[Any]:
    return _in_active_networks(facts_select(where).add_columns(network_members.c.network_id))


def _summary(
    nid: int, stats: NetworkStats, facts: list[ReportFacts], shared: list[Join]
) -> NetworkSummary:
    ordered = sorted(facts, key=lambda f: (f.reported_at, f.org, f.report_id))
    return NetworkSummary(
        id=nid,
        stats=stats,
        reports=tuple(ReportRef(f.org, f.report_id) for f in ordered),
        identifiers=tuple(SharedIdentifier(j.kind, j.canonical, len(j.report_pks)) for j in shared),
    )


#: A network's place in the ranking: (score, report count, id), ranked by (-score, -count, id).
_Rank = tuple[float, int, int]


def _rank_key(rank: _Rank) -> tuple[float, int, int]:
    return (-rank[0], -rank[1], rank[2])


def _ranked(entry: tuple[int, float, int]) -> tuple[float, int, int]:
    """The sort key of a ranking entry (id, score, report count)."""
    return _rank_key((entry[1], entry[2], entry[0]))


def _encode_cursor(rank: _Rank) -> str:
    """The next page starts after RANK: a place in the ranking, not a position, so a network
    that enters or leaves the ranking between two pages moves no other across the cut (a
    position repeated or skipped one)."""
    raw = json.dumps([float(rank[0]), int(rank[1]), int(rank[2])]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> _Rank | None:
    if cursor is None:
        return None
    try:
        if not cursor.isascii():
            raise ValueError("not ASCII")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        score, count, nid = json.loads(raw)
        if (
            type(score) not in (int, float)
            or not math.isfinite(score)
            or type(count) is not int
            or type(nid) is not int
            or not (0 <= count < 2**63 and 0 <= nid < 2**63)
        ):
            raise ValueError("not a place in the ranking")
        return float(score), count, nid
    except (ValueError, TypeError):
        raise InputError(
            "cursor must be the next_cursor of a previous page", field="cursor"
        ) from None


def _ranking_for_operator(
    conn: Connection, min_countries: int | None
) -> list[tuple[int, float, int]]:
    query = sa.select(
        networks.c.id, networks.c.score, networks.c.report_count, networks.c.countries
    )
    rows = conn.execute(query.where(networks.c.status == "active")).all()
    return [
        (r.id, r.score, r.report_count)
        for r in rows
        if min_countries is None or len(r.countries or []) >= min_countries
    ]


def stats_from_row(row: Any) -> NetworkStats:
    """The operator's statistics as stored at the last link run."""
    return NetworkStats(
        report_count=row.report_count,
        countries=tuple(row.countries or ()),
        organizations=tuple(row.organizations or ()),
        total_loss_usd=float(row.total_loss_usd),
        unknown_currency=tuple((row.unknown_currency or {}).items()),
        first_seen=utc(row.first_seen),
        last_seen=utc(row.last_seen),
        scam_types=tuple((row.scam_types or {}).items()),
        channels=tuple((row.channels or {}).items()),
        growth_30d=row.growth_30d,
        score=float(row.score),
    )


def _stored_stats(conn: Connection, ids: list[int] | None) -> dict[int, NetworkStats]:
    """Stored statistics of the active networks IDS (all when None)."""
    query = sa.select(networks).where(networks.c.status == "active")
    out: dict[int, NetworkStats] = {}
    for part in [None] if ids is None else list(chunked(ids)):
        q = query if part is None else query.where(networks.c.id.in_(part))
        for row in conn.execute(q):
            out[row.id] = stats_from_row(row)
    return out


_BULK = 500  # a page of more networks than this is read with whole-table queries


def _page_refs(conn: Connection, viewer: Viewer, page: set[int]) -> dict[int, list[ReportRef]]:
    """The visible member reports of every network in PAGE, oldest first, in one query."""
    query = (
        sa.select(
            network_members.c.network_id,
            reports.c.reported_at,
            organizations.c.name,
            reports.c.report_id,
        )
        .join(reports, reports.c.id == network_members.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .join(networks, networks.c.id == network_members.c.network_id)
        .where(networks.c.status == "active", visible_reports(viewer))
    )
    found: dict[int, list[tuple[Any, str, str]]] = defaultdict(list)
    for nid, at, org, report_id in raw_rows(conn, query):
        if nid in page:
            found[nid].append((at, org, report_id))
    return {
        nid: [ReportRef(org, rid) for _, org, rid in sorted(items)] for nid, items in found.items()
    }


def _shown_identifiers(
    conn: Connection, members: dict[int, list[ReportFacts]]
) -> dict[int, list[SharedIdentifier]]:
    """Per shown network of MEMBERS (id -> the reports it holds), the linking identifiers two of
    its reports or more mention, most reports first."""
    shown_of = {f.pk: sid for sid, facts in members.items() for f in facts}
    found: dict[int, list[MemberMention]] = defaultdict(list)
    for m in linking_mentions(conn, shown_of):
        found[shown_of[m.report_pk]].append(m)
    return {
        sid: [SharedIdentifier(j.kind, j.canonical, len(j.report_pks)) for j in joins(mentions)]
        for sid, mentions in found.items()
    }


def _page_identifiers(
    conn: Connection, viewer: Viewer, page: list[int]
) -> dict[int, list[SharedIdentifier]]:
    """Per network of PAGE, the linking identifiers two visible members or more mention."""
    count = sa.func.count(sa.distinct(mentions.c.report_pk))
    query = (
        sa.select(network_members.c.network_id, identifiers.c.kind, identifiers.c.canonical, count)
        .select_from(
            network_members.join(reports, reports.c.id == network_members.c.report_pk)
            .join(mentions, mentions.c.report_pk == network_members.c.report_pk)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .outerjoin(stopped_values, stopped_values.c.identifier_id == mentions.c.identifier_id)
        )
        .where(
            visible_reports(viewer),
            identifiers.c.valid.is_(True),
            stopped_values.c.identifier_id.is_(None),
        )
        .group_by(
            network_members.c.network_id,
            mentions.c.identifier_id,
            identifiers.c.kind,
            identifiers.c.canonical,
        )
        .having(count >= 2)
    )
    wanted = set(page)
    parts: list[list[int] | None] = [None] if len(page) > _BULK else list(chunked(page))
    found: dict[int, list[SharedIdentifier]] = defaultdict(list)
    for part in parts:
        q = query if part is None else query.where(network_members.c.network_id.in_(part))
        for nid, kind, canonical, n in raw_rows(conn, q):
            if nid in wanted:
                found[nid].append(SharedIdentifier(kind, canonical, int(n)))
    for items in found.values():
        items.sort(key=lambda i: (-i.report_count, i.kind, i.canonical))
    return found


def list_networks(
    store: Store,
    viewer: Viewer,
    *,
    top: int | None = None,
    min_countries: int | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    rates: Rates | None = None,
    now: datetime | None = None,
) -> NetworkPage:
    """Networks ranked by score (highest first), as VIEWER sees them; TOP caps the ranking."""
    if top is not None and top < 1:
        raise InputError("top must be at least 1", field="top")
    if limit < 1:
        raise InputError("limit must be at least 1", field="limit")
    after = _decode_cursor(cursor)
    now = now or datetime.now(UTC)
    with store.connect() as conn:
        computed: dict[int, tuple[NetworkStats, list[ReportFacts]]] = {}
        if viewer.operator and rates is None:
            ranking = _ranking_for_operator(conn, min_countries)
        else:
            for nid, facts in _visible_members(conn, viewer, None, rates).items():
                seen = summarize(facts, now)
                if min_countries is None or len(seen.countries) >= min_countries:
                    computed[nid] = (seen, facts)
            ranking = [(nid, s.score, s.report_count) for nid, (s, _) in computed.items()]
        ranking.sort(key=_ranked)
        if top is not None:
            ranking = ranking[:top]
        start = 0
        if after is not None:
            cut = _rank_key(after)
            start = bisect.bisect_right(ranking, cut, key=_ranked)
        page = ranking[start : start + limit]
        page_ids = [r[0] for r in page]
        stats: dict[int, NetworkStats]
        if not (viewer.operator and rates is None):
            stats = {nid: computed[nid][0] for nid in page_ids}
            refs = {
                nid: [
                    ReportRef(f.org, f.report_id)
                    for f in sorted(
                        computed[nid][1], key=lambda f: (f.reported_at, f.org, f.report_id)
                    )
                ]
                for nid in page_ids
            }
            # By what each shown network holds: a part's identifiers are its own reports',
            # never those of the network it was cut from (the others' would tell the link).
            shared = _shown_identifiers(conn, {nid: computed[nid][1] for nid in page_ids})
        else:
            stats = _stored_stats(conn, None if len(page_ids) > _BULK else page_ids)
            refs = _page_refs(conn, viewer, set(page_ids))
            shared = _page_identifiers(conn, viewer, page_ids)
        items = [
            NetworkSummary(nid, stats[nid], tuple(refs[nid]), tuple(shared.get(nid, [])))
            for nid in page_ids
        ]
    more = start + limit < len(ranking)
    last = page[-1] if page else None
    following = _encode_cursor((last[1], last[2], last[0])) if more and last else None
    return NetworkPage(tuple(items), following)

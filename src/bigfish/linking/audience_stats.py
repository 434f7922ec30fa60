"""Network statistics as each audience sees them: every active network's members read once and
tallied per audience (`bigfish.sharing.Audience`), so that one read serves every viewer, and the
statistics of the parts a viewer sees a network in (`bigfish.linking.parts`).

Split from `bigfish.linking.views`, which re-exports what other modules import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.linking.loading import (
    STAT_COLUMNS,
    chunked,
    facts_select,
    iter_facts,
    paused_gc,
    raw_rows,
    utc_value,
)
from bigfish.linking.parts import load_member_graph, shown_parts
from bigfish.linking.score import (
    GROWTH_WINDOW,
    NetworkStats,
    Portion,
    ReportFacts,
    Tally,
    combine,
    summarize,
)
from bigfish.sharing import Audience, Viewer, audience, reached, visible_reports
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_linking import network_members, networks


def _in_active_networks(query: sa.Select[Any]) -> sa.Select[Any]:
    """QUERY over reports, for the members of active networks (network_members joined)."""
    return (
        query.join(network_members, network_members.c.report_pk == reports.c.id)
        .join(networks, networks.c.id == network_members.c.network_id)
        .where(networks.c.status == "active")
    )


@dataclass(frozen=True, slots=True)
class AudienceSplit:
    """The statistics of every active network's members split by audience
    (`bigfish.sharing.Audience`) as of NOW. Reports of one audience are seen by the same
    viewers, so one read of the members serves every viewer (`stats_for`)."""

    now: datetime
    networks: dict[int, tuple[tuple[Audience, Portion], ...]]
    audiences: frozenset[Audience]  # every audience of a portion

    def stats_for(self, viewer: Viewer) -> dict[int, NetworkStats]:
        """The statistics of every network VIEWER sees two reports of or more: the portions of
        the audiences VIEWER is in, combined (`visible_network_stats`)."""
        seen_by = reached(viewer, self.audiences)
        out: dict[int, NetworkStats] = {}
        for nid, parts in self.networks.items():
            seen = [portion for target, portion in parts if target in seen_by]
            if sum(p.stats.report_count for p in seen) >= 2:
                out[nid] = combine(seen)
        return out


def audience_split(
    conn: Connection, now: datetime, where: ColumnElement[bool] | None = None
) -> AudienceSplit:
    """Every active network's members (those matching WHERE, or all) tallied per audience as of
    NOW, added up as the rows stream from the driver instead of through a fact object each."""
    query = _in_active_networks(
        sa.select(
            reports.c.org_id,
            *STAT_COLUMNS,
            network_members.c.network_id,
            reports.c.distribution,
            reports.c.tlp,
            reports.c.group_id,
        )
    )
    if where is not None:
        query = query.where(where)
    names = {
        org_id: name
        for org_id, name in conn.execute(sa.select(organizations.c.id, organizations.c.name))
    }
    with paused_gc():  # fetched in smaller chunks: the rows are a third of the peak memory
        return _split_rows(raw_rows(conn, query, size=20_000), names, now)


def _split_rows(
    rows: Iterable[tuple[Any, ...]], names: dict[int, str], now: datetime
) -> AudienceSplit:
    """The split of ROWS (the columns of `audience_split`'s query; NAMES: organizations by id).

    Rows usually come a network at a time (the join is driven by the networks): each network's
    tallies become portions as soon as the next network starts, so that only one network's are
    alive at once (it halves the peak memory at a million reports). A network met again later
    has its new portions combined with the earlier ones, so any order gives the same split."""
    since = now - GROWTH_WINDOW
    # Audiences are numbered as they appear: a small int is cheaper to hash than the dataclass.
    numbers: dict[tuple[Any, ...], int] = {}
    audiences: list[Audience] = []
    done: dict[int, dict[int, Portion]] = {}
    current: int | None = None
    tallies: dict[int, Tally] = {}
    for row in rows:
        org_id, country, at, stored, amount, currency, kind, channel, nid = row[:9]
        marking = (org_id, *row[9:])
        number = numbers.get(marking)
        if number is None:
            number = numbers[marking] = _number(audiences, audience(*marking))
        if nid != current:
            if current is not None:
                _finish(done.setdefault(current, {}), tallies)
            current, tallies = nid, {}
        tally = tallies.get(number)
        if tally is None:
            tally = tallies[number] = Tally(now, since)
        tally.add(
            names[org_id],
            country,
            at if at.__class__ is datetime and at.tzinfo is UTC else utc_value(at),
            None if stored is None else float(stored),
            currency if amount is not None else None,
            kind,
            channel,
        )
    if current is not None:
        _finish(done.setdefault(current, {}), tallies)
    return AudienceSplit(
        now,
        {
            nid: tuple((audiences[number], portion) for number, portion in parts.items())
            for nid, parts in done.items()
        },
        frozenset(audiences),
    )


def _finish(parts: dict[int, Portion], tallies: dict[int, Tally]) -> None:
    """Add the portions of TALLIES (by audience number) to a network's PARTS."""
    for number, tally in tallies.items():
        portion = tally.portion()
        earlier = parts.get(number)
        parts[number] = (
            portion
            if earlier is None
            else Portion(combine([earlier, portion]), earlier.losses + portion.losses)
        )


def _number(audiences: list[Audience], target: Audience) -> int:
    """TARGET's index in AUDIENCES, appended when new (markings that differ share audiences)."""
    try:
        return audiences.index(target)
    except ValueError:
        audiences.append(target)
        return len(audiences) - 1


def stats_of_parts(
    conn: Connection,
    stats: dict[int, NetworkStats],
    cut: dict[int, list[tuple[int, ...]]],
    now: datetime,
) -> dict[int, NetworkStats]:
    """STATS (by network id) with the networks of CUT (`MemberGraph.cut_for`) replaced by
    their parts' statistics as of NOW, under the ids they are shown under."""
    shown = shown_parts(conn, cut)
    pks = sorted({pk for parts in shown.values() for _, group in parts for pk in group})
    facts: dict[int, ReportFacts] = {}
    for chunk in chunked(pks):
        for fact, _ in iter_facts(conn, facts_select(reports.c.id.in_(chunk)), None):
            facts[fact.pk] = fact
    out = dict(stats)
    for nid, parts in shown.items():
        out.pop(nid, None)
        for shown_id, group in parts:
            out[shown_id] = summarize([facts[pk] for pk in group], now)
    return out


def visible_network_stats(
    conn: Connection, viewer: Viewer, now: datetime
) -> dict[int, NetworkStats]:
    """`summarize` of every active network's visible members (two or more) as of NOW: the same
    statistics as from `_visible_members`, read once (`audience_split` of the visible rows)."""
    stats = audience_split(conn, now, visible_reports(viewer)).stats_for(viewer)
    cut = load_member_graph(conn).cut_for(viewer) if stats and not viewer.operator else {}
    return stats_of_parts(conn, stats, cut, now) if cut else stats

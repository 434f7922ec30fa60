"""What an incremental update reaches (`bigfish.linking.incremental`): the stops of the values
its changed reports mention, the reports and networks those values and stops lead to, and the
values an earlier group test stopped that are to be tested again."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.linking import state
from bigfish.linking.hubs import HubPolicy, StopReason
from bigfish.linking.loading import chunked, fetch_pairs
from bigfish.linking.warninglists import WarningLists
from bigfish.store.schema import identifiers, mentions
from bigfish.store.schema_linking import network_members, networks, stopped_values


def _select_ints(conn: Connection, query: sa.Select[Any]) -> set[int]:
    return {int(row[0]) for row in conn.execute(query)}


def _in_chunks(
    conn: Connection, column: sa.Column[int], wanted: set[int], select: sa.Select[Any]
) -> set[int]:
    out: set[int] = set()
    for part in chunked(sorted(wanted)):
        out |= _select_ints(conn, select.where(column.in_(part)))
    return out


def _new_stops(
    conn: Connection,
    values: set[int],
    lists: WarningLists,
    pinned: Mapping[int, tuple[bool, str]],
    cap: int | None,
    policy: HubPolicy,
) -> tuple[dict[int, state.Stop], set[int]]:
    """Stops of VALUES not recorded yet (lists, pins, degree) and the values that link."""
    known = state.stopped(conn, list(values))
    names = _identifier_rows(conn, values)
    new: dict[int, state.Stop] = {}
    linking: set[int] = set()
    for ident, (kind, canonical, valid) in names.items():
        pin = pinned.get(ident)
        if pin is not None:
            if pin[0]:
                linking.add(ident)
            elif not _stopped_as_pinned(known.get(ident), pin[1]):
                new[ident] = state.Stop(StopReason.PIN, _pin_detail(pin[1]), 0)
            continue
        if not valid or ident in known:
            continue
        name = lists.match(kind, canonical)
        if name is not None:
            new[ident] = state.Stop(StopReason.WARNING_LIST, name, 0)
        else:
            linking.add(ident)
    degree = _report_counts(conn, linking | set(new))
    if policy.statistical and cap is not None:
        for ident in sorted(linking):
            if degree.get(ident, 0) > cap and not pinned.get(ident, (False, ""))[0]:
                linking.discard(ident)
                new[ident] = state.Stop(
                    StopReason.HUB_DEGREE,
                    f"mentioned by {degree[ident]} reports, above the limit of {cap}",
                    0,
                )
    new = {i: state.Stop(s.reason, s.detail, degree.get(i, 0)) for i, s in new.items()}
    return new, linking


def _pin_detail(note: str) -> str:
    return note or "pinned as not linking"


def _stopped_as_pinned(stop: state.Stop | None, note: str) -> bool:
    """True when STOP is already the stop of a value pinned as not linking with NOTE (a rebuild
    records the pin, with its note, over a list's or the hub test's reason)."""
    return stop is not None and stop.reason is StopReason.PIN and stop.detail == _pin_detail(note)


def _report_counts(conn: Connection, ids: set[int]) -> dict[int, int]:
    """How many reports mention each identifier of IDS (those mentioned at all)."""
    degree: dict[int, int] = {}
    for part in chunked(sorted(ids)):
        query = (
            sa.select(mentions.c.identifier_id, sa.func.count(sa.distinct(mentions.c.report_pk)))
            .where(mentions.c.identifier_id.in_(part))
            .group_by(mentions.c.identifier_id)
        )
        degree.update({int(i): int(n) for i, n in conn.execute(query)})
    return degree


def _identifier_rows(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, bool]]:
    out: dict[int, tuple[str, str, bool]] = {}
    for part in chunked(sorted(ids)):
        query = sa.select(
            identifiers.c.id, identifiers.c.kind, identifiers.c.canonical, identifiers.c.valid
        ).where(identifiers.c.id.in_(part))
        out.update({r.id: (r.kind, r.canonical, bool(r.valid)) for r in conn.execute(query)})
    return out


def _lifted_reports(
    conn: Connection, affected: set[int], pinned: Mapping[int, tuple[bool, str]]
) -> set[int]:
    """Every report of the values pinned as linking whose stop is still recorded and that a
    report of AFFECTED mentions (pins are few: their stops and mentions are read, not the
    affected reports' values)."""
    stopped_pins = state.stopped(conn, [i for i, (link, _) in pinned.items() if link])
    if not stopped_pins:
        return set()
    pairs = _mentions_of(conn, set(stopped_pins))
    hit = {value for pk, value in pairs if pk in affected}
    return {pk for pk, value in pairs if value in hit}


def _networks_of(conn: Connection, report_pks: set[int]) -> set[int]:
    """The networks REPORT_PKS are members of."""
    member = network_members.c
    return _in_chunks(conn, member.report_pk, report_pks, sa.select(member.network_id))


def _any_community_split(conn: Connection, network_ids: set[int]) -> bool:
    """True when a network of NETWORK_IDS was split out of a larger component by Leiden."""
    query = sa.select(networks.c.id).where(networks.c.community_split.is_(True))
    return bool(_in_chunks(conn, networks.c.id, network_ids, query))


_LINKING_VALUES = (
    sa.select(mentions.c.identifier_id)
    .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
    .outerjoin(stopped_values, stopped_values.c.identifier_id == mentions.c.identifier_id)
    .where(identifiers.c.valid.is_(True), stopped_values.c.identifier_id.is_(None))
)


def _component_of(conn: Connection, report_pks: set[int]) -> set[int]:
    """REPORT_PKS and every report joined to them, transitively, by a value that links (valid,
    no stop recorded) or by membership of one network: their whole component."""
    seen, frontier, values_seen = set(report_pks), set(report_pks), set[int]()
    while frontier:
        values = _in_chunks(conn, mentions.c.report_pk, frontier, _LINKING_VALUES) - values_seen
        values_seen |= values
        found = _in_chunks(conn, mentions.c.identifier_id, values, sa.select(mentions.c.report_pk))
        found |= _members_of(conn, _networks_of(conn, found - seen))
        frontier = found - seen
        seen |= frontier
    return seen


def _members_of(conn: Connection, network_ids: set[int]) -> set[int]:
    """Every member report of NETWORK_IDS."""
    member = network_members.c
    return _in_chunks(conn, member.network_id, network_ids, sa.select(member.report_pk))


def _regrown(conn: Connection, values: set[int], policy: HubPolicy) -> set[int]:
    """Values of VALUES an earlier group test stopped that have since been mentioned by a level
    more reports (`HubPolicy.level_ratio` times as many as when stopped): judged on fewer
    reports than there are now. A real hub is tested again at geometric intervals only."""
    earlier = state.stopped(conn, sorted(values))
    judged = {i: s.report_count for i, s in earlier.items() if s.reason is StopReason.HUB_GROUPS}
    if not judged:
        return set()
    grown: set[int] = set()
    for part in chunked(sorted(judged)):
        query = (
            sa.select(mentions.c.identifier_id, sa.func.count(sa.distinct(mentions.c.report_pk)))
            .where(mentions.c.identifier_id.in_(part))
            .group_by(mentions.c.identifier_id)
        )
        for ident, count in conn.execute(query):
            if int(count) >= math.ceil(judged[int(ident)] * policy.level_ratio):
                grown.add(int(ident))
    return grown


def _judged_beside(conn: Connection, group_stops: Mapping[int, state.Stop]) -> set[int]:
    """Values an earlier group test stopped that share a report with a value this update has
    just stopped as a hub: they were judged against groups that the hub glued together (a bank's
    site, still rare, joining a ring's report to another ring's), and may link without it."""
    hubs = {i for i, s in group_stops.items() if s.reason is StopReason.HUB_GROUPS}
    if not hubs:
        return set()
    beside = _in_chunks(conn, mentions.c.identifier_id, hubs, sa.select(mentions.c.report_pk))
    values = _in_chunks(conn, mentions.c.report_pk, beside, sa.select(mentions.c.identifier_id))
    earlier = state.stopped(conn, sorted(values - hubs))
    return {i for i, s in earlier.items() if s.reason is StopReason.HUB_GROUPS}


def _mentions_of(conn: Connection, values: set[int]) -> list[tuple[int, int]]:
    """(report_pk, identifier_id) of every mention of VALUES."""
    out: list[tuple[int, int]] = []
    for part in chunked(sorted(values)):
        pks, idents = fetch_pairs(
            conn,
            sa.select(mentions.c.report_pk, mentions.c.identifier_id).where(
                mentions.c.identifier_id.in_(part)
            ),
        )
        out.extend(zip(pks.tolist(), idents.tolist(), strict=True))
    return out

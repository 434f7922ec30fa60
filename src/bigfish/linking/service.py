"""The store-facing seam of linking: full rebuild, incremental update, pins.

``rebuild_networks`` reads every mention in one SELECT into numpy arrays, runs the warning lists,
pins and hub test, the connected components (scipy) and Leiden on implausibly large components,
then writes networks, members, events and stops in one transaction. ``update_networks`` links only
the reports changed since the last run and the networks they touch; the hub test's degree limit
from the last rebuild applies, the group test waits for the next rebuild (``bigfish link``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.fx import Rates
from bigfish.identifiers import normalize
from bigfish.linking import bulk, state
from bigfish.linking.detail import NetworkDetail, get_network
from bigfish.linking.graph import (
    IntArray,
    MentionGraph,
    report_components,
    sorted_unique_inverse,
)
from bigfish.linking.hubs import HubPolicy, StopReason, find_hubs
from bigfish.linking.loading import (
    all_mentions,
    chunked,
    fetch_pairs,
    fetch_table_pairs,
    report_facts,
    utc,
)
from bigfish.linking.networks import (
    EventKind,
    IdAssignment,
    assign_ids,
    members_by_label,
    partition,
)
from bigfish.linking.score import summarize
from bigfish.linking.views import NetworkPage, list_networks
from bigfish.linking.warninglists import (
    WarningLists,
    load_warning_lists,
    no_warning_lists,
    operator_list_dirs,
)
from bigfish.models import Kind
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports
from bigfish.store.schema_linking import link_pins, network_members

__all__ = [
    "LinkSummary",
    "NetworkDetail",
    "NetworkPage",
    "get_network",
    "list_networks",
    "pin_value",
    "rebuild_networks",
    "update_networks",
]


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """What a link run did."""

    mode: str  # rebuild | update
    reports_considered: int
    networks_touched: int
    created: int
    merged: int
    split: int
    dissolved: int
    stopped_values: int
    seconds: float

    def to_json(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "mode": self.mode,
            "reports_considered": self.reports_considered,
            "networks_touched": self.networks_touched,
            "created": self.created,
            "merged": self.merged,
            "split": self.split,
            "dissolved": self.dissolved,
            "stopped_values": self.stopped_values,
            "seconds": round(self.seconds, 3),
        }


def _lists(policy: HubPolicy, warning_lists: WarningLists | None) -> WarningLists:
    if not policy.warning_lists:
        return no_warning_lists()
    if warning_lists is not None:
        return warning_lists
    return load_warning_lists(operator_list_dirs())


def _summary(
    mode: str, considered: int, assignment: IdAssignment, stops: int, started: float
) -> LinkSummary:
    kinds = [e.kind for e in assignment.events]
    return LinkSummary(
        mode=mode,
        reports_considered=considered,
        networks_touched=len(assignment.ids),
        created=kinds.count(EventKind.CREATED),
        merged=kinds.count(EventKind.MERGED),
        split=kinds.count(EventKind.SPLIT),
        dissolved=kinds.count(EventKind.DISSOLVED),
        stopped_values=stops,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True, slots=True)
class _Outcome:
    assignment: IdAssignment
    pairs: list[tuple[int, int]]  # (report_pk, network_id)
    members: dict[int, list[int]]  # network id -> report pks
    community_split: set[int]  # network ids split out by Leiden


def _link(
    report_keys: IntArray,
    graph: MentionGraph,
    linking: np.ndarray,
    old_ids: IntArray,
    next_id: int,
    policy: HubPolicy,
) -> _Outcome:
    """Components, community split and stable ids over GRAPH (pure)."""
    linked = graph.restricted(linking)
    parts = partition(
        linked,
        report_components(linked),
        max_reports=policy.max_network_reports,
        split=policy.community_split,
    )
    assignment = assign_ids(parts.labels, old_ids, next_id)
    members: dict[int, list[int]] = {}
    pairs: list[tuple[int, int]] = []
    for label, idx in members_by_label(parts.labels).items():
        nid = assignment.ids[label]
        pks = report_keys[idx].tolist()
        members[nid] = pks
        pairs.extend((pk, nid) for pk in pks)
    split = {assignment.ids[label] for label in parts.community_split}
    return _Outcome(assignment, pairs, members, split)


def _write(conn: Connection, outcome: _Outcome, rates: Rates | None, now: datetime) -> None:
    """Statistics of every touched network, then rows, retirements and events."""
    pks = [pk for m in outcome.members.values() for pk in m]
    facts = report_facts(conn, pks, rates)
    created = state.created_times(conn, list(outcome.members))
    rows = []
    for nid, member_pks in outcome.members.items():
        stats = summarize((facts[pk] for pk in member_pks), now)
        rows.append(
            state.network_row(
                nid, stats, created.get(nid, now), now, nid in outcome.community_split
            )
        )
    state.write_members(conn, outcome.pairs)
    state.replace_networks(conn, rows, outcome.assignment.retired, now)
    state.write_events(conn, outcome.assignment.events, now)


def rebuild_networks(
    store: Store,
    *,
    rates: Rates | None = None,
    now: datetime | None = None,
    policy: HubPolicy | None = None,
    warning_lists: WarningLists | None = None,
) -> LinkSummary:
    """Relink every report from scratch (ids stay stable; merges and splits are recorded)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    policy = policy or HubPolicy()
    lists = _lists(policy, warning_lists)
    with store.begin() as conn:
        watermark = conn.execute(sa.select(sa.func.max(reports.c.updated_at))).scalar()
        report_pk, ident_id = all_mentions(conn)
        old_pk, old_net = fetch_table_pairs(conn, "network_members", "report_pk", "network_id")
        invalid = [
            row.id for row in conn.execute(sa.select(identifiers.c.id).where(~identifiers.c.valid))
        ]
        listed = state.listed_identifiers(conn, lists)
        pinned = state.pins(conn)
        report_keys = np.unique(np.concatenate([report_pk, old_pk]))
        value_keys, value_idx = sorted_unique_inverse(ident_id)
        graph = MentionGraph.build(
            np.searchsorted(report_keys, report_pk), value_idx, report_keys.size, value_keys.size
        )
        degrees = graph.degrees()

        def positions(ids: list[int]) -> IntArray:
            arr = np.asarray(sorted(ids), dtype=np.int64)
            at = np.searchsorted(value_keys, arr)
            at = np.clip(at, 0, max(value_keys.size - 1, 0))
            return at[value_keys[at] == arr] if value_keys.size else at[:0]

        eligible = np.ones(value_keys.size, dtype=np.bool_)
        eligible[positions(invalid)] = False
        eligible[positions(list(listed))] = False
        eligible[positions(list(pinned))] = False
        verdict = find_hubs(graph, eligible, policy)
        linking = verdict.linking.copy()
        stops: dict[int, state.Stop] = {}
        for v in positions(list(pinned)).tolist():
            ident = int(value_keys[v])
            link, note = pinned[ident]
            linking[v] = link
            if not link:
                stops[ident] = state.Stop(StopReason.PIN, note or "pinned as not linking", 0)
        for v in positions(list(listed)).tolist():
            ident = int(value_keys[v])
            stops.setdefault(ident, state.Stop(StopReason.WARNING_LIST, listed[ident], 0))
        for v, why in enumerate(verdict.reason):
            if why is not None:
                stops[int(value_keys[v])] = state.Stop(why, verdict.detail[v], 0)
        value_pos = {int(value_keys[v]): v for v in positions(list(stops)).tolist()}
        stops = {
            ident: state.Stop(s.reason, s.detail, int(degrees[value_pos[ident]]))
            for ident, s in stops.items()
            if ident in value_pos
        }
        old_ids = np.full(report_keys.size, -1, dtype=np.int64)
        old_ids[np.searchsorted(report_keys, old_pk)] = old_net
        outcome = _link(report_keys, graph, linking, old_ids, state.next_network_id(conn), policy)
        state.delete_members(conn, None)
        columns = bulk.report_columns(conn, rates)
        rows = bulk.network_rows(
            columns, outcome.members, bulk.all_created_times(conn), outcome.community_split, now
        )
        bulk.copy_members(conn, outcome.pairs)
        bulk.replace_all_networks(conn, rows, outcome.assignment.retired, now)
        state.write_events(conn, outcome.assignment.events, now)
        state.write_stops(conn, stops, replace_all=True)
        state.write_state(
            conn, utc(watermark) if watermark else None, verdict.degree_cap, now, rebuilt=True
        )
    return _summary("rebuild", int(report_keys.size), outcome.assignment, len(stops), started)


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
            elif ident not in known:
                new[ident] = state.Stop(StopReason.PIN, pin[1] or "pinned as not linking", 0)
            continue
        if not valid or ident in known:
            continue
        name = lists.match(kind, canonical)
        if name is not None:
            new[ident] = state.Stop(StopReason.WARNING_LIST, name, 0)
        else:
            linking.add(ident)
    degree: dict[int, int] = {}
    for part in chunked(sorted(linking | set(new))):
        query = (
            sa.select(mentions.c.identifier_id, sa.func.count(sa.distinct(mentions.c.report_pk)))
            .where(mentions.c.identifier_id.in_(part))
            .group_by(mentions.c.identifier_id)
        )
        degree.update({int(i): int(n) for i, n in conn.execute(query)})
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


def _identifier_rows(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, bool]]:
    out: dict[int, tuple[str, str, bool]] = {}
    for part in chunked(sorted(ids)):
        query = sa.select(
            identifiers.c.id, identifiers.c.kind, identifiers.c.canonical, identifiers.c.valid
        ).where(identifiers.c.id.in_(part))
        out.update({r.id: (r.kind, r.canonical, bool(r.valid)) for r in conn.execute(query)})
    return out


def update_networks(
    store: Store,
    *,
    rates: Rates | None = None,
    now: datetime | None = None,
    policy: HubPolicy | None = None,
    warning_lists: WarningLists | None = None,
) -> LinkSummary:
    """Link the reports changed since the last run, touching only the networks they reach."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    policy = policy or HubPolicy()
    with store.connect() as conn:
        current = state.read_state(conn)
    if current is None:
        return rebuild_networks(
            store, rates=rates, now=now, policy=policy, warning_lists=warning_lists
        )
    with store.begin() as conn:
        query = sa.select(reports.c.id, reports.c.updated_at)
        if current.watermark is not None:
            query = query.where(reports.c.updated_at > current.watermark)
        changed_rows = conn.execute(query).all()
        if not changed_rows:
            empty = IdAssignment({}, [], {}, 0)
            return _summary("update", 0, empty, 0, started)
        changed = {int(r.id) for r in changed_rows}
        watermark = max(utc(r.updated_at) for r in changed_rows)
        lists = _lists(policy, warning_lists)
        pinned = state.pins(conn)
        first_values = _in_chunks(
            conn, mentions.c.report_pk, changed, sa.select(mentions.c.identifier_id)
        )
        new_stops, first_linking = _new_stops(
            conn, first_values, lists, pinned, current.degree_cap, policy
        )
        reached = changed | _in_chunks(
            conn, mentions.c.identifier_id, first_linking, sa.select(mentions.c.report_pk)
        )
        touched = _in_chunks(
            conn, network_members.c.report_pk, reached, sa.select(network_members.c.network_id)
        )
        affected = reached | _in_chunks(
            conn, network_members.c.network_id, touched, sa.select(network_members.c.report_pk)
        )
        outcome = _relink(conn, affected, new_stops, pinned, policy)
        state.delete_members(conn, sorted(affected))
        _write(conn, outcome, rates, now)
        state.write_stops(conn, new_stops, replace_all=False)
        state.write_state(conn, watermark, current.degree_cap, now, rebuilt=False)
    return _summary("update", len(affected), outcome.assignment, len(new_stops), started)


def _relink(
    conn: Connection,
    affected: set[int],
    new_stops: Mapping[int, state.Stop],
    pinned: Mapping[int, tuple[bool, str]],
    policy: HubPolicy,
) -> _Outcome:
    """Components and ids over the AFFECTED reports only."""
    pk_parts: list[IntArray] = []
    id_parts: list[IntArray] = []
    old_pk_parts: list[IntArray] = []
    old_net_parts: list[IntArray] = []
    for part in chunked(sorted(affected)):
        p, i = fetch_pairs(
            conn,
            sa.select(mentions.c.report_pk, mentions.c.identifier_id).where(
                mentions.c.report_pk.in_(part)
            ),
        )
        pk_parts.append(p)
        id_parts.append(i)
        op, on = fetch_pairs(
            conn,
            sa.select(network_members.c.report_pk, network_members.c.network_id).where(
                network_members.c.report_pk.in_(part)
            ),
        )
        old_pk_parts.append(op)
        old_net_parts.append(on)
    report_pk = np.concatenate(pk_parts)
    ident_id = np.concatenate(id_parts)
    report_keys = np.asarray(sorted(affected), dtype=np.int64)
    value_keys, value_idx = np.unique(ident_id, return_inverse=True)
    graph = MentionGraph.build(
        np.searchsorted(report_keys, report_pk), value_idx, report_keys.size, value_keys.size
    )
    ids = [int(x) for x in value_keys.tolist()]
    known = state.stopped(conn, ids)
    invalid = _in_chunks(
        conn, identifiers.c.id, set(ids), sa.select(identifiers.c.id).where(~identifiers.c.valid)
    )
    linking = np.array(
        [
            pinned[i][0]
            if i in pinned
            else (i not in known and i not in new_stops and i not in invalid)
            for i in ids
        ],
        dtype=np.bool_,
    )
    old_pk = np.concatenate(old_pk_parts)
    old_ids = np.full(report_keys.size, -1, dtype=np.int64)
    old_ids[np.searchsorted(report_keys, old_pk)] = np.concatenate(old_net_parts)
    return _link(report_keys, graph, linking, old_ids, state.next_network_id(conn), policy)


def pin_value(
    store: Store,
    kind: str,
    value: str,
    *,
    link: bool,
    note: str | None = None,
    country: str | None = None,
) -> tuple[str, str]:
    """Pin VALUE (normalized as KIND) as linking or not; returns (canonical kind, canonical).

    Takes effect at the next `bigfish link` (rebuild)."""
    try:
        parsed = Kind(kind)
    except ValueError:
        raise InputError(f"unknown kind {kind!r}", field="kind") from None
    ident = normalize(parsed, value, country)
    if not ident.valid:
        raise InputError(f"not a valid {kind}: {ident.error}", field="value")
    key = (ident.canonical_kind.value, ident.canonical)
    with store.begin() as conn:
        conn.execute(
            link_pins.delete().where(link_pins.c.kind == key[0], link_pins.c.canonical == key[1])
        )
        conn.execute(
            link_pins.insert().values(
                kind=key[0], canonical=key[1], link=link, note=note, created_at=datetime.now(UTC)
            )
        )
    return key

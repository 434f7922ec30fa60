"""The store-facing seam of linking: full rebuild, incremental update, pins.

``rebuild_networks`` reads every mention in one SELECT into numpy arrays, runs the warning lists,
pins and hub test, the connected components (scipy) and Leiden on implausibly large components,
then writes networks, members, events and stops in one transaction. ``update_networks``
(``incremental.py``) links only the reports changed since the last run and the networks they
touch. Listing and explaining networks live in ``views.py`` and ``detail.py``; their functions are
re-exported here so that callers need one module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.fx import Rates, operator_rates
from bigfish.identifiers import normalize
from bigfish.linking import bulk, state
from bigfish.linking.detail import NetworkDetail, get_network
from bigfish.linking.graph import (
    IntArray,
    MentionGraph,
    sorted_unique_inverse,
)
from bigfish.linking.hubs import HubPolicy, StopReason, find_hubs
from bigfish.linking.incremental import update_networks
from bigfish.linking.loading import (
    all_mentions,
    fetch_table_pairs,
)
from bigfish.linking.runs import (
    LinkSummary,
    _link,
    _lists,
    _Outcome,
    _summary,
    with_emptied,
)
from bigfish.linking.views import NetworkPage, list_networks
from bigfish.linking.warninglists import (
    WarningLists,
)
from bigfish.models import Kind
from bigfish.store import Store
from bigfish.store.schema import identifiers
from bigfish.store.schema_linking import link_pins

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


def rebuild_networks(
    store: Store,
    *,
    rates: Rates | None = None,
    now: datetime | None = None,
    policy: HubPolicy | None = None,
    warning_lists: WarningLists | None = None,
) -> LinkSummary:
    """Relink every report from scratch (ids stay stable; merges and splits are recorded).
    RATES None: the node's table (BIGFISH_RATES), else the losses stored at ingest."""
    started = time.perf_counter()
    rates = rates if rates is not None else operator_rates()
    now = now or datetime.now(UTC)
    policy = policy or HubPolicy()
    lists = _lists(policy, warning_lists)
    with store.begin() as conn:
        state.lock_linking(conn)  # one link run at a time; everything is read after it
        # Read once no writer is in flight: every report stamped up to it has committed (and is
        # read below); one stamped later is found by the next update, read here or not. So is a
        # deletion: one begun before is seen, a later one's withdrawal is later than `withdrawn`.
        bounds = state.settled(conn)
        watermark = bounds.watermark
        while True:
            plan = _plan(conn, watermark, lists, policy)
            outcome = plan.outcome
            written = {pk for pk, _ in outcome.pairs}
            written |= {pk for pks in outcome.absorbed.values() for pk in pks}
            written |= {pk for pks in outcome.rings.values() for pk in pks}
            if len(state.hold_reports(conn, written)) == len(written):
                break
            # A report was deleted since it was read: everything is read again. Each pass
            # holds more reports, and one is repeated only when a report it read and had not
            # held yet was deleted meanwhile.
        state.delete_members(conn, None)
        columns = bulk.report_columns(conn, rates)
        rows = bulk.network_rows(
            columns, outcome.members, bulk.all_created_times(conn), outcome.community_split, now
        )
        bulk.copy_members(conn, outcome.pairs)
        state.revive(conn, outcome.assignment.revived)
        bulk.replace_all_networks(conn, rows, outcome.assignment.retired, now)
        state.forget_dissolved(conn)
        state.write_events(conn, outcome.assignment.events, now)
        state.keep_part_ids(conn, outcome.absorbed)
        state.record_rings(conn, outcome.rings)
        state.move_part_rows(conn, outcome.anchored)
        state.write_stops(conn, plan.stops, replace_all=True)
        state.write_state(
            conn, plan.watermark, plan.degree_cap, now, rebuilt=True, withdrawn=bounds.withdrawn
        )
    return _summary("rebuild", plan.considered, outcome.assignment, len(plan.stops), started)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a rebuild will write, from what it read."""

    watermark: str | None
    considered: int  # reports read
    outcome: _Outcome
    stops: dict[int, state.Stop]
    degree_cap: int | None


def _plan(conn: Connection, watermark: str | None, lists: WarningLists, policy: HubPolicy) -> _Plan:
    """Read every mention and membership and link them (writes nothing); WATERMARK, read
    before, is what the plan will have linked."""
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
        if ident not in pinned:  # a pin overrides the lists (docs/warninglists.md)
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
    rings = state.ring_reports(conn, report_keys, old_ids, every=True)
    next_id = state.next_network_id(conn)
    outcome = _link(report_keys, graph, linking, old_ids, next_id, policy, rings)
    emptied = state.active_network_ids(conn) - set(np.unique(old_net).tolist())
    outcome = replace(outcome, assignment=with_emptied(outcome.assignment, emptied))
    return _Plan(watermark, int(report_keys.size), outcome, stops, verdict.degree_cap)


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

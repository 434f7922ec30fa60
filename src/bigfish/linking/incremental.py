"""The incremental update: link only the reports changed since the last run.

New reports that join one network (the common case of an ingest) only add members and extend
the stored statistics; anything else (an updated report, a merge, a new hub) relinks the affected
networks in full. The degree limit of the last rebuild applies to new values; when networks are
relinked, the group test runs over them, so a value that would join reports scattered over
several rings is stopped before it merges them. Every report of a linking value lies in the
affected networks, so its degree and groups are its whole ones; only the degree levels the test
walks come from these networks rather than from the whole graph, so a later rebuild
(``bigfish link``) can still differ at the margin. A value an earlier group test stopped is
tested again, over all its reports, when a level more reports mention it (``level_ratio`` times
as many as when it was stopped) or when a value beside it (in one of its reports) is found to be
the hub: it may have been judged on the first few reports, or against groups the hub glued.
What an update reaches (the new stops, the reports and networks they lead to, the values to test
again) is found in ``affected.py``; this module decides between growing one network and
relinking, and does either.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.fx import Rates, operator_rates
from bigfish.linking import state
from bigfish.linking.affected import (
    _any_community_split,
    _component_of,
    _in_chunks,
    _judged_beside,
    _lifted_reports,
    _members_of,
    _mentions_of,
    _networks_of,
    _new_stops,
    _pin_detail,
    _regrown,
    _report_counts,
    _stopped_as_pinned,
)
from bigfish.linking.aging import age_networks, start_of_day
from bigfish.linking.graph import (
    BoolArray,
    IntArray,
    MentionGraph,
)
from bigfish.linking.hubs import HubPolicy, StopReason, find_hubs
from bigfish.linking.loading import (
    chunked,
    fetch_pairs,
    report_facts,
    utc,
)
from bigfish.linking.networks import (
    EventKind,
    IdAssignment,
    NetworkEvent,
)
from bigfish.linking.runs import (
    LinkSummary,
    _link,
    _lists,
    _Outcome,
    _summary,
    _write,
    with_emptied,
)
from bigfish.linking.score import GROWTH_WINDOW, extend, summarize
from bigfish.linking.views import stats_from_row
from bigfish.linking.warninglists import (
    WarningLists,
)
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports
from bigfish.store.schema_linking import network_members, networks

REBUILD_ABOVE = 5_000
"""More changed reports than this are linked by a rebuild, which reads everything in bulk."""


def update_networks(
    store: Store,
    *,
    rates: Rates | None = None,
    now: datetime | None = None,
    policy: HubPolicy | None = None,
    warning_lists: WarningLists | None = None,
) -> LinkSummary:
    """Link the reports changed since the last run, touching only the networks they reach.
    RATES None: the node's table (BIGFISH_RATES), else the losses stored at ingest."""
    started = time.perf_counter()
    rates = rates if rates is not None else operator_rates()
    now = now or datetime.now(UTC)
    policy = policy or HubPolicy()
    with store.begin() as conn:
        state.lock_linking(conn)  # one link run at a time; the state is read after it
        # Read once no writer is in flight: a report stamped up to it has committed, one not
        # read is stamped later and left to the next run; a deletion begun before is seen, and
        # one not seen records a withdrawal later than the newest read here.
        bounds = state.settled(conn)
        current = state.read_state(conn)
        changed_rows = (
            []
            if current is None
            else state.changed_reports(conn, current.watermark, bounds.watermark)
        )
        if current is None or len(changed_rows) > REBUILD_ABOVE:
            conn.rollback()
            from bigfish.linking.service import rebuild_networks  # service imports this module

            return rebuild_networks(
                store, rates=rates, now=now, policy=policy, warning_lists=warning_lists
            )
        if current.linked_at is None or current.linked_at < start_of_day(now):
            age_networks(conn, now)  # the first run of a day: growth as of today
        # Members deleted since the last run read its newest withdrawal: compared with that
        # stamp, never with its `now` (the run's clock, or its caller's, not the writers').
        withdrawn, seen = bounds.withdrawn, current.withdrawn_upto
        shrunk = state.shrunk_networks(conn, withdrawn, seen)
        if not changed_rows and not shrunk:
            if withdrawn is not None and state.withdrawn_since(withdrawn, seen):
                state.withdrawals_seen(conn, withdrawn)  # looked, none shrunk: not again
            empty = IdAssignment({}, [], {}, 0)
            return _summary("update", 0, empty, 0, started)
        changed = {pk for pk, _, _ in changed_rows}
        watermark = max((w for _, w, _ in changed_rows), default=current.watermark)
        lists = _lists(policy, warning_lists)
        pinned = state.pins(conn)
        first_values = _in_chunks(
            conn, mentions.c.report_pk, changed, sa.select(mentions.c.identifier_id)
        )
        new_stops, first_linking = _new_stops(
            conn, first_values, lists, pinned, current.degree_cap, policy
        )
        linked_by = _mentions_of(conn, first_linking)
        reached = changed | {pk for pk, _ in linked_by}
        regrown = _regrown(conn, first_values, policy)
        if regrown:  # tested again over all their reports, now more of them
            reached |= _in_chunks(
                conn, mentions.c.identifier_id, regrown, sa.select(mentions.c.report_pk)
            )
        reached = state.hold_reports(conn, reached)  # those deleted since they were read left out
        linked_by = [(pk, value) for pk, value in linked_by if pk in reached]
        # A value stopped only now (pinned, newly listed, past the degree limit) may hold a
        # network together: it is relinked without it, else it stood on a link its
        # explanation no longer names.
        cut = _networks_of(
            conn,
            _in_chunks(
                conn, mentions.c.identifier_id, set(new_stops), sa.select(mentions.c.report_pk)
            ),
        )
        touched = _networks_of(conn, reached) | shrunk | cut
        fresh = all(new for _, _, new in changed_rows)
        grown = (
            fresh
            and not shrunk
            and not cut
            and len(touched) <= 1
            and not any(s.reason is StopReason.HUB_DEGREE for s in new_stops.values())
            and not regrown
        )
        if grown:
            state.delete_stops(conn, [i for i in first_linking if i in pinned])  # they link
            joined = _grow(
                conn,
                reached,
                touched,
                linked_by,
                rates,
                now,
                policy,
                (new_stops, pinned, current.degree_cap),
            )
            if joined is not None:
                state.write_stops(conn, new_stops, replace_all=False)
                state.write_state(
                    conn, watermark, current.degree_cap, now, rebuilt=False, withdrawn=withdrawn
                )
                return _summary("update", len(reached), joined, len(new_stops), started)
        affected = reached | state.hold_reports(conn, _members_of(conn, touched))
        while lifted := _lifted_reports(conn, affected, pinned) - affected:
            # The relink lifts the stop of a value pinned as linking that an affected report
            # mentions (`_relink`): every report of it, and their networks, are relinked too,
            # else it linked with its reports left in several networks.
            touched |= _networks_of(conn, lifted)
            affected |= state.hold_reports(conn, lifted | _members_of(conn, touched))
        if policy.community_split and _any_community_split(conn, touched):
            # A piece Leiden cut out of a component too large to be one ring, relinked alone,
            # looked like a whole component (its links to the other pieces lead out of the
            # affected reports): it lost its flag, and a report touching two pieces merged
            # them. The whole component is relinked, and split again, as the rebuild does.
            whole = _component_of(conn, affected)
            touched |= _networks_of(conn, whole)
            affected |= state.hold_reports(conn, whole | _members_of(conn, touched))
        retest = frozenset(regrown)
        outcome, group_stops = _relink(
            conn, affected, new_stops, pinned, policy, current.degree_cap, retest
        )
        beside = _judged_beside(conn, group_stops) - retest
        if beside:  # tested again without the new hub, over all their reports and networks
            retest |= beside
            new_stops = {**new_stops, **group_stops}
            reports_of = _in_chunks(
                conn, mentions.c.identifier_id, beside, sa.select(mentions.c.report_pk)
            )
            affected |= state.hold_reports(
                conn, reports_of | _members_of(conn, _networks_of(conn, reports_of))
            )
            outcome, group_stops = _relink(
                conn, affected, new_stops, pinned, policy, current.degree_cap, retest
            )
        emptied = touched - _networks_of(conn, affected)  # every member deleted
        outcome = replace(outcome, assignment=with_emptied(outcome.assignment, emptied))
        state.delete_stops(conn, sorted(retest - group_stops.keys()))  # they link again
        new_stops = {**new_stops, **group_stops}
        state.delete_members(conn, sorted(affected))
        _write(conn, outcome, rates, now)
        state.write_stops(conn, new_stops, replace_all=False)
        state.write_state(
            conn, watermark, current.degree_cap, now, rebuilt=False, withdrawn=withdrawn
        )
    return _summary("update", len(affected), outcome.assignment, len(new_stops), started)


def _all_joined(joining: list[int], members: set[int], linked_by: list[tuple[int, int]]) -> bool:
    """True when the mentions LINKED_BY (of linking values) join every report of JOINING into
    one group with the network of MEMBERS (or, with no network, with each other). A batch of
    new reports may reach one network and also hold reports that join nothing of it."""
    network = -1  # the existing network, as one node
    parent = {pk: pk for pk in joining} | ({network: network} if members else {})

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[int, int] = {}
    for pk, value in linked_by:
        node = network if pk in members else pk
        if node not in parent:
            continue
        if value in first:
            parent[find(node)] = find(first[value])
        else:
            first[value] = node
    return len({find(x) for x in parent}) <= 1


def _grow(
    conn: Connection,
    reached: set[int],
    touched: set[int],
    linked_by: list[tuple[int, int]],
    rates: Rates | None,
    now: datetime,
    policy: HubPolicy,
    judging: tuple[Mapping[int, state.Stop], Mapping[int, tuple[bool, str]], int | None],
) -> IdAssignment | None:
    """The common case of an ingest: new reports that join one network (or form a new one).

    Adding reports can only join, never split, so the network's old members' statistics are
    not reread: the new members are added and the stored statistics extended. None when the
    grown network would need the community split, or when the mentions LINKED_BY (of the
    linking values the new reports mention) do not join every new report to it, or when the
    hub test over the grown network (JUDGING: the update's new stops, the pins and the degree
    limit) stops a value, or when a member of the network has been deleted since it was
    counted (the caller then relinks). REACHED are held (`state.hold_reports`); the members
    are held here."""
    members: set[int] = set()
    row: Any = None
    if touched:
        [nid] = touched
        members = _members_of(conn, touched)
        held = state.hold_reports(conn, members)
        row = conn.execute(sa.select(networks).where(networks.c.id == nid)).one()
        if len(held) < len(members) or row.report_count != len(members):
            return None  # a member deleted meanwhile, or since the count: relinked without it
    joining = sorted(reached - members)
    if len(members) + len(joining) > policy.max_network_reports:
        return None
    if not joining or (not touched and len(joining) < 2):  # none joins (deleted meanwhile)
        return IdAssignment({}, [], {}, 0)
    if not _all_joined(joining, members, linked_by):
        return None
    grown = members | set(joining)
    # The linking values the new reports name, those with reports enough to fall into
    # `min_groups` groups (LINKED_BY holds every mention of them).
    mentioned = Counter(value for _, value in linked_by)
    named = {value for value, n in mentioned.items() if n >= policy.min_groups}
    if (
        named
        and len(grown) >= 2 * policy.min_groups
        and _hub_found(conn, grown, named, policy, *judging)
    ):
        # A value the new reports name may be a hub there now (its reports in `min_groups`
        # groups of two reports or more, so at least twice as many reports): one report in
        # each of three rings, the third ring's arriving now, never merges them; a relink
        # stops it, as a rebuild does.
        return None
    facts = report_facts(conn, joining, rates)
    if touched:
        # The stored growth was counted as of the run that stored it: counted again as of now.
        # The stored total is rounded to the cent: the members' losses are added up again, or
        # each growth by one report rounded the total anew (30 reports of 150,000 VND, grown
        # one ingest at a time, came to $176.40 where the rebuild counts $176.47).
        recent, losses = _member_sums(conn, nid, now, members if rates is not None else None, rates)
        before = replace(stats_from_row(row), growth_30d=recent, total_loss_usd=losses)
        stats = extend(before, (facts[pk] for pk in joining), now)
        created, split, events = utc(row.created_at), bool(row.community_split), []
    else:
        nid = state.next_network_id(conn)
        stats = summarize((facts[pk] for pk in joining), now)
        created, split = now, False
        events = [NetworkEvent(EventKind.CREATED, nid, (), "new network")]
    state.delete_members(conn, joining)
    state.write_members(conn, [(pk, nid) for pk in joining])
    state.replace_networks(conn, [state.network_row(nid, stats, created, now, split)], {}, now)
    state.write_events(conn, events, now)
    return IdAssignment({0: nid}, events, {}, nid + 1)


def _member_sums(
    conn: Connection,
    network_id: int,
    now: datetime,
    members: set[int] | None,
    rates: Rates | None,
) -> tuple[int, float]:
    """How many members of NETWORK_ID were reported in the growth window up to NOW, and the sum
    of their USD losses, unrounded: the stored ones, or at RATES over the facts of MEMBERS."""
    now = now.astimezone(UTC)
    recent = sa.func.sum(
        sa.case(
            (
                sa.and_(reports.c.reported_at > now - GROWTH_WINDOW, reports.c.reported_at <= now),
                1,
            ),
            else_=0,
        )
    )
    query = (
        sa.select(sa.func.coalesce(recent, 0), sa.func.coalesce(sa.func.sum(reports.c.loss_usd), 0))
        .select_from(network_members.join(reports, reports.c.id == network_members.c.report_pk))
        .where(network_members.c.network_id == network_id)
    )
    count, stored = conn.execute(query).one()
    if members is None:
        return int(count), float(stored)
    facts = report_facts(conn, sorted(members), rates).values()
    return int(count), math.fsum(f.loss_usd for f in facts if f.loss_usd is not None)


def _relink(
    conn: Connection,
    affected: set[int],
    new_stops: Mapping[int, state.Stop],
    pinned: Mapping[int, tuple[bool, str]],
    policy: HubPolicy,
    cap: int | None,
    retest: frozenset[int] = frozenset(),
) -> tuple[_Outcome, dict[int, state.Stop]]:
    """Components and ids over the AFFECTED reports only, after the hub test over them; the
    values the test stops. Values in RETEST, stopped by an earlier group test, are tested
    again (their reports are all in AFFECTED)."""
    if not affected:  # only networks whose every member was deleted
        empty = IdAssignment({}, [], {}, state.next_network_id(conn))
        return _Outcome(empty, [], {}, set(), {}, {}, {}), {}
    report_keys, graph, linking, stops, overridden = _judged(
        conn, affected, new_stops, pinned, policy, cap, retest
    )
    state.delete_stops(conn, overridden)  # pinned as linking since it was stopped: it links
    old_pk, old_net = _pairs_of(
        conn, network_members.c.report_pk, network_members.c.network_id, affected
    )
    old_ids = np.full(report_keys.size, -1, dtype=np.int64)
    old_ids[np.searchsorted(report_keys, old_pk)] = old_net
    rings = state.ring_reports(conn, report_keys, old_ids, every=False)
    next_id = state.next_network_id(conn)
    return _link(report_keys, graph, linking, old_ids, next_id, policy, rings), stops


def _pairs_of(
    conn: Connection, key: sa.Column[Any], other: sa.Column[Any], pks: set[int]
) -> tuple[IntArray, IntArray]:
    """(KEY, OTHER) of every row whose KEY (a report pk) is one of PKS (at least one)."""
    pairs = [
        fetch_pairs(conn, sa.select(key, other).where(key.in_(part)))
        for part in chunked(sorted(pks))
    ]
    return np.concatenate([a for a, _ in pairs]), np.concatenate([b for _, b in pairs])


def _hub_found(
    conn: Connection,
    pks: set[int],
    named: set[int],
    policy: HubPolicy,
    new_stops: Mapping[int, state.Stop],
    pinned: Mapping[int, tuple[bool, str]],
    cap: int | None,
) -> bool:
    """Whether the hub test over the reports PKS (a grown network) stops one of the values
    NAMED (those the new reports mention), as a relink of them would.

    Only those: a value the new reports do not name can still change its verdict, since the
    test admits values level by level and a named value's new degree may move it to another
    level, but at 1,000,000 reports (`bench_linking.py incremental`) every hub the test found
    that way (12 in 200 updates) was another asset of the same ring, and relinking for them
    put the p99 of an update at 35-41 ms against 7-19 ms. A rebuild (`bigfish link`) tests
    every value again."""
    stops = _judged(conn, pks, new_stops, pinned, policy, cap)[3]
    return any(i in named and s.reason is StopReason.HUB_GROUPS for i, s in stops.items())


def _judged(
    conn: Connection,
    affected: set[int],
    new_stops: Mapping[int, state.Stop],
    pinned: Mapping[int, tuple[bool, str]],
    policy: HubPolicy,
    cap: int | None,
    retest: frozenset[int] = frozenset(),
) -> tuple[IntArray, MentionGraph, BoolArray, dict[int, state.Stop], list[int]]:
    """The hub test over the AFFECTED reports (at least one), as `_relink` runs it: their pks
    ascending, their mention graph, which of its values link, the values stopped now and why,
    and the stopped values pinned as linking since (they link: the caller drops their stops)."""
    report_pk, ident_id = _pairs_of(conn, mentions.c.report_pk, mentions.c.identifier_id, affected)
    report_keys = np.asarray(sorted(affected), dtype=np.int64)
    value_keys, value_idx = np.unique(ident_id, return_inverse=True)
    graph = MentionGraph.build(
        np.searchsorted(report_keys, report_pk), value_idx, report_keys.size, value_keys.size
    )
    ids = [int(x) for x in value_keys.tolist()]
    known = state.stopped(conn, ids)
    overridden = [i for i in ids if i in known and pinned.get(i, (False, ""))[0]]
    invalid = _in_chunks(
        conn, identifiers.c.id, set(ids), sa.select(identifiers.c.id).where(~identifiers.c.valid)
    )
    linking = np.array(
        [
            pinned[i][0]
            if i in pinned
            else ((i not in known or i in retest) and i not in new_stops and i not in invalid)
            for i in ids
        ],
        dtype=np.bool_,
    )
    eligible = linking & ~np.array([i in pinned for i in ids], dtype=np.bool_)
    verdict = find_hubs(graph, eligible, policy, cap=cap)
    degrees = graph.degrees()
    # A value pinned as not linking does not link here; its stop is recorded as a rebuild
    # records it (with the note, over a list's reason), else the explanation named it a link.
    unpinned = {
        i
        for i in ids
        if i in pinned
        and not pinned[i][0]
        and i not in new_stops
        and not _stopped_as_pinned(known.get(i), pinned[i][1])
    }
    counts = _report_counts(conn, unpinned)
    stops: dict[int, state.Stop] = {
        i: state.Stop(StopReason.PIN, _pin_detail(pinned[i][1]), counts.get(i, 0))
        for i in sorted(unpinned)
    }
    for v in np.flatnonzero(eligible & ~verdict.linking).tolist():
        why = verdict.reason[v]
        if why is not None:  # values of one report do not link either, but are no hubs
            linking[v] = False
            stops[ids[v]] = state.Stop(why, verdict.detail[v], int(degrees[v]))
    return report_keys, graph, linking, stops, overridden

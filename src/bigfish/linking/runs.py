"""What every link run shares: its summary, the pure linking step and the writing of networks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Connection

from bigfish.fx import Rates
from bigfish.linking import state
from bigfish.linking.graph import (
    IntArray,
    MentionGraph,
    report_components,
)
from bigfish.linking.hubs import HubPolicy
from bigfish.linking.loading import (
    report_facts,
)
from bigfish.linking.networks import (
    EventKind,
    IdAssignment,
    NetworkEvent,
    assign_ids,
    members_by_label,
    partition,
)
from bigfish.linking.score import summarize
from bigfish.linking.warninglists import (
    WarningLists,
    load_warning_lists,
    no_warning_lists,
    operator_list_dirs,
)


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
    #: merged-away id -> its earliest reports, the first that anchors no part id yet keeping it
    #: (`state.keep_part_ids`)
    absorbed: dict[int, tuple[int, ...]]
    #: id taking part in a merge -> the reports it held before (`state.record_rings`)
    rings: dict[int, list[int]]
    #: id merged away that stays merged -> its anchor's report pk (`state.move_part_rows`)
    anchored: dict[int, int]


def _link(
    report_keys: IntArray,
    graph: MentionGraph,
    linking: np.ndarray,
    old_ids: IntArray,
    next_id: int,
    policy: HubPolicy,
    rings: tuple[IntArray, IntArray] | None = None,
) -> _Outcome:
    """Components, community split and stable ids over GRAPH (pure); RINGS: the ids' ring
    reports (`state.ring_reports`), whose anchors decide the ids of a split."""
    linked = graph.restricted(linking)
    parts = partition(
        linked,
        report_components(linked),
        max_reports=policy.max_network_reports,
        split=policy.community_split,
    )
    assignment = assign_ids(parts.labels, old_ids, next_id, rings)
    members: dict[int, list[int]] = {}
    pairs: list[tuple[int, int]] = []
    for label, idx in members_by_label(parts.labels).items():
        nid = assignment.ids[label]
        pks = report_keys[idx].tolist()
        members[nid] = pks
        pairs.extend((pk, nid) for pk in pks)
    split = {assignment.ids[label] for label in parts.community_split}
    absorbed = _absorbed(report_keys, old_ids, assignment)
    anchored = {nid: int(report_keys[i]) for nid, i in assignment.anchored.items()}
    return _Outcome(
        assignment,
        pairs,
        members,
        split,
        absorbed,
        _rings(report_keys, old_ids, assignment),
        anchored,
    )


def _rings(
    report_keys: IntArray, old_ids: IntArray, assignment: IdAssignment
) -> dict[int, list[int]]:
    """Each id of OLD_IDS that takes part in a merge of ASSIGNMENT, as the survivor or absorbed,
    with the reports it held before (REPORT_KEYS): its own ring, should it not know it yet."""
    merging = {
        nid
        for e in assignment.events
        if e.kind is EventKind.MERGED
        for nid in (e.network_id, *e.other_ids)
    }
    held = np.flatnonzero(np.isin(old_ids, sorted(merging)))
    out: dict[int, list[int]] = {}
    for i in held.tolist():
        out.setdefault(int(old_ids[i]), []).append(int(report_keys[i]))
    return out


#: How many of a merged-away id's earliest reports may anchor its part id: one that anchors the
#: part id of an earlier merge of the same reports (merged, split back, merged again) is passed.
ANCHOR_CANDIDATES = 16


def _absorbed(
    report_keys: IntArray, old_ids: IntArray, assignment: IdAssignment
) -> dict[int, tuple[int, ...]]:
    """Each id ASSIGNMENT merged into another, with the earliest reports it held (OLD_IDS: each
    report's id before), at most `ANCHOR_CANDIDATES`. A viewer who cannot see what joined them
    keeps seeing that network under its old id, as a part (`bigfish.linking.parts`), and an
    investigator who cited it is led to where its reports are, should they split off again."""
    merged = [old for old, into in assignment.retired.items() if into is not None]
    if not merged:
        return {}
    held = np.flatnonzero(np.isin(old_ids, merged))
    out: dict[int, list[int]] = {}
    for i in held[np.argsort(report_keys[held], kind="stable")].tolist():
        reports = out.setdefault(int(old_ids[i]), [])
        if len(reports) < ANCHOR_CANDIDATES:
            reports.append(int(report_keys[i]))
    return {old: tuple(reports) for old, reports in out.items()}


def with_emptied(assignment: IdAssignment, emptied: set[int]) -> IdAssignment:
    """ASSIGNMENT with the networks EMPTIED (every member report deleted) dissolved too: they
    hold no member the linking step could see, yet their ids must stay retired, never reused."""
    fresh = sorted(emptied - set(assignment.retired))
    if not fresh:
        return assignment
    events = [NetworkEvent(EventKind.DISSOLVED, nid, (), "every report deleted") for nid in fresh]
    return IdAssignment(
        assignment.ids,
        [*assignment.events, *events],
        {**assignment.retired, **dict.fromkeys(fresh)},
        assignment.next_id,
        assignment.revived,
        assignment.anchored,
    )


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
    state.revive(conn, outcome.assignment.revived)
    state.replace_networks(conn, rows, outcome.assignment.retired, now)
    state.write_events(conn, outcome.assignment.events, now)
    state.keep_part_ids(conn, outcome.absorbed)
    state.record_rings(conn, outcome.rings)
    state.move_part_rows(conn, outcome.anchored)

"""From components to networks: community split of implausibly large components, and stable ids.

A network keeps its id as it grows. When networks merge, the oldest id (the smallest) survives and
the others are recorded as merged into it. Every id that takes part in a merge remembers the
reports it held then, its own ring (`network_rings`); the earliest of them in the network the id
leads to, and still in a network after the run, is its anchor (a withdrawn report passes it on).
When a network splits, every other piece is recorded as split from it, and:

- the piece holding the network's own anchor keeps its id;
- a piece holding the anchor of an id merged into it earlier takes that id back, so a merge
  split back restores both ids (the older one where both anchors fall in one piece, the other
  then leading to it);
- with no anchor of its own (a network that never merged, or whose ring has left it), the piece
  holding most of its reports keeps the id: of the pieces that take no id back, if any.

A merged-away id that stays merged leads where its anchor is (its part row, `network_parts`,
moves there); one none of whose ring is in a network any more is dissolved, so that it never
leads to another ring.

A dissolved id is never given back (404 to the operator and to every viewer, for good): when
its reports come back (a report sent again after it was deleted is a new report; one still
stored links again) they make a network under a new id, recorded as created. The id's history
ended with its dissolution, and an id an analyst cited names one stretch of it: what links
again may be other reports, joined by other values, and taking the old id back would have that
citation name them without a word. Its part row goes when it is dissolved
(`state.retire_networks`), so that it leads nowhere even when that report joins a network
again; an id dissolved because too few reports were left is never given back either.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from bigfish.linking.graph import IntArray, MentionGraph, component_sizes, group_by


class EventKind(StrEnum):
    """What happened to a network."""

    CREATED = "created"
    MERGED = "merged"  # network_id absorbed other_ids
    SPLIT = "split"  # network_id was split from other_ids[0]
    SPLIT_INTO = "split_into"  # reports of network_id split off into other_ids[0]
    DISSOLVED = "dissolved"  # fewer than two reports left


@dataclass(frozen=True, slots=True)
class NetworkEvent:
    """One change of the set of networks, as recorded in network_events."""

    kind: EventKind
    network_id: int
    other_ids: tuple[int, ...]
    detail: str


@dataclass(frozen=True, slots=True)
class Partition:
    """Network labels per report (-1: in no network) and which labels came from a Leiden split."""

    labels: IntArray
    community_split: frozenset[int]


def _leiden(graph: MentionGraph, reports: IntArray, seed: int) -> IntArray:
    """Community labels of REPORTS (one component) in the bipartite graph, by Leiden."""
    import igraph  # only here: it pulls in matplotlib, and most runs never need it

    local = np.full(graph.n_reports, -1, dtype=np.int64)
    local[reports] = np.arange(reports.size)
    keep = local[graph.report] >= 0
    r = local[graph.report[keep]]
    values, v = np.unique(graph.value[keep], return_inverse=True)
    edges = np.column_stack([r, v + reports.size])
    g = igraph.Graph(n=reports.size + values.size, edges=edges.tolist(), directed=False)
    rng_state = random.getstate()
    random.seed(seed)
    try:
        clusters = g.community_leiden(objective_function="modularity", n_iterations=-1)
    finally:
        random.setstate(rng_state)
    return np.asarray(clusters.membership[: reports.size], dtype=np.int64)


def partition(
    graph: MentionGraph, components: IntArray, *, max_reports: int, split: bool, seed: int = 7
) -> Partition:
    """Networks from COMPONENTS (over the linking graph): components of two reports or more; a
    component above MAX_REPORTS is split into Leiden communities when SPLIT is true."""
    sizes = component_sizes(components)
    labels = np.where(sizes[components] >= 2, components, -1).astype(np.int64)
    flagged: set[int] = set()
    if split and sizes.size and int(sizes.max()) > max_reports:
        next_label = int(sizes.size)
        for big in np.flatnonzero(sizes > max_reports).tolist():
            reports = np.flatnonzero(components == big)
            communities = _leiden(graph, reports, seed)
            counts = np.bincount(communities)
            for community in np.unique(communities).tolist():
                members = reports[communities == community]
                if counts[community] >= 2:
                    labels[members] = next_label
                    flagged.add(next_label)
                    next_label += 1
                else:
                    labels[members] = -1
    return Partition(labels, frozenset(flagged))


@dataclass(frozen=True, slots=True)
class IdAssignment:
    """The id of every new network label, the events, and the old ids no longer active."""

    ids: dict[int, int]  # new label -> network id
    events: list[NetworkEvent]
    retired: dict[int, int | None]  # old id -> the id it merged into (None: dissolved)
    next_id: int
    revived: frozenset[int] = frozenset()  # ids merged away earlier, active again
    #: id merged away earlier that stays merged -> the report index of its anchor now
    anchored: dict[int, int] = field(default_factory=dict)


def assign_ids(
    labels: IntArray,
    old_ids: IntArray,
    next_id: int,
    rings: tuple[IntArray, IntArray] | None = None,
) -> IdAssignment:
    """Ids for the networks of LABELS given each report's previous network OLD_IDS (-1: none).

    NEXT_ID is the first id never used before. RINGS: (report index, id), by id then index, of
    the ring reports (see the module doc) that are in the network the id leads to: an id of
    OLD_IDS in its own reports, or an id merged away earlier in the network it merged into. An
    id's anchor is the earliest of them in a network now; a merged-away id none of whose ring
    is in a network now is dissolved (it would lead to another ring)."""
    anchors, gone = _anchors(labels, rings)
    in_old = old_ids >= 0
    in_new = labels >= 0
    counts = _pair_counts(labels, old_ids)
    active = set(np.unique(old_ids[in_old]).tolist())
    own: dict[int, int] = {}  # old id -> the new label holding its anchor
    # new label -> {merged-away id: (the network it led to, its anchor's index)}
    back: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    taken_back: dict[int, set[int]] = defaultdict(set)  # old id -> its labels taking an id back
    for index, nid in anchors:
        label, old = int(labels[index]), int(old_ids[index])
        if label < 0 or old < 0:
            continue
        if nid in active:
            if nid == old:
                own[nid] = label
        else:
            back[label][nid] = (old, index)
            taken_back[old].add(label)
    main = _main_labels(counts, own, taken_back)
    heirs: dict[int, list[int]] = defaultdict(list)
    for old, new in main.items():
        heirs[new].append(old)
    ids: dict[int, int] = {}
    events: list[NetworkEvent] = []
    retired: dict[int, int | None] = {}
    revived: set[int] = set()
    anchored: dict[int, int] = {}
    for new in np.unique(labels[in_new]).tolist():
        olds = sorted(heirs.get(new, []))
        candidates = sorted({*olds, *back.get(new, ())})
        if not candidates:
            ids[new] = next_id
            next_id += 1
            continue
        nid = ids[new] = candidates[0]
        if nid not in olds:
            revived.add(nid)
        absorbed = [old for old in olds if old != nid]
        if absorbed:
            events.append(
                NetworkEvent(
                    EventKind.MERGED, nid, tuple(absorbed), f"{len(absorbed) + 1} networks merged"
                )
            )
            for old in absorbed:
                retired[old] = nid
        for other, (root, index) in back.get(new, {}).items():
            if other == nid:
                continue
            anchored[other] = index
            if root != nid:  # it leads where its anchor went
                retired[other] = nid
    for (old, new), count in sorted(counts.items()):
        if main[old] != new:
            events.append(
                NetworkEvent(
                    EventKind.SPLIT, ids[new], (old,), f"{count} reports of network {old} split off"
                )
            )
            # the parent's own history says it too (under the id its main part holds now)
            events.append(
                NetworkEvent(
                    EventKind.SPLIT_INTO,
                    ids[main[old]],
                    (ids[new],),
                    f"{count} reports split off into network {ids[new]}",
                )
            )
    for old in sorted(active - set(main)):
        retired[old] = None
        events.append(NetworkEvent(EventKind.DISSOLVED, old, (), "fewer than two reports left"))
    for merged, index in sorted(gone.items()):
        if merged not in active:
            root = int(old_ids[index])
            retired[merged] = None
            detail = f"none of its reports in network {root} is in a network now"
            events.append(NetworkEvent(EventKind.DISSOLVED, merged, (root,), detail))
    fresh = {ids[new] for new in ids} - set(main) - revived
    split_children = {e.network_id for e in events if e.kind is EventKind.SPLIT}
    for nid in sorted(fresh - split_children):
        events.append(NetworkEvent(EventKind.CREATED, nid, (), "new network"))
    return IdAssignment(ids, events, retired, next_id, frozenset(revived), anchored)


def _anchors(
    labels: IntArray, rings: tuple[IntArray, IntArray] | None
) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """(report index, id) of each id's anchor, the first of its RINGS reports in a network now
    (LABELS); and the ids with none, each with the report index of its first."""
    if rings is None or not rings[0].size:
        return [], {}
    index, nid = rings
    placed = labels[index] >= 0
    at, ids = index[placed], nid[placed]
    first = np.r_[True, ids[1:] != ids[:-1]] if ids.size else np.zeros(0, dtype=np.bool_)
    anchors = list(zip(at[first].tolist(), ids[first].tolist(), strict=True))
    every = np.r_[True, nid[1:] != nid[:-1]]
    found = set(ids[first].tolist())
    gone = {
        int(n): int(i)
        for i, n in zip(index[every].tolist(), nid[every].tolist(), strict=True)
        if n not in found
    }
    return anchors, gone


def _pair_counts(labels: IntArray, old_ids: IntArray) -> dict[tuple[int, int], int]:
    """How many reports of each old id each new label holds: (old, new) -> count."""
    both = (old_ids >= 0) & (labels >= 0)
    pair_old, pair_new = old_ids[both], labels[both]
    if not pair_old.size:
        return {}
    span = int(labels.max()) + 1
    keys, n = np.unique(pair_old * span + pair_new, return_counts=True)
    return {
        (int(k) // span, int(k) % span): int(c)
        for k, c in zip(keys.tolist(), n.tolist(), strict=True)
    }


def _main_labels(
    counts: Mapping[tuple[int, int], int],
    own: Mapping[int, int],
    taken_back: Mapping[int, set[int]],
) -> dict[int, int]:
    """Old id -> the new label that keeps it: the one holding its anchor (OWN), else the one
    holding most of its reports of those that take no id back (TAKEN_BACK), if any; a tie goes
    to the label met first."""
    pieces: dict[int, list[int]] = defaultdict(list)
    for old, new in sorted(counts):
        pieces[old].append(new)
    main: dict[int, int] = {}
    for old, labels in pieces.items():
        if own.get(old) in labels:
            main[old] = own[old]
            continue
        free = [new for new in labels if new not in taken_back.get(old, ())] or labels
        main[old] = max(free, key=lambda new: (counts[(old, new)], -new))
    return main


def members_by_label(labels: IntArray) -> dict[int, IntArray]:
    """Report indices of every network label (labels of -1 left out)."""
    keep = np.flatnonzero(labels >= 0)
    if keep.size == 0:
        return {}
    order, starts = group_by(labels[keep])
    ends = np.r_[starts[1:], order.size]
    sorted_idx = keep[order]
    return {
        int(labels[sorted_idx[s]]): sorted_idx[s:e]
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
    }

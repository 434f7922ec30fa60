"""From components to networks: community split of implausibly large components, and stable ids.

A network keeps its id as it grows. When networks merge, the oldest id (the smallest) survives and
the others are recorded as merged into it. When a network splits, the piece holding most of its
reports keeps the id and every other piece is recorded as split from it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
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


def assign_ids(labels: IntArray, old_ids: IntArray, next_id: int) -> IdAssignment:
    """Ids for the networks of LABELS given each report's previous network OLD_IDS (-1: none).

    NEXT_ID is the first id never used before."""
    in_old = old_ids >= 0
    in_new = labels >= 0
    both = in_old & in_new
    pair_old, pair_new = old_ids[both], labels[both]
    counts: dict[tuple[int, int], int] = {}
    if pair_old.size:
        span = int(labels.max()) + 1
        keys, n = np.unique(pair_old * span + pair_new, return_counts=True)
        counts = {
            (int(k) // span, int(k) % span): int(c)
            for k, c in zip(keys.tolist(), n.tolist(), strict=True)
        }
    main: dict[int, int] = {}  # old id -> the new label holding most of its reports
    for (old, new), count in sorted(counts.items()):
        best = main.get(old)
        if best is None or count > counts[(old, best)]:
            main[old] = new
    heirs: dict[int, list[int]] = defaultdict(list)
    for old, new in main.items():
        heirs[new].append(old)
    ids: dict[int, int] = {}
    events: list[NetworkEvent] = []
    retired: dict[int, int | None] = {}
    for new in np.unique(labels[in_new]).tolist():
        olds = sorted(heirs.get(new, []))
        if olds:
            ids[new] = olds[0]
            if len(olds) > 1:
                events.append(
                    NetworkEvent(
                        EventKind.MERGED, olds[0], tuple(olds[1:]), f"{len(olds)} networks merged"
                    )
                )
                for absorbed in olds[1:]:
                    retired[absorbed] = olds[0]
        else:
            ids[new] = next_id
            next_id += 1
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
    previous = set(np.unique(old_ids[in_old]).tolist())
    for old in sorted(previous - set(main)):
        retired[old] = None
        events.append(NetworkEvent(EventKind.DISSOLVED, old, (), "fewer than two reports left"))
    fresh = {ids[new] for new in ids} - set(main)
    split_children = {e.network_id for e in events if e.kind is EventKind.SPLIT}
    for nid in sorted(fresh - split_children):
        events.append(NetworkEvent(EventKind.CREATED, nid, (), "new network"))
    return IdAssignment(ids, events, retired, next_id)


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

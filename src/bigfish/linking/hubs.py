"""Shared infrastructure never merges rings: which values do not link, and why.

Three stops, each recorded as the reason a value does not link:

1. an operator's pin (``bigfish pin VALUE --kind K --no-link``; ``--link`` overrides 2 and 3);
2. a warning list (``warninglists.py``);
3. the statistical hub test, for what no list knows. Values are admitted into the graph in order
   of their degree (the number of reports mentioning them), smallest first, level by level. When a
   value's turn comes, the groups its reports already belong to are those built from the smaller
   values admitted before. A ring's asset joins reports of one group, or covers the few groups of
   its own ring; a hub's reports are scattered, one or two per group, over many groups: it is
   stopped when its reports fall into ``min_groups`` groups or more, scattered: at most
   ``max_reports_per_group`` of its reports per group on average, or mentioned by at most
   ``max_coverage`` of a group's reports on average (a bank's website that a few victims of
   each of several big rings mention). A value whose degree is far
   outside what rings show (``degree_factor`` times the 99th percentile of degrees, at least
   ``min_degree_cap``) is stopped whatever its groups.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from bigfish.linking.graph import (
    BoolArray,
    FloatArray,
    IntArray,
    MentionGraph,
    component_sizes,
    report_components,
)


class StopReason(StrEnum):
    """Why a value does not link."""

    PIN = "pin"
    WARNING_LIST = "warning_list"
    HUB_GROUPS = "hub_groups"
    HUB_DEGREE = "hub_degree"


@dataclass(frozen=True, slots=True)
class HubPolicy:
    """The knobs of the defences; ``HubPolicy.off()`` switches every defence off."""

    warning_lists: bool = True
    statistical: bool = True
    community_split: bool = True
    min_groups: int = 3
    max_reports_per_group: float = 1.5
    max_coverage: float = 0.2
    degree_factor: float = 8.0
    min_degree_cap: int = 200
    level_ratio: float = 1.5
    max_network_reports: int = 2000  # a component above this is split with Leiden

    @classmethod
    def off(cls) -> HubPolicy:
        """No warning lists, no hub test, no community split: every valid value links."""
        return cls(warning_lists=False, statistical=False, community_split=False)


@dataclass(frozen=True, slots=True)
class HubVerdict:
    """The outcome of the hub test over every value."""

    linking: BoolArray  # values that link
    reason: list[StopReason | None]  # per value, why it does not link (None: it links or is lone)
    detail: list[str]  # per value, the list name or the statistic
    degree_cap: int


def degree_cap(degrees: IntArray, policy: HubPolicy) -> int:
    """The degree above which a value is an outlier, from the values shared by two reports+."""
    shared = degrees[degrees >= 2]
    if shared.size == 0:
        return policy.min_degree_cap
    p99 = float(np.percentile(shared, 99))
    return max(policy.min_degree_cap, math.ceil(policy.degree_factor * p99))


def _levels(max_degree: int, ratio: float) -> list[tuple[int, int]]:
    bounds = [2]
    while bounds[-1] <= max_degree:
        bounds.append(max(bounds[-1] + 1, math.ceil(bounds[-1] * ratio)))
    return list(itertools.pairwise(bounds))


def group_statistics(
    graph: MentionGraph, admitted: BoolArray, testing: BoolArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """For each value in TESTING, over the groups (of two reports or more, built from the
    ADMITTED values) its reports fall into: how many groups, how many of its reports are in
    them, and the mean share of a group's reports that mention it (its coverage)."""
    labels = report_components(graph.restricted(admitted))
    sizes = component_sizes(labels)
    mask = testing[graph.value]
    values = graph.value[mask]
    groups = labels[graph.report[mask]]
    grouped = sizes[groups] >= 2
    values, groups = values[grouped], groups[grouped]
    n_groups = max(int(sizes.size), 1)
    pairs, per_pair = np.unique(values * n_groups + groups, return_counts=True)
    pair_value = pairs // n_groups
    share = per_pair / sizes[pairs % n_groups]
    group_count = np.bincount(pair_value, minlength=graph.n_values).astype(np.int64)
    in_groups = np.bincount(values, minlength=graph.n_values).astype(np.int64)
    coverage = np.bincount(pair_value, weights=share, minlength=graph.n_values)
    return group_count, in_groups, coverage / np.maximum(group_count, 1)


def find_hubs(
    graph: MentionGraph,
    eligible: BoolArray,
    policy: HubPolicy,
    *,
    cap: int | None = None,
) -> HubVerdict:
    """Run the statistical hub test over the ELIGIBLE values (valid, not listed, not pinned).

    The degree limit is CAP when given (an incremental update keeps the last rebuild's), else
    it is computed from GRAPH."""
    degrees = graph.degrees()
    n = graph.n_values
    reason: list[StopReason | None] = [None] * n
    detail = [""] * n
    if cap is None:
        cap = degree_cap(degrees[eligible], policy) if eligible.any() else policy.min_degree_cap
    if not policy.statistical:
        return HubVerdict(eligible & (degrees >= 2), reason, detail, cap)
    candidates = eligible & (degrees >= 2)
    outliers = candidates & (degrees > cap)
    for v in np.flatnonzero(outliers).tolist():
        reason[v] = StopReason.HUB_DEGREE
        detail[v] = f"mentioned by {int(degrees[v])} reports, above the limit of {cap}"
    candidates &= ~outliers
    admitted = np.zeros(n, dtype=np.bool_)
    max_degree = int(degrees[candidates].max()) if candidates.any() else 1
    levels = _levels(max_degree, policy.level_ratio)
    # Pass 1 admits values smallest first, testing each level against the groups the smaller
    # values built. Pass 2 tests again against the groups every other admitted value builds, so
    # a value that touched fragments of rings in pass 1 now sees the whole rings it would join.
    for second in (False, True):
        for low, high in levels:
            testing = candidates & (degrees >= low) & (degrees < high)
            if second:
                testing &= admitted
            if not testing.any():
                continue
            if low <= 2:  # two reports can never fall into three groups
                admitted |= testing
                continue
            base = admitted & ~testing
            group_count, in_groups, coverage = group_statistics(graph, base, testing)
            per_group = in_groups / np.maximum(group_count, 1)
            scattered = (per_group <= policy.max_reports_per_group) | (
                coverage <= policy.max_coverage
            )
            hubs = testing & (group_count >= policy.min_groups) & scattered
            for v in np.flatnonzero(hubs).tolist():
                reason[v] = StopReason.HUB_GROUPS
                detail[v] = (
                    f"its {int(degrees[v])} reports fall into {int(group_count[v])} separate "
                    f"groups ({per_group[v]:.2f} reports per group, {coverage[v]:.0%} of a "
                    "group's reports)"
                )
            admitted = (admitted | testing) & ~hubs
    return HubVerdict(admitted, reason, detail, cap)

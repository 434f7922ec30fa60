"""The report–identifier graph as arrays: reports and values are dense indices, one edge a mention.

Everything here is pure numpy/scipy so that a million reports link in seconds. Reports are nodes
``0 .. n_reports-1`` and values nodes ``n_reports .. n_reports+n_values-1`` of one bipartite graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MentionGraph:
    """Mentions as parallel arrays: report ``report[i]`` mentions value ``value[i]``."""

    report: IntArray
    value: IntArray
    n_reports: int
    n_values: int

    @classmethod
    def build(
        cls, report: npt.ArrayLike, value: npt.ArrayLike, n_reports: int, n_values: int
    ) -> MentionGraph:
        """A graph from two index arrays, with duplicate (report, value) pairs removed."""
        r = np.asarray(report, dtype=np.int64)
        v = np.asarray(value, dtype=np.int64)
        if r.size:
            key = np.sort(r * np.int64(max(n_values, 1)) + v)
            key = key[np.r_[True, key[1:] != key[:-1]]]
            r, v = key // max(n_values, 1), key % max(n_values, 1)
        return cls(r, v, n_reports, n_values)

    def degrees(self) -> IntArray:
        """How many distinct reports mention each value."""
        return np.bincount(self.value, minlength=self.n_values).astype(np.int64)

    def restricted(self, linking: BoolArray) -> MentionGraph:
        """The same graph keeping only mentions of values where LINKING is true."""
        keep = linking[self.value]
        return MentionGraph(self.report[keep], self.value[keep], self.n_reports, self.n_values)


def report_components(graph: MentionGraph) -> IntArray:
    """A component label per report (reports sharing a value, transitively, share a label)."""
    n = graph.n_reports + graph.n_values
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ones = np.ones(graph.report.size, dtype=np.int8)
    matrix = csr_matrix(
        coo_matrix((ones, (graph.report, graph.value + graph.n_reports)), shape=(n, n))
    )
    _, labels = connected_components(matrix, directed=True, connection="weak")
    return dense_labels(labels[: graph.n_reports].astype(np.int64))


def dense_labels(labels: IntArray) -> IntArray:
    """LABELS renumbered 0..k-1 in order of their values (a sort, no hashing)."""
    if labels.size == 0:
        return labels
    present = np.zeros(int(labels.max()) + 1, dtype=np.bool_)
    present[labels] = True
    return (np.cumsum(present) - 1)[labels].astype(np.int64)


def sorted_unique_inverse(values: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(values, return_inverse=True)`` by sorting (faster for large int arrays)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]] if values.size else np.zeros(0, np.bool_)
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def component_sizes(labels: IntArray) -> IntArray:
    """Number of reports per component label."""
    return np.bincount(labels).astype(np.int64) if labels.size else np.zeros(0, np.int64)


def group_by(keys: IntArray) -> tuple[IntArray, IntArray]:
    """The order that sorts KEYS and the start offset of each run: ``(order, starts)``."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if keys.size else keys
    return order.astype(np.int64), np.asarray(starts, dtype=np.int64)

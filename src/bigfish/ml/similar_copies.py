"""Same-script comparison of exact copies once, with the same choices as comparing every row.

An SMS campaign pasted by thousands of victims gives thousands of narratives that are the same
once identifiers are masked: the same vector, so the same score with any other row (a score is
summed over the two rows' common n-grams in the n-grams' order, `similar_choices._scores`). They
all tie, no pruning skips them, and comparing them was quadratic in their number.

Here the distinct vectors are compared (each group of copies by its first row), and each row's
choices are made from its group's: a row's TOP_K best others (by score, then the earlier row)
are among the members of its group's TOP_K best other groups (by score, then the group's first
row: at a tie the earliest rows of tied groups are in the groups of the earliest first rows) and
the other members of its own group (at the group's score with itself). Offers (where a compared
row would enter another row's choices) are found between groups with the most lenient floor of
the other group's rows and checked row by row.

Part of `bigfish.ml.similar`, whose `_scan` uses it for sparse vectors with copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from bigfish.ml.similar_choices import Choices, Ints, _Scan, _scores

#: Groups whose score with themselves is computed at once (a dense block of GROUPS × 2·GROUPS).
_SELF_GROUPS = 256
#: Copies are compared once when they tie in more than this many pairs (ordered) per row: the
#: distinct vectors are a copy of nearly all of them, worth making for a campaign's copies, not
#: for the odd report filed twice.
PAIRS_PER_ROW = 1.0


@dataclass(frozen=True)
class Copies:
    """The rows of sparse vectors grouped by equal vectors, the groups numbered by first row."""

    group: Ints  # per row: its group
    first: Ints  # per group: its first row (ascending)
    members: Ints  # the rows by group, then row
    starts: Ints  # group g's rows are members[starts[g] : starts[g + 1]]

    @property
    def sizes(self) -> Ints:
        """Per group: how many rows hold its vector."""
        sizes: Ints = np.diff(self.starts)
        return sizes


def copies_of(vectors: sparse.csr_matrix) -> Copies | None:
    """The rows of VECTORS grouped by equal vectors, or None when too few are equal to pay
    (`PAIRS_PER_ROW`)."""
    n = vectors.shape[0]
    indptr, indices, data = vectors.indptr, vectors.indices, vectors.data
    seen: dict[bytes, int] = {}
    group = np.empty(n, dtype=np.int64)
    for i in range(n):
        lo, hi = int(indptr[i]), int(indptr[i + 1])
        digest = hashlib.blake2b(indices[lo:hi].tobytes(), digest_size=16)
        digest.update(data[lo:hi].tobytes())
        group[i] = seen.setdefault(digest.digest(), len(seen))
    sizes = np.bincount(group, minlength=len(seen)).astype(np.float64)
    if len(seen) == n or float((sizes * (sizes - 1)).sum()) <= PAIRS_PER_ROW * n:
        return None
    members = np.argsort(group, kind="stable").astype(np.int64)
    starts = np.searchsorted(group[members], np.arange(len(seen) + 1)).astype(np.int64)
    return Copies(group, members[starts[:-1]], members, starts)


def _self_quanta(vectors: sparse.csr_matrix, copies: Copies, groups: Ints) -> Ints:
    """Per group of GROUPS: the score (quanta) of two of its rows, as `_scores` makes it (-1 for
    a group of one row)."""
    quanta = np.full(len(groups), -1, dtype=np.int64)
    twice = np.flatnonzero(copies.sizes[groups] > 1)
    for start in range(0, len(twice), _SELF_GROUPS):
        part = twice[start : start + _SELF_GROUPS]
        first = copies.members[copies.starts[groups[part]]]
        second = copies.members[copies.starts[groups[part]] + 1]
        pairs = vectors[np.stack([first, second], axis=1).ravel()]
        block = np.arange(0, 2 * len(part), 2, dtype=np.int64)
        scores = _scores(pairs, None, block)
        quanta[part] = scores[np.arange(len(part)), block + 1].astype(np.int64)
    return quanta


def _expand(copies: Copies, chooser: Ints, group: Ints, quanta: Ints, most: int) -> Choices:
    """(CHOOSER, row, QUANTA) for up to MOST first rows of each GROUP."""
    count = np.minimum(copies.sizes[group], most)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    rows = copies.members[np.repeat(copies.starts[group], count) + offset]
    return Choices(np.repeat(chooser, count), rows, np.repeat(quanta, count))


def copies_scan(
    vectors: sparse.csr_matrix,
    copies: Copies,
    rows: Ints,
    scan: _Scan,
    distinct_scan: Callable[[sparse.csr_matrix, Ints, _Scan], tuple[Choices, Choices]],
) -> tuple[Choices, Choices]:
    """What comparing ROWS with every row as SCAN says gives (their best others, and where they
    would enter another row's choices), made by DISTINCT_SCAN over one row of each group."""
    top_k, least = scan.top_k, scan.least
    distinct = vectors[copies.first]
    groups = np.unique(copies.group[rows])
    in_rows = np.zeros(len(copies.group), dtype=bool)
    in_rows[rows] = True
    offer_to = None
    if scan.offer_to is not None:
        offer_to = _lenient_floors(copies, *scan.offer_to)
    progress = None
    if scan.progress is not None:
        tell = scan.progress
        covered = np.cumsum(np.bincount(copies.group[rows], minlength=len(copies.first))[groups])

        def told(done: int, total: int) -> None:
            del total  # told as rows compared, of the rows to compare
            tell(scan.done + int(covered[done - 1 - scan.done]), scan.total)

        progress = told
    best_groups, offers_groups = distinct_scan(
        distinct, groups, replace(scan, offer_to=offer_to, progress=progress)
    )
    self_quanta = np.full(len(copies.first), -1, dtype=np.int64)
    self_quanta[groups] = _self_quanta(vectors, copies, groups)
    own = groups[self_quanta[groups] >= least]
    best = _best(copies, rows, best_groups, own, self_quanta[own], top_k)
    if scan.offer_to is None:
        return best, Choices.empty()
    offers = _offers(copies, in_rows, offers_groups, own, self_quanta[own], *scan.offer_to)
    return best, offers


def _best(
    copies: Copies, rows: Ints, best_groups: Choices, own: Ints, own_quanta: Ints, top_k: int
) -> Choices:
    """The TOP_K best others of each of ROWS: among the first TOP_K + 1 rows of its group's best
    groups (BEST_GROUPS) and of its own group (when in OWN, at OWN_QUANTA), itself left out."""
    expanded = Choices.joined(
        [
            _expand(
                copies, best_groups.chooser, best_groups.partner, best_groups.quanta, top_k + 1
            ),
            _expand(copies, own, own, own_quanta, top_k + 1),
        ]
    )
    per_group = Choices.ranked(expanded.chooser, expanded.partner, expanded.quanta, top_k + 1)
    row_group = copies.group[rows]
    lo = np.searchsorted(per_group.chooser, row_group, side="left")
    count = np.searchsorted(per_group.chooser, row_group, side="right") - lo
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    at = np.repeat(lo, count) + offset
    chooser = np.repeat(rows, count)
    partner, quanta = per_group.partner[at], per_group.quanta[at]
    other = partner != chooser
    return Choices.ranked(chooser[other], partner[other], quanta[other], top_k)


def _lenient_floors(copies: Copies, floor_quanta: Ints, floor_row: Ints) -> tuple[Ints, Ints]:
    """Per group: the floor that any row's floor in it is at or above (the lowest score, then the
    latest row), its row as the number of groups whose first row is before it."""
    order = np.lexsort((-floor_row, floor_quanta, copies.group))
    lowest = order[np.searchsorted(copies.group[order], np.arange(len(copies.first)))]
    before = np.searchsorted(copies.first, floor_row[lowest], side="left").astype(np.int64)
    return floor_quanta[lowest], before


def _offers(
    copies: Copies,
    in_rows: np.ndarray,
    offers_groups: Choices,
    own: Ints,
    own_quanta: Ints,
    floor_quanta: Ints,
    floor_row: Ints,
) -> Choices:
    """(other row, compared row, score) where a compared row (IN_ROWS) would enter the other's
    choices (above its floor, or equal to it from an earlier row), from the group pairs that
    may (OFFERS_GROUPS: other group, compared group, score) and each group of OWN with itself."""
    to_group = np.concatenate([offers_groups.chooser, own])
    from_group = np.concatenate([offers_groups.partner, own])
    quanta = np.concatenate([offers_groups.quanta, own_quanta])
    # Every row of the other group, with the compared rows of the group that may offer.
    size = copies.sizes[to_group]
    offset = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    other = copies.members[np.repeat(copies.starts[to_group], size) + offset]
    source, quanta = np.repeat(from_group, size), np.repeat(quanta, size)
    compared = copies.members[in_rows[copies.members]]
    compared_group = copies.group[compared]
    n = len(copies.group)
    key = compared_group * (n + 1) + compared
    start = np.searchsorted(compared_group, source, side="left")
    end = np.searchsorted(compared_group, source, side="right")
    # The compared rows offered are a prefix of the group's: all above the floor, those before
    # the floor's row at it, none below.
    at_floor = np.searchsorted(key, source * (n + 1) + np.maximum(floor_row[other], 0), "left")
    at_floor = np.where(floor_row[other] < 0, start, at_floor)
    stop = np.where(
        quanta > floor_quanta[other], end, np.where(quanta == floor_quanta[other], at_floor, start)
    )
    count = stop - start
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    rows = compared[np.repeat(start, count) + offset]
    chooser, quanta = np.repeat(other, count), np.repeat(quanta, count)
    keep = rows != chooser
    return Choices(chooser[keep], rows[keep], quanta[keep])

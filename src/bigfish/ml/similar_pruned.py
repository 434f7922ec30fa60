"""Same-script comparison pruned, with the same choices as comparing every pair.

The n-grams are split into frequent ones F (chosen from the data) and the rest R; a pair's
score is x_R·y_R + x_F·y_F ≤ x_R·y_R + ‖x_F‖·‖y_F‖, so only pairs whose R-product (sparse,
cheap: rare n-grams) plus that bound (with a margin for float rounding) reaches the least
score, or a row's k-th best so far, are scored, each as the same float as the full product.

Part of `bigfish.ml.similar`, whose `_scan` decides when to prune.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.ml.similar_choices import BLOCK_CELLS, QUANTUM, Choices, Ints, _Scan


@dataclass(frozen=True)
class _Split:
    """The vectors' n-grams split into frequent ones (F) and the rest (R), for `_pruned_scan`:
    a pair's score x·y = x_R·y_R + x_F·y_F, and x_F·y_F ≤ ‖x_F‖·‖y_F‖."""

    level: npt.NDArray[np.int32]  # per n-gram: F holds those of a level below CHOSEN
    chosen: int
    rest_t: sparse.csr_matrix  # the vectors without their frequent n-grams, transposed
    frequent: npt.NDArray[np.float64]  # per row: ‖x_F‖
    need: npt.NDArray[np.float64]  # per row: the least bound that may reach the least score
    ascending: npt.NDArray[np.float64]  # ‖x_F‖ of every row, ascending
    by_frequent: Ints  # the rows in that order
    slot: npt.NDArray[np.int32]  # -1 for every n-gram: room to number some anew (`_exact`)


def _least_bound(vectors: sparse.csr_matrix, least: int) -> npt.NDArray[np.float64]:
    """Per row x: what x's bound with any y (x_R·y_R as computed, plus ‖x_F‖·‖y_F‖) reaches when
    their score, as `_scores` computes and rounds it, is LEAST quanta or more."""
    # rint(fl(s·QUANTUM)) ≥ least needs s ≥ (least - ½)/QUANTUM/(1 + u). A float32 sum of k
    # products, in any order, is within γ_k = ku/(1 - ku) times Σ|x_f·y_f| ≤ ‖x‖·‖y‖ ≤ 1.001
    # (normalized, rounded to float32) of the exact sum; k ≤ nnz(x) + 1 for the score and for
    # the computed x_R·y_R each. 1e-6 covers the rest (‖x_F‖ in float64, QUANTUM's division).
    u = 2.0**-24
    terms = np.diff(vectors.indptr).astype(np.float64) + 1
    gamma = terms * u / np.maximum(1 - terms * u, 1e-9)
    gamma[terms * u >= 0.5] = np.inf  # a row of millions of n-grams: any pair may reach it
    need: npt.NDArray[np.float64] = (least - 0.5) / QUANTUM - 1e-6 - 2.002 * gamma
    return need


def _row_slices(vectors: sparse.csr_matrix) -> Iterator[tuple[int, int, int, int]]:
    """(first row, end row, first nonzero, end nonzero) of slices of about 2^22 nonzeros."""
    indptr = vectors.indptr
    start, n = 0, vectors.shape[0]
    while start < n:
        stop = int(np.searchsorted(indptr, indptr[start] + (1 << 22), side="right")) - 1
        stop = min(n, max(stop, start + 1))
        yield start, stop, int(indptr[start]), int(indptr[stop])
        start = stop


#: None: `_split` chooses its F from the data; k: F holds the n-grams in more than n/2^k rows
#: (for tests: any split chooses the same).
SPLIT_LEVEL: int | None = None


def _split(vectors: sparse.csr_matrix, rows: Ints, least: int) -> _Split | None:
    """The split of the n-grams that makes comparing ROWS with all cheapest, or None when none
    pays (comparing every pair then costs less: a low LEAST, that frequent n-grams alone reach).
    Any split gives the same choices; a good one leaves few pairs to score."""
    n, width = vectors.shape
    df = np.bincount(vectors.indices, minlength=width).astype(np.float64)
    # Candidate splits: F_k = the n-grams in more than n/2^k narratives, k = 1, 2, ...
    cuts = np.array([n / 2**k for k in range(1, 40) if n / 2**k >= 2])
    if not len(cuts):
        return None
    levels = len(cuts) + 1
    # level[f] = how many cuts df[f] does not exceed: F_k holds the n-grams of level < k.
    level = np.searchsorted(-cuts, -df, side="right").astype(np.int32)
    per_level = np.zeros((n, levels))  # Σ x_f² of each row over the n-grams of each level
    compared = np.zeros(n, dtype=bool)
    compared[rows] = True
    df_rows = np.zeros(width)
    for start, stop, lo, hi in _row_slices(vectors):
        owner = np.repeat(np.arange(stop - start), np.diff(vectors.indptr[start : stop + 1]))
        at = vectors.indices[lo:hi]
        squares = vectors.data[lo:hi].astype(np.float64) ** 2
        cells = (stop - start) * levels
        key = owner * levels + level[at]
        per_level[start:stop] = np.bincount(key, squares, cells).reshape(-1, levels)
        df_rows += np.bincount(at[compared[start + owner]], minlength=width)
    frequent_sq = np.cumsum(per_level, axis=1)  # [:, k - 1]: ‖x_F‖² of F_k
    del per_level
    # The R-product's work (multiplications) for each k: over the n-grams of level ≥ k.
    work = np.cumsum(np.bincount(level, weights=df_rows * df, minlength=levels)[::-1])[::-1]
    need = _least_bound(vectors, least)
    chosen = 0
    for k in range(1, levels if SPLIT_LEVEL is None else 1):
        mine = np.sqrt(frequent_sq[rows, k - 1])
        reach = np.divide(need[rows], mine, out=np.full(len(rows), np.inf), where=mine > 0)
        ascending = np.sort(np.sqrt(frequent_sq[:, k - 1]))
        alone = int((n - np.searchsorted(ascending, reach, side="left")).sum())
        if alone > len(rows):  # pairs that frequent n-grams alone may join: one a row at most
            break
        chosen = k
    if SPLIT_LEVEL is not None:
        chosen = min(SPLIT_LEVEL, levels - 1)
    elif work[chosen] > 0.5 * work[0]:
        return None
    if not chosen:
        return None
    rest_t = _rest(vectors, level, chosen).T.tocsr()
    frequent = np.sqrt(frequent_sq[:, chosen - 1])
    order = np.argsort(frequent, kind="stable").astype(np.int64)
    slot = np.full(width, -1, dtype=np.int32)
    return _Split(level, chosen, rest_t, frequent, need, frequent[order], order, slot)


def _rest(
    vectors: sparse.csr_matrix, level: npt.NDArray[np.int32], chosen: int
) -> sparse.csr_matrix:
    """VECTORS without the n-grams of a LEVEL below CHOSEN (the frequent ones)."""
    keep = np.zeros(vectors.nnz, dtype=bool)
    indptr = np.zeros(vectors.shape[0] + 1, dtype=np.int64)
    for start, stop, lo, hi in _row_slices(vectors):  # a slice at a time: no copy of the indices
        keep[lo:hi] = level[vectors.indices[lo:hi]] >= chosen
        kept = np.append(0, np.cumsum(keep[lo:hi]))
        indptr[start : stop + 1] = indptr[start] + kept[vectors.indptr[start : stop + 1] - lo]
    return sparse.csr_matrix((vectors.data[keep], vectors.indices[keep], indptr), vectors.shape)


def _candidates(
    vectors: sparse.csr_matrix, split: _Split, block: Ints
) -> tuple[Ints, Ints, npt.NDArray[np.float64]]:
    """(row of BLOCK, other row, bound) of each pair of a row of BLOCK with another whose bound
    reaches `_Split.need` (every pair that may score the least or more, and some that cannot),
    by row of BLOCK then bound, highest first."""
    n = split.rest_t.shape[1]
    product = _rest(vectors[block], split.level, split.chosen) @ split.rest_t
    r = np.repeat(np.arange(len(block)), np.diff(product.indptr))
    c = product.indices.astype(np.int64)
    bound = product.data.astype(np.float64) + split.frequent[block][r] * split.frequent[c]
    keep = bound >= split.need[block][r]
    r, c, bound = r[keep], c[keep], bound[keep]
    # Pairs that share no rest n-gram: only ‖x_F‖·‖y_F‖, the rows of the largest ‖y_F‖.
    mine = split.frequent[block]
    reach = np.divide(split.need[block], mine, out=np.full(len(block), np.inf), where=mine > 0)
    first = np.searchsorted(split.ascending, reach, side="left")
    count = n - first
    f_r = np.repeat(np.arange(len(block)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    f_c = split.by_frequent[np.repeat(first, count) + offset]
    r, c = np.concatenate([r, f_r]), np.concatenate([c, f_c])
    bound = np.concatenate([bound, split.frequent[block][f_r] * split.frequent[f_c]])
    keep = c != block[r]
    r, c, bound = r[keep], c[keep], bound[keep]
    order = np.lexsort((-bound, c, r))  # a pair found both ways once, with its higher bound
    r, c, bound = r[order], c[order], bound[order]
    first_of = np.ones(len(r), dtype=bool)
    first_of[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, bound = r[first_of], c[first_of], bound[first_of]
    order = np.lexsort((-bound, r))
    return r[order], c[order], bound[order]


#: Candidate pairs scored at once (`_exact`): about this many other rows are copied.
GROUP_PAIRS = 256


def _exact(
    vectors: sparse.csr_matrix, rows: Ints, others: Ints, slot: npt.NDArray[np.int32]
) -> sparse.csr_matrix:
    """The scores of ROWS with OTHERS (rows × others), each the float of the product with every
    row: the sum over the row of ROWS's n-grams, in their order, of the products with the other
    row's value. SLOT (-1 for every n-gram) is used to number anew, in their order, the n-grams
    of ROWS (the others are left out), and left as it was."""
    left = vectors[rows]
    right = vectors[others]
    present = np.unique(left.indices)
    slot[present] = np.arange(len(present), dtype=np.int32)
    at = slot[right.indices]
    left_at = slot[left.indices]
    slot[present] = -1
    shared = at >= 0
    indptr = np.append(0, np.cumsum(shared, dtype=np.int64))[right.indptr]
    right = sparse.csr_matrix(
        (right.data[shared], at[shared], indptr), shape=(len(others), len(present))
    )
    left = sparse.csr_matrix((left.data, left_at, left.indptr), shape=(len(rows), len(present)))
    return (left @ right.T).tocsr()


def _scored(
    vectors: sparse.csr_matrix, block: Ints, r: Ints, c: Ints, slot: npt.NDArray[np.int32]
) -> npt.NDArray[np.float32]:
    """The quanta (integral float32) of the pairs (row R of BLOCK, row C), R ascending, each as
    `_scores` makes it."""
    quanta = np.zeros(len(r), dtype=np.float32)
    ends = np.searchsorted(r, np.arange(len(block)), side="right")
    lo = 0
    while lo < len(r):
        # The rows of BLOCK with about GROUP_PAIRS pairs, each multiplied by their others only.
        first = int(r[lo])
        last = max(first + 1, int(np.searchsorted(ends, lo + GROUP_PAIRS, side="right")))
        last = min(last, len(block))
        hi = int(ends[last - 1])
        cols = np.unique(c[lo:hi])
        exact = _exact(vectors, block[first:last], cols, slot).toarray()
        quanta[lo:hi] = exact[r[lo:hi] - first, np.searchsorted(cols, c[lo:hi])]
        lo = hi
    np.multiply(quanta, np.float32(QUANTUM), out=quanta)
    np.rint(quanta, out=quanta)
    return quanta


def _pruned_block(
    vectors: sparse.csr_matrix,
    split: _Split,
    block: Ints,
    *,
    top_k: int,
    least: int,
    floor_quanta: Ints | None,
) -> tuple[Ints, Ints, Ints]:
    """(row of BLOCK, other row, quanta), by row of BLOCK then other row, of pairs of a row of
    BLOCK with another scored LEAST or more, each score the float `_scores` makes: every pair
    among the TOP_K best of the row of BLOCK, and every one scored FLOOR_QUANTA of the other row
    or more (when given)."""
    r, c, bound = _candidates(vectors, split, block)
    need = split.need[block]
    kth = np.full(len(block), least, dtype=np.int64)  # a row's TOP_K best so far score that
    found: list[tuple[Ints, Ints, Ints]] = []
    at_once = top_k
    while len(r):
        # The best bounds of each row first: once a row has TOP_K scores, the pairs whose bound
        # cannot reach its k-th best (nor the other row's floor) are never scored.
        now = np.arange(len(r)) - np.searchsorted(r, r) < at_once
        q = _scored(vectors, block, r[now], c[now], split.slot).astype(np.int64)
        kept = q >= least
        found.append((r[now][kept], c[now][kept], q[kept]))
        r, c, bound = r[~now], c[~now], bound[~now]
        fr, fq = np.concatenate([f[0] for f in found]), np.concatenate([f[2] for f in found])
        order = np.lexsort((-fq, fr))
        fr, fq = fr[order], fq[order]
        rank = np.arange(len(fr)) - np.searchsorted(fr, fr)
        kth[fr[rank == top_k - 1]] = fq[rank == top_k - 1]
        bar = kth[r] if floor_quanta is None else np.minimum(kth[r], floor_quanta[c])
        bar = np.maximum(bar, least)
        keep = bound >= need[r] + (bar - least) / QUANTUM
        r, c, bound = r[keep], c[keep], bound[keep]
        at_once *= 2
    if not found:
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing, nothing
    fr, fc, fq = (np.concatenate(part) for part in zip(*found, strict=True))
    order = np.lexsort((fc, fr))
    return fr[order], fc[order], fq[order]


def _pruned_scan(
    vectors: sparse.csr_matrix, split: _Split, rows: Ints, scan: _Scan
) -> tuple[Choices, Choices]:
    """`_brute_scan` through SPLIT: only the pairs whose bound reaches the least score are
    scored."""
    n = vectors.shape[0]
    floor_quanta = None if scan.offer_to is None else scan.offer_to[0]

    def compare(block: Ints) -> tuple[Choices, Choices | None]:
        r, c, q = _pruned_block(
            vectors, split, block, top_k=scan.top_k, least=scan.least, floor_quanta=floor_quanta
        )
        best = Choices.ranked(block[r], c, q, scan.top_k)
        if scan.offer_to is None:
            return best, None
        floor_quanta_of, floor_row = scan.offer_to
        better = (q > floor_quanta_of[c]) | ((q == floor_quanta_of[c]) & (block[r] < floor_row[c]))
        return best, Choices(c[better], block[r][better], q[better])

    return scan.in_blocks(rows, max(1, BLOCK_CELLS // max(n, 1)), compare)

"""Same-script choices: scores kept as ten-thousandths, each narrative's TOP_K best others,
and the comparison of rows with every row a block at a time (every score of a block made; the
pruned comparison of `bigfish.ml.similar_pruned` keeps exactly the same choices).

Part of `bigfish.ml.similar`, which re-exports its public names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

#: Scores are kept as whole ten-thousandths (4 decimals).
QUANTUM = 10_000
#: Scores held at once (rows of a block × every narrative): about 16 MB of float32.
BLOCK_CELLS = 1 << 22

Vectors: TypeAlias = sparse.csr_matrix | npt.NDArray[np.float32]
Ints: TypeAlias = npt.NDArray[np.int64]


def least_quantum(min_score: float) -> int:
    """The lowest kept score in ten-thousandths: MIN_SCORE rounded up, and never 0 (nothing in
    common is no suggestion, whatever MIN_SCORE)."""
    return max(1, math.ceil(round(min_score * QUANTUM, 6)))


@dataclass(frozen=True)
class Choices:
    """Narratives' chosen others: parallel arrays of row indices and scores (in ten-thousandths),
    ordered by chooser, then best first (higher score, then the earlier row)."""

    chooser: Ints
    partner: Ints
    quanta: Ints

    @classmethod
    def empty(cls) -> Choices:
        """No choice at all."""
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, nothing)

    @classmethod
    def ranked(cls, chooser: Ints, partner: Ints, quanta: Ints, top_k: int) -> Choices:
        """The TOP_K best of each chooser among the given (chooser, partner, quanta)."""
        order = np.lexsort((partner, -quanta, chooser))
        chooser, partner, quanta = chooser[order], partner[order], quanta[order]
        rank = np.arange(len(chooser)) - np.searchsorted(chooser, chooser)
        best = rank < top_k
        return cls(chooser[best], partner[best], quanta[best])

    @classmethod
    def joined(cls, parts: Sequence[Choices]) -> Choices:
        """PARTS (of distinct choosers, each ranked) as one, ordered by chooser."""
        if not parts:
            return cls.empty()
        chooser = np.concatenate([p.chooser for p in parts])
        order = np.argsort(chooser, kind="stable")
        return cls(
            chooser[order],
            np.concatenate([p.partner for p in parts])[order],
            np.concatenate([p.quanta for p in parts])[order],
        )

    def of(self, rows: npt.NDArray[np.bool_]) -> Choices:
        """The choices of the choosers where ROWS (a mask of every row) is true."""
        keep = rows[self.chooser]
        return Choices(self.chooser[keep], self.partner[keep], self.quanta[keep])

    def floors(self, rows: int) -> tuple[Ints, Ints, Ints]:
        """Per row of ROWS: how many it chose, and its worst choice's score and row (0 and -1
        when it chose none)."""
        chosen = np.bincount(self.chooser, minlength=rows).astype(np.int64)
        floor_quanta = np.zeros(rows, dtype=np.int64)
        floor_row = np.full(rows, -1, dtype=np.int64)
        last = np.flatnonzero(np.append(self.chooser[1:] != self.chooser[:-1], True))
        if len(self.chooser):
            floor_quanta[self.chooser[last]] = self.quanta[last]
            floor_row[self.chooser[last]] = self.partner[last]
        return chosen, floor_quanta, floor_row

    def pairs(self) -> tuple[Ints, Ints, Ints]:
        """Each pair that either side chose, once: (lower row, higher row, quanta), by row."""
        low = np.minimum(self.chooser, self.partner)
        high = np.maximum(self.chooser, self.partner)
        key = low * (int(high.max(initial=0)) + 1) + high
        _, first = np.unique(key, return_index=True)
        return low[first], high[first], self.quanta[first]


def _scores(
    vectors: Vectors, transposed: sparse.csr_matrix | None, block: Ints
) -> npt.NDArray[np.float32]:
    """Scores (in ten-thousandths, integral float32) of the rows BLOCK against every row; a row
    scores -1 against itself. TRANSPOSED (the sparse vectors' transpose, when made) is the
    faster way for many blocks; without it no copy of the vectors is made. Each score is the
    same float either way: summed over the two rows' common n-grams in the n-grams' order."""
    if isinstance(vectors, np.ndarray):
        dense = np.ascontiguousarray(vectors[block] @ vectors.T, dtype=np.float32)
    elif transposed is not None:
        dense = np.asarray((vectors[block] @ transposed).toarray(), dtype=np.float32)
    else:
        dense = np.ascontiguousarray((vectors @ vectors[block].T).toarray().T, dtype=np.float32)
    np.multiply(dense, np.float32(QUANTUM), out=dense)
    np.rint(dense, out=dense)
    dense[np.arange(len(block)), block] = -1.0
    return dense


def _best_of_block(scores: npt.NDArray[np.float32], block: Ints, top_k: int, least: int) -> Choices:
    """The TOP_K best others of each row of BLOCK, scored LEAST or more."""
    n = scores.shape[1]
    bar = np.full(len(block), np.float32(least))
    if top_k < n:
        kth = np.partition(scores, n - top_k, axis=1)[:, n - top_k]
        bar = np.maximum(bar, kth)
    r, c = np.nonzero(scores >= bar[:, None])
    quanta = scores[r, c].astype(np.int64)
    return Choices.ranked(block[r], c.astype(np.int64), quanta, top_k)


def _offers_of_block(
    scores: npt.NDArray[np.float32], block: Ints, floor_quanta: Ints, floor_row: Ints, least: int
) -> Choices:
    """(other row, row of BLOCK, score) where the row of BLOCK would enter the other's choices:
    above its floor, or equal to it from an earlier row."""
    floor = floor_quanta.astype(np.float32)[None, :]
    better = (scores > floor) | ((scores == floor) & (block[:, None] < floor_row[None, :]))
    r, c = np.nonzero(better & (scores >= least))
    return Choices(c.astype(np.int64), block[r], scores[r, c].astype(np.int64))


@dataclass(frozen=True)
class _Scan:
    """What a comparison of rows with every row keeps (`similar._scan`): each row's TOP_K best
    others scored LEAST quanta or more, and (when OFFER_TO gives every row's floor, its quanta
    and its row) where the row would enter another row's choices; PROGRESS, when given, is told
    (DONE + rows compared, of TOTAL) after each block."""

    top_k: int
    least: int
    offer_to: tuple[Ints, Ints] | None
    progress: Callable[[int, int], None] | None
    done: int
    total: int

    def in_blocks(
        self, rows: Ints, size: int, compare: Callable[[Ints], tuple[Choices, Choices | None]]
    ) -> tuple[Choices, Choices]:
        """ROWS compared SIZE at a time by COMPARE, which gives a block's best others and its
        offers (None when OFFER_TO is): all their best others, and all their offers."""
        best: list[Choices] = []
        offers: list[Choices] = []
        for start in range(0, len(rows), size):
            block = rows[start : start + size]
            block_best, block_offers = compare(block)
            best.append(block_best)
            if block_offers is not None:
                offers.append(block_offers)
            if self.progress is not None:
                self.progress(self.done + start + len(block), self.total)
        return Choices.joined(best), Choices.joined(offers)


def _brute_scan(vectors: Vectors, rows: Ints, scan: _Scan) -> tuple[Choices, Choices]:
    """Compare ROWS with every row as SCAN says, a block at a time, every score of the block
    made (the pruned comparison's oracle)."""
    n = vectors.shape[0]
    transposed = None
    if isinstance(vectors, sparse.csr_matrix) and len(rows) > n // 8:
        # A copy of the vectors and about one block's work: worth it for many blocks.
        transposed = vectors.T.tocsr()

    def compare(block: Ints) -> tuple[Choices, Choices | None]:
        scores = _scores(vectors, transposed, block)
        best = _best_of_block(scores, block, scan.top_k, scan.least)
        if scan.offer_to is None:
            return best, None
        return best, _offers_of_block(scores, block, *scan.offer_to, scan.least)

    return scan.in_blocks(rows, max(1, BLOCK_CELLS // max(n, 1)), compare)

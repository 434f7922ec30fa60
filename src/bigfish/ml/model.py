"""The scam classifier at inference time: numpy only, weights from an .npz plus a JSON header.

Texts are routed by script: a text with Thai script goes to the Thai route, every other text to
the general route; each route has its own weights, trained only on the training texts of its
script. Within a route two linear heads share one feature space: (a) hashed character 1–5-grams
of the normalized text, sublinear tf·idf, L2-normalized, and (b) a few dense scam signals (links,
shorteners, LINE IDs, phones, USSD codes, money, urgency…). Head 0 says *unwanted* (scam or spam)
against legit; head 1 says scam against spam given unwanted. Each head's margin is turned into a
probability by Platt scaling fitted on out-of-fold margins, and
``P(legit) = 1 - u``, ``P(scam) = u·s``, ``P(spam) = u·(1 - s)``.

Inference never builds a sparse matrix: the hashed n-grams come as sorted coordinate arrays and
each margin is one ``bincount``, so a single message costs a few hundred microseconds.
The scam type comes from the seed lexicon of typology.py.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.errors import ConfigError
from bigfish.ml.features import (
    DENSE_NAMES,
    HashedCounts,
    HashingSpec,
    dense_features,
    hashed_counts,
    thai_script,
)
from bigfish.ml.typology import SCAM_TYPES, score_types, type_probabilities

FORMAT = "bigfish-scam-classifier/2"
#: Routes by script; a route's two heads are columns ``2·r`` and ``2·r + 1`` of the weights.
ROUTES: tuple[str, ...] = ("general", "thai")
DEFAULT_NAME = "scam-classifier"


@dataclass(frozen=True)
class Classification:
    """What the classifier says about one text."""

    label: str
    scam_probability: float
    scam_type: str | None
    scam_type_probability: float | None


@dataclass(frozen=True)
class ModelWeights:
    """Everything inference needs; what train() produces and an artifact stores."""

    spec: HashingSpec
    labels: tuple[str, ...]
    idf: npt.NDArray[np.float32]
    ngram_weights: npt.NDArray[np.float32]
    dense_weights: npt.NDArray[np.float32]
    dense_scale: float
    intercept: npt.NDArray[np.float32]
    platt: npt.NDArray[np.float64]
    meta: dict[str, Any]


def tfidf_counts(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32]
) -> HashedCounts:
    """Sublinear tf·idf of the hashed n-grams of TEXTS, each text L2-normalized, as coordinates."""
    found = hashed_counts(texts, spec)
    data = np.log1p(found.counts) * idf[found.cols]
    norms = np.sqrt(np.bincount(found.rows, weights=data * data, minlength=found.n_docs))
    norms[norms == 0] = 1.0
    data = (data / norms[found.rows]).astype(np.float32)
    return HashedCounts(found.n_docs, found.rows, found.cols, data)


def ngram_matrix(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32]
) -> sparse.csr_matrix:
    """Sublinear tf·idf of the hashed n-grams of TEXTS, each row L2-normalized (for training)."""
    found = tfidf_counts(texts, spec, idf)
    indptr = np.zeros(found.n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(found.rows, minlength=found.n_docs), out=indptr[1:])
    return sparse.csr_matrix(
        (found.counts, found.cols, indptr), shape=(found.n_docs, spec.width), dtype=np.float32
    )


#: Characters hashed at once by Classifier.margins (about 200 MB of working memory).
CHUNK_CHARS = 1_000_000


def _slices(texts: Sequence[str]) -> list[tuple[int, int]]:
    """(start, stop) of consecutive slices of TEXTS of at most CHUNK_CHARS characters each,
    or of one longer text."""
    out, start, size = [], 0, 0
    for i, text in enumerate(texts):
        if size and size + len(text) > CHUNK_CHARS:
            out.append((start, i))
            start, size = i, 0
        size += len(text)
    out.append((start, len(texts)))
    return out


def dense_margins(
    dense: npt.NDArray[np.float32], scale: float, weights: npt.NDArray[np.float32]
) -> npt.NDArray[np.float64]:
    """The dense signals' part of each head's margin: ``(dense · scale) @ weights``, in float64.

    Summed one column at a time, not by a matrix product: a float32 BLAS product takes another
    path for one row than for many, so a text's probability moved in the 4th decimal with the
    batch it came in (and `bigfish classify` disagreed with what ingest stored).
    """
    scaled = dense.astype(np.float64) * scale
    out = np.zeros((dense.shape[0], weights.shape[1]))
    for j in range(dense.shape[1]):
        out += scaled[:, j, None] * weights[j].astype(np.float64)
    return out


def routes_of(texts: Sequence[str]) -> npt.NDArray[np.int64]:
    """The route index (into ROUTES) of each text: 1 with Thai script, else 0."""
    return thai_script(texts).astype(np.int64)


class Classifier:
    """Scores texts as scam, spam or legit; one instance is safe to share between threads."""

    def __init__(self, weights: ModelWeights) -> None:
        self.weights = weights
        # The (buckets, heads) n-gram weights, gathered a bucket's row at a time: one take for
        # every head is faster than one per head, and each product is the same float32.
        self._ngram_weights = np.ascontiguousarray(weights.ngram_weights)
        self._scam = weights.labels.index("scam")
        self._legit = weights.labels.index("legit")

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities, shape ``(len(texts), len(labels))``."""
        w = self.weights
        if not texts:
            return np.zeros((0, len(w.labels)))
        heads = self.margins(texts) * w.platt[0] + w.platt[1]
        pick = 2 * routes_of(texts)[:, None] + np.arange(2)
        chosen = np.take_along_axis(heads, pick, axis=1)
        unwanted, scam = (1.0 / (1.0 + np.exp(-chosen))).T
        by_label = {"legit": 1.0 - unwanted, "scam": unwanted * scam, "spam": unwanted * (1 - scam)}
        return np.stack([by_label[label] for label in w.labels], axis=1)

    def margins(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Raw margins of every route's two heads, shape ``(n, 2·len(ROUTES))``.

        A text is read without the whitespace around it: `bigfish classify` strips each line
        while ingest and the API keep a narrative as sent, and the same words got two answers.
        (Training reads its texts as they are; the model is unchanged.)

        Worked out a slice of at most CHUNK_CHARS characters (or one text) at a time: hashing
        holds about 200 bytes per character, so the 32 MB an API body may hold took 6 GB at once.
        A text's margins do not depend on the others, so the slices change no result.
        """
        if not texts:
            return np.zeros((0, 2 * len(ROUTES)))
        stripped = [text.strip() for text in texts]
        return np.concatenate([self._margins(stripped[a:b]) for a, b in _slices(stripped)])

    def _margins(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        w = self.weights
        found = tfidf_counts(texts, w.spec, w.idf)
        products = np.take(self._ngram_weights, found.cols, axis=0) * found.counts[:, None]
        margins: npt.NDArray[np.float64] = np.stack(
            [
                np.bincount(found.rows, weights=products[:, head], minlength=len(texts))
                for head in range(products.shape[1])
            ],
            axis=1,
        )
        result: npt.NDArray[np.float64] = margins + dense_margins(
            dense_features(texts), w.dense_scale, w.dense_weights
        )
        result += w.intercept
        return result

    def label_indices(self, probs: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """The decision of the two heads: legit unless P(unwanted) ≥ ½, then scam or spam.

        An argmax over the three probabilities would call a text with P(unwanted) = 0.6 legit
        when the 0.6 splits evenly between scam and spam; the heads decide in their own order.
        """
        w = self.weights
        unwanted = probs[:, self._legit] < 0.5
        scam = probs[:, self._scam] >= probs[:, w.labels.index("spam")]
        spam_or_scam = np.where(scam, self._scam, w.labels.index("spam"))
        return np.where(unwanted, spam_or_scam, self._legit).astype(np.int64)

    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        """Classify every text of TEXTS in one vectorized pass, in order."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        best = self.label_indices(probs)
        # Only unwanted texts get a scam type, so the lexicon runs on those alone.
        unwanted = np.flatnonzero(best != self._legit)
        type_scores = np.zeros((len(texts), len(SCAM_TYPES)), dtype=np.float32)
        if len(unwanted):
            type_scores[unwanted] = score_types([texts[i] for i in unwanted.tolist()])
        type_probs = type_probabilities(type_scores)
        best_type = type_probs.argmax(axis=1)
        has_cue = type_scores.sum(axis=1) > 0
        labels = self.weights.labels
        scam_p = np.round(probs[:, self._scam], 4).tolist()
        type_p = np.round(type_probs[np.arange(len(texts)), best_type], 4).tolist()
        out = []
        for i, label_index in enumerate(best.tolist()):
            label = labels[label_index]
            typed = label == "scam" or (label != "legit" and bool(has_cue[i]))
            out.append(
                Classification(
                    label=label,
                    scam_probability=scam_p[i],
                    scam_type=SCAM_TYPES[best_type[i]] if typed else None,
                    scam_type_probability=type_p[i] if typed else None,
                )
            )
        return out

    def classify(self, text: str) -> Classification:
        """Classify one text."""
        return self.classify_batch([text])[0]


def save_weights(weights: ModelWeights, directory: Path, name: str = DEFAULT_NAME) -> Path:
    """Write WEIGHTS as ``NAME.npz`` (arrays) and ``NAME.json`` (header); return the .npz path."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = np.flatnonzero(np.any(weights.ngram_weights != 0, axis=1)).astype(np.int32)
    npz = directory / f"{name}.npz"
    with npz.open("wb") as fh:
        np.savez_compressed(
            fh,
            idf=weights.idf.astype(np.float16),
            rows=rows,
            ngram_weights=weights.ngram_weights[rows].astype(np.float16),
            dense_weights=weights.dense_weights.astype(np.float32),
            intercept=weights.intercept.astype(np.float32),
            platt=weights.platt.astype(np.float64),
        )
    header = {
        "format": FORMAT,
        "hashing": {
            "bits": weights.spec.bits,
            "n_min": weights.spec.n_min,
            "n_max": weights.spec.n_max,
        },
        "labels": list(weights.labels),
        "routes": list(ROUTES),
        "dense_features": list(DENSE_NAMES),
        "dense_scale": weights.dense_scale,
        "meta": weights.meta,
    }
    (directory / f"{name}.json").write_text(json.dumps(header, indent=2, sort_keys=True) + "\n")
    return npz


def load_weights(npz: Path) -> ModelWeights:
    """Read the weights saved by save_weights (NPZ and the JSON beside it); ConfigError naming
    the file when either is missing, truncated or not such a model."""
    header_path = npz.with_suffix(".json")
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the model header {header_path}: {exc}") from exc
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("dense_features") != list(DENSE_NAMES)
        or header.get("routes") != list(ROUTES)
    ):
        raise ConfigError(f"{header_path} is not a {FORMAT} model for this version of bigfish")
    try:
        # np.load reads an archive's members lazily: a damaged member fails on first use,
        # so every array is read inside this block.
        with np.load(npz, allow_pickle=False) as arrays:
            return _weights(header, arrays)
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        raise ConfigError(f"cannot read the model {npz}: {exc!r}") from exc


def _weights(header: dict[str, Any], arrays: Any) -> ModelWeights:
    """ModelWeights from a model's HEADER and its ARRAYS (an open .npz)."""
    spec = HashingSpec(**header["hashing"])
    ngram = np.zeros((spec.width, 2 * len(ROUTES)), dtype=np.float32)
    ngram[arrays["rows"]] = arrays["ngram_weights"].astype(np.float32)
    heads = 2 * len(ROUTES)
    if (
        sorted(header["labels"]) != ["legit", "scam", "spam"]
        or arrays["idf"].shape != (spec.width,)
        or arrays["dense_weights"].shape != (len(DENSE_NAMES), heads)
        or arrays["intercept"].shape != (heads,)
        or arrays["platt"].shape != (2, heads)
    ):
        raise ValueError("the arrays or labels do not fit the header")
    return ModelWeights(
        spec=spec,
        labels=tuple(header["labels"]),
        idf=arrays["idf"].astype(np.float32),
        ngram_weights=ngram,
        dense_weights=arrays["dense_weights"],
        dense_scale=float(header["dense_scale"]),
        intercept=arrays["intercept"],
        platt=arrays["platt"],
        meta=dict(header["meta"]),
    )


def default_model_path() -> Path:
    """Where the shipped model lives inside the package."""
    return Path(str(resources.files("bigfish") / "data" / "models" / f"{DEFAULT_NAME}.npz"))


@lru_cache(maxsize=4)
def _cached(path: Path) -> Classifier:
    return Classifier(load_weights(path))


def load_classifier(path: Path | None = None) -> Classifier:
    """The classifier saved at PATH (an .npz), by default the shipped model; cached per path."""
    return _cached(path or default_model_path())

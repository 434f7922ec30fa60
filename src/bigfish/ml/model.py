"""The scam classifier at inference time: numpy only, weights from an .npz plus a JSON header.

Two linear heads share one feature space: (a) hashed character 1–5-grams of the normalized text,
sublinear tf·idf, L2-normalized, and (b) a few dense scam signals (links, shorteners, LINE IDs,
phones, USSD codes, money, urgency…). Head 0 says *unwanted* (scam or spam) against legit; head 1
says scam against spam given unwanted. Each head's margin is turned into a probability by Platt
scaling fitted on out-of-fold margins, and
``P(legit) = 1 - u``, ``P(scam) = u·s``, ``P(spam) = u·(1 - s)``.
The scam type comes from the seed lexicon of typology.py.
"""

from __future__ import annotations

import json
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
from bigfish.ml.features import DENSE_NAMES, HashingSpec, dense_features, hashed_ngrams
from bigfish.ml.typology import SCAM_TYPES, score_types, type_probabilities

FORMAT = "bigfish-scam-classifier/1"
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


def ngram_matrix(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32]
) -> sparse.csr_matrix:
    """Sublinear tf·idf of the hashed n-grams of TEXTS, each row L2-normalized."""
    matrix = hashed_ngrams(texts, spec)
    data = np.log1p(matrix.data) * idf[matrix.indices]
    squares = np.add.reduceat(data * data, matrix.indptr[:-1]) if len(data) else np.zeros(0)
    counts = np.diff(matrix.indptr)
    norms = np.ones(matrix.shape[0], dtype=np.float32)
    norms[counts > 0] = np.sqrt(squares[counts > 0])
    matrix.data = (data / np.repeat(norms, counts)).astype(np.float32)
    return matrix


class Classifier:
    """Scores texts as scam, spam or legit; one instance is safe to share between threads."""

    def __init__(self, weights: ModelWeights) -> None:
        self.weights = weights
        self._scam = weights.labels.index("scam")
        self._legit = weights.labels.index("legit")

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities, shape ``(len(texts), len(labels))``."""
        w = self.weights
        if not texts:
            return np.zeros((0, len(w.labels)))
        heads = self.margins(texts) * w.platt[0] + w.platt[1]
        unwanted, scam = (1.0 / (1.0 + np.exp(-heads))).T
        by_label = {"legit": 1.0 - unwanted, "scam": unwanted * scam, "spam": unwanted * (1 - scam)}
        return np.stack([by_label[label] for label in w.labels], axis=1)

    def margins(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Raw margins of the two heads (unwanted, scam-given-unwanted), shape ``(n, 2)``."""
        w = self.weights
        margins = ngram_matrix(texts, w.spec, w.idf) @ w.ngram_weights
        margins = margins + (dense_features(texts) * w.dense_scale) @ w.dense_weights
        result: npt.NDArray[np.float64] = (margins + w.intercept).astype(np.float64)
        return result

    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        """Classify every text of TEXTS in one vectorized pass, in order."""
        if not texts:
            return []
        probs = self.probabilities(texts)
        type_scores = score_types(texts)
        type_probs = type_probabilities(type_scores)
        best = probs.argmax(axis=1)
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
        "dense_features": list(DENSE_NAMES),
        "dense_scale": weights.dense_scale,
        "meta": weights.meta,
    }
    (directory / f"{name}.json").write_text(json.dumps(header, indent=2, sort_keys=True) + "\n")
    return npz


def load_weights(npz: Path) -> ModelWeights:
    """Read the weights saved by save_weights (NPZ and the JSON beside it)."""
    header_path = npz.with_suffix(".json")
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
        arrays = np.load(npz, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the model at {npz}: {exc}") from exc
    if header.get("format") != FORMAT or header.get("dense_features") != list(DENSE_NAMES):
        raise ConfigError(f"{npz} is not a {FORMAT} model for this version of bigfish")
    spec = HashingSpec(**header["hashing"])
    ngram = np.zeros((spec.width, 2), dtype=np.float32)
    ngram[arrays["rows"]] = arrays["ngram_weights"].astype(np.float32)
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

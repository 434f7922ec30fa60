"""Reproducible training of the scam classifier (scikit-learn) into numpy weights.

``train`` reads the shared data sets (and any operator files), splits each data set with the
fixed seed, fits on the training part only, fits a temperature on out-of-fold predictions of the
training part, and writes the artifact. The held-out part is never seen here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from bigfish.ml.data import LABELS, Example, read_operator, read_shared, split
from bigfish.ml.features import HashingSpec, dense_features, hashed_ngrams
from bigfish.ml.model import ModelWeights, ngram_matrix, save_weights

DEFAULT_SEED = 20251217
DEFAULT_C = 3.0
DENSE_SCALE = 0.2
_FOLDS = 5


@dataclass(frozen=True)
class TrainingResult:
    """What a training run produced: the artifact path, its weights and the split sizes."""

    model_path: Path
    weights: ModelWeights
    train_size: int
    test_size: int
    seed: int


def fit_weights(
    examples: Sequence[Example],
    *,
    spec: HashingSpec | None = None,
    c: float = DEFAULT_C,
    calibrate: bool = True,
    meta: dict[str, object] | None = None,
) -> ModelWeights:
    """Fit both heads on EXAMPLES (all of them: split before calling)."""
    spec = spec or HashingSpec()
    texts = [ex.text for ex in examples]
    targets = _targets(examples)
    idf = _idf(texts, spec)
    design = _design(texts, spec, idf)
    coef = np.zeros((design.shape[1], 2), dtype=np.float32)
    intercept = np.zeros(2, dtype=np.float32)
    for head, (rows, y) in enumerate(targets):
        model = _fit(design[rows], y, c)
        coef[:, head] = model.coef_[0]
        intercept[head] = model.intercept_[0]
    platt = _platt(examples, spec, c) if calibrate else np.array([[1.0, 1.0], [0.0, 0.0]])
    return ModelWeights(
        spec=spec,
        labels=LABELS,
        idf=idf,
        ngram_weights=np.ascontiguousarray(coef[: spec.width]),
        dense_weights=np.ascontiguousarray(coef[spec.width :]),
        dense_scale=DENSE_SCALE,
        intercept=intercept,
        platt=platt,
        meta=dict(meta or {}),
    )


def _targets(
    examples: Sequence[Example],
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(rows, 0/1 target) of each head: unwanted vs legit on all; scam vs spam on unwanted."""
    labels = np.array([ex.label for ex in examples])
    unwanted = np.flatnonzero(labels != "legit")
    return [
        (np.arange(len(examples)), (labels != "legit").astype(np.int64)),
        (unwanted, (labels[unwanted] == "scam").astype(np.int64)),
    ]


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    extra: Sequence[Path] = (),
    seed: int = DEFAULT_SEED,
    c: float = DEFAULT_C,
) -> TrainingResult:
    """Rebuild the model from DATA_DIR (plus EXTRA labelled files) into OUT_DIR, fixed by SEED."""
    examples = read_shared(data_dir)
    for path in extra:
        examples += read_operator(path)
    train_part, test_part = split(examples, seed=seed)
    meta: dict[str, object] = {
        "seed": seed,
        "c": c,
        "test_fraction": 0.25,
        "train_size": len(train_part),
        "test_size": len(test_part),
        "train_digest": _digest(train_part),
        "extra_files": [p.name for p in extra],
    }
    weights = fit_weights(train_part, c=c, meta=meta)
    path = save_weights(weights, out_dir)
    return TrainingResult(path, weights, len(train_part), len(test_part), seed)


def _idf(texts: Sequence[str], spec: HashingSpec) -> npt.NDArray[np.float32]:
    counts = hashed_ngrams(texts, spec)
    df = np.bincount(counts.indices, minlength=spec.width)
    idf: npt.NDArray[np.float32] = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    return idf


def _design(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32]
) -> sparse.csr_matrix:
    dense = sparse.csr_matrix(dense_features(texts) * DENSE_SCALE)
    return sparse.hstack([ngram_matrix(texts, spec, idf), dense], format="csr")


def _fit(design: sparse.csr_matrix, y: npt.NDArray[np.int64], c: float) -> LinearSVC:
    """One-vs-rest linear SVM (deterministic dual coordinate descent with a fixed seed)."""
    model = LinearSVC(C=c, max_iter=20000, tol=1e-5, random_state=0)
    model.fit(design, y)
    return model


def _platt(examples: Sequence[Example], spec: HashingSpec, c: float) -> npt.NDArray[np.float64]:
    """Platt scaling (slope, intercept) of each head, fitted on out-of-fold margins."""
    folds = np.array([_fold(ex) for ex in examples])
    margins = np.zeros((len(examples), 2))
    for k in range(_FOLDS):
        inside = np.flatnonzero(folds != k)
        held = np.flatnonzero(folds == k)
        fold_examples = [examples[int(i)] for i in inside]
        fold_texts = [ex.text for ex in fold_examples]
        idf = _idf(fold_texts, spec)
        design = _design(fold_texts, spec, idf)
        held_design = _design([examples[int(i)].text for i in held], spec, idf)
        for head, (rows, y) in enumerate(_targets(fold_examples)):
            margins[held, head] = _fit(design[rows], y, c).decision_function(held_design)
    platt = np.zeros((2, 2))
    for head, (rows, y) in enumerate(_targets(examples)):
        scaler = LogisticRegression(C=1e4, tol=1e-8, max_iter=1000)
        scaler.fit(margins[rows, head : head + 1], y)
        platt[0, head] = round(float(scaler.coef_[0, 0]), 6)
        platt[1, head] = round(float(scaler.intercept_[0]), 6)
    return platt


def _fold(ex: Example) -> int:
    from bigfish.ml.features import normalize_text

    key = f"fold\x1f{ex.dataset}\x1f{normalize_text(ex.text).strip()}"
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % _FOLDS


def _digest(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(f"{ex.dataset}\x1f{ex.label}\x1f{ex.text}\n".encode())
    return h.hexdigest()[:16]

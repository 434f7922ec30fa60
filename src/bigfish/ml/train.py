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
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bigfish.ml.data import LABELS, Example, read_operator, read_shared, split
from bigfish.ml.features import HashingSpec, dense_features, hashed_ngrams
from bigfish.ml.model import ROUTES, ModelWeights, ngram_matrix, routes_of, save_weights

if TYPE_CHECKING:  # scikit-learn loads only when a model is trained
    from sklearn.svm import LinearSVC

DEFAULT_SEED = 20251217
DEFAULT_C = 10.0
DEFAULT_C_THAI = 10.0
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
    c_thai: float = DEFAULT_C_THAI,
    dense_scale: float = DENSE_SCALE,
    calibrate: bool = True,
    meta: dict[str, object] | None = None,
) -> ModelWeights:
    """Fit both heads of each route on EXAMPLES (all of them: split before calling).

    C is the SVM cost of the general route, C_THAI of the Thai route.
    """
    spec = spec or HashingSpec()
    texts = [ex.text for ex in examples]
    targets = _targets(examples)
    idf = _idf(texts, spec)
    design = _design(texts, spec, idf, dense_scale)
    costs = (c, c_thai)
    columns = 2 * len(ROUTES)
    coef = np.zeros((design.shape[1], columns), dtype=np.float32)
    intercept = np.zeros(columns, dtype=np.float32)
    for column, rows, y in targets:
        model = _fit(design[rows], y, costs[column // 2])
        coef[:, column] = model.coef_[0]
        intercept[column] = model.intercept_[0]
    identity = np.stack([np.ones(columns), np.zeros(columns)])
    platt = _platt(examples, spec, costs, dense_scale) if calibrate else identity
    return ModelWeights(
        spec=spec,
        labels=LABELS,
        idf=idf,
        ngram_weights=np.ascontiguousarray(coef[: spec.width]),
        dense_weights=np.ascontiguousarray(coef[spec.width :]),
        dense_scale=dense_scale,
        intercept=intercept,
        platt=platt,
        meta=dict(meta or {}),
    )


def _targets(
    examples: Sequence[Example],
) -> list[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(weight column, rows, 0/1 target) of each head of each route with both classes present.

    Per route (by script): unwanted vs legit on all its texts; scam vs spam on its unwanted
    ones, except that the general route's scam head learns from every unwanted text: the Thai
    set holds the only hand-labelled scams (UCI's scam/spam split is a weak relabelling), and
    the general route also serves the languages with no labelled data at all.
    """
    labels = np.array([ex.label for ex in examples])
    routes = routes_of([ex.text for ex in examples])
    out = []
    for route in range(len(ROUTES)):
        mine = np.flatnonzero(routes == route)
        pool = mine if route else np.arange(len(examples))
        unwanted = pool[labels[pool] != "legit"]
        for head, (rows, y) in enumerate(
            [(mine, labels[mine] != "legit"), (unwanted, labels[unwanted] == "scam")]
        ):
            if 0 < int(y.sum()) < len(y):
                out.append((2 * route + head, rows, y.astype(np.int64)))
    return out


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    extra: Sequence[Path] = (),
    seed: int = DEFAULT_SEED,
    c: float = DEFAULT_C,
    c_thai: float = DEFAULT_C_THAI,
) -> TrainingResult:
    """Rebuild the model from DATA_DIR (plus EXTRA labelled files) into OUT_DIR, fixed by SEED."""
    examples = read_shared(data_dir)
    for path in extra:
        examples += read_operator(path)
    train_part, test_part = split(examples, seed=seed)
    meta: dict[str, object] = {
        "seed": seed,
        "c": c,
        "c_thai": c_thai,
        "dense_scale": DENSE_SCALE,
        "test_fraction": 0.25,
        "train_size": len(train_part),
        "test_size": len(test_part),
        "train_digest": _digest(train_part),
        "extra_files": [p.name for p in extra],
    }
    weights = fit_weights(train_part, c=c, c_thai=c_thai, meta=meta)
    path = save_weights(weights, out_dir)
    return TrainingResult(path, weights, len(train_part), len(test_part), seed)


def _idf(texts: Sequence[str], spec: HashingSpec) -> npt.NDArray[np.float32]:
    counts = hashed_ngrams(texts, spec)
    df = np.bincount(counts.indices, minlength=spec.width)
    idf: npt.NDArray[np.float32] = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    return idf


def _design(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32], dense_scale: float
) -> sparse.csr_matrix:
    dense = sparse.csr_matrix(dense_features(texts) * dense_scale)
    return sparse.hstack([ngram_matrix(texts, spec, idf), dense], format="csr")


def _fit(design: sparse.csr_matrix, y: npt.NDArray[np.int64], c: float) -> LinearSVC:
    """One-vs-rest linear SVM (deterministic dual coordinate descent with a fixed seed)."""
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=c, max_iter=20000, tol=1e-5, random_state=0)
    model.fit(design, y)
    return model


def _platt(
    examples: Sequence[Example],
    spec: HashingSpec,
    costs: tuple[float, float],
    dense_scale: float,
) -> npt.NDArray[np.float64]:
    """Platt scaling (slope, intercept) of each head, fitted on out-of-fold margins."""
    folds = np.array([_fold(ex) for ex in examples])
    margins = np.zeros((len(examples), 2 * len(ROUTES)))
    for k in range(_FOLDS):
        inside = np.flatnonzero(folds != k)
        held = np.flatnonzero(folds == k)
        fold_examples = [examples[int(i)] for i in inside]
        fold_texts = [ex.text for ex in fold_examples]
        idf = _idf(fold_texts, spec)
        design = _design(fold_texts, spec, idf, dense_scale)
        held_design = _design([examples[int(i)].text for i in held], spec, idf, dense_scale)
        for column, rows, y in _targets(fold_examples):
            model = _fit(design[rows], y, costs[column // 2])
            margins[held, column] = model.decision_function(held_design)
    from sklearn.linear_model import LogisticRegression

    platt = np.stack([np.ones(2 * len(ROUTES)), np.zeros(2 * len(ROUTES))])
    for column, rows, y in _targets(examples):
        scaler = LogisticRegression(C=1e4, tol=1e-8, max_iter=1000)
        scaler.fit(margins[rows, column : column + 1], y)
        platt[0, column] = round(float(scaler.coef_[0, 0]), 6)
        platt[1, column] = round(float(scaler.intercept_[0]), 6)
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

"""Reproducible training of the scam classifier (scikit-learn) into numpy weights.

``train`` reads the shared data sets, the English seed set beside them (``data/seed``) and any
operator files, splits each data set with the
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

from bigfish.ml.data import LABELS, SEED_DATASET, Example, read_labelled, read_operator, split
from bigfish.ml.features import HashingSpec, dense_features, hashed_ngrams
from bigfish.ml.model import ROUTES, ModelWeights, ngram_matrix, routes_of, save_weights

if TYPE_CHECKING:  # scikit-learn loads only when a model is trained
    from sklearn.svm import LinearSVC

DEFAULT_SEED = 20251217
DEFAULT_C = 10.0
DEFAULT_C_THAI = 10.0
DENSE_SCALE = 0.2
#: Weight of each English seed-set message in the SVM loss (0 would leave it out of the fit;
#: it is read, split and evaluated either way). 0.5, the best weight by inner CV on the training
#: splits (0.2-1 tried): the shipped model catches today's English bank phishing, parcel, toll
#: and refund scams, at the price of UCI 2011 held-out messages (model card, round 6).
SEED_WEIGHT = 0.5
#: Scale of the dense signals on the Thai route (None: DENSE_SCALE, as on the general route).
DENSE_SCALE_THAI: float | None = None
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
    seed_weight: float = SEED_WEIGHT,
    dense_scale_thai: float | None = DENSE_SCALE_THAI,
) -> ModelWeights:
    """Fit both heads of each route on EXAMPLES (all of them: split before calling).

    C is the SVM cost of the general route, C_THAI of the Thai route; each message of the
    English seed set weighs SEED_WEIGHT in the SVM loss (every other message 1). The dense
    signals are scaled by DENSE_SCALE on the general route and DENSE_SCALE_THAI (None: the
    same) on the Thai route; the Thai heads' dense weights are stored rescaled to DENSE_SCALE,
    the one scale the artifact applies, which gives the same margins.
    """
    spec = spec or HashingSpec()
    if seed_weight == 0.0:
        examples = [ex for ex in examples if ex.dataset != SEED_DATASET]
    texts = [ex.text for ex in examples]
    targets = _targets(examples)
    idf = _idf(texts, spec)
    scales = _scales(dense_scale, dense_scale_thai)
    designs = {scale: _design(texts, spec, idf, scale) for scale in sorted(set(scales))}
    costs = (c, c_thai)
    weight = _weights(examples, seed_weight)
    columns = 2 * len(ROUTES)
    coef = np.zeros((designs[dense_scale].shape[1], columns), dtype=np.float32)
    intercept = np.zeros(columns, dtype=np.float32)
    for column, rows, y in targets:
        scale = scales[column // 2]
        model = _fit(designs[scale][rows], y, costs[column // 2], _pick(weight, rows))
        coef[:, column] = model.coef_[0]
        if scale != dense_scale:
            coef[spec.width :, column] *= np.float32(scale / dense_scale)
        intercept[column] = model.intercept_[0]
    identity = np.stack([np.ones(columns), np.zeros(columns)])
    platt = _platt(examples, spec, costs, scales, seed_weight) if calibrate else identity
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
    seed_dir: Path | None = None,
    seed_weight: float = SEED_WEIGHT,
    dense_scale: float = DENSE_SCALE,
    dense_scale_thai: float | None = DENSE_SCALE_THAI,
) -> TrainingResult:
    """Rebuild the model from DATA_DIR (plus EXTRA labelled files) into OUT_DIR, fixed by SEED.

    The English seed set is read from SEED_DIR (default: ``seed`` beside DATA_DIR) when there
    and split like the others; with SEED_WEIGHT 0 (the default) it is left out of the fit and
    out of the sizes and digest recorded, so the artifact is the one built without it.
    """
    examples = read_labelled(data_dir, seed_dir)
    for path in extra:
        examples += read_operator(path)
    train_part, test_part = split(examples, seed=seed)
    if seed_weight == 0.0:
        train_part = [ex for ex in train_part if ex.dataset != SEED_DATASET]
        test_part = [ex for ex in test_part if ex.dataset != SEED_DATASET]
    meta: dict[str, object] = {
        "seed": seed,
        "c": c,
        "c_thai": c_thai,
        "dense_scale": dense_scale,
        "test_fraction": 0.25,
        "train_size": len(train_part),
        "test_size": len(test_part),
        "train_digest": _digest(train_part),
        "extra_files": [p.name for p in extra],
    }
    # Recorded only when used, so an artifact built without them keeps its header.
    if any(ex.dataset == SEED_DATASET for ex in train_part):
        meta["seed_weight"] = seed_weight
    if dense_scale_thai is not None and dense_scale_thai != dense_scale:
        meta["dense_scale_thai"] = dense_scale_thai
    weights = fit_weights(
        train_part,
        c=c,
        c_thai=c_thai,
        dense_scale=dense_scale,
        meta=meta,
        seed_weight=seed_weight,
        dense_scale_thai=dense_scale_thai,
    )
    path = save_weights(weights, out_dir)
    return TrainingResult(path, weights, len(train_part), len(test_part), seed)


def _idf(texts: Sequence[str], spec: HashingSpec) -> npt.NDArray[np.float32]:
    counts = hashed_ngrams(texts, spec)
    df = np.bincount(counts.indices, minlength=spec.width)
    idf: npt.NDArray[np.float32] = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    return idf


def _scales(dense_scale: float, dense_scale_thai: float | None) -> tuple[float, float]:
    """The dense scale of each route (general, Thai)."""
    return (dense_scale, dense_scale if dense_scale_thai is None else dense_scale_thai)


def _design(
    texts: Sequence[str], spec: HashingSpec, idf: npt.NDArray[np.float32], dense_scale: float
) -> sparse.csr_matrix:
    dense = sparse.csr_matrix(dense_features(texts) * dense_scale)
    return sparse.hstack([ngram_matrix(texts, spec, idf), dense], format="csr")


def _fit(
    design: sparse.csr_matrix,
    y: npt.NDArray[np.int64],
    c: float,
    weight: npt.NDArray[np.float64] | None = None,
) -> LinearSVC:
    """One-vs-rest linear SVM (deterministic dual coordinate descent with a fixed seed)."""
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=c, max_iter=20000, tol=1e-5, random_state=0)
    model.fit(design, y, sample_weight=weight)
    return model


def _weights(examples: Sequence[Example], seed_weight: float) -> npt.NDArray[np.float64] | None:
    """Per-message SVM weights, or None when every message weighs 1 (the unweighted fit)."""
    if seed_weight == 1.0:
        return None
    return np.array([seed_weight if ex.dataset == SEED_DATASET else 1.0 for ex in examples])


def _pick(
    weight: npt.NDArray[np.float64] | None, rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64] | None:
    return None if weight is None else weight[rows]


def _platt(
    examples: Sequence[Example],
    spec: HashingSpec,
    costs: tuple[float, float],
    scales: tuple[float, float],
    seed_weight: float,
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
        held_texts = [examples[int(i)].text for i in held]
        weight = _weights(fold_examples, seed_weight)
        for scale in sorted(set(scales)):
            design = _design(fold_texts, spec, idf, scale)
            held_design = _design(held_texts, spec, idf, scale)
            for column, rows, y in _targets(fold_examples):
                if scales[column // 2] != scale:
                    continue
                model = _fit(design[rows], y, costs[column // 2], _pick(weight, rows))
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

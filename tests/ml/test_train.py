"""Training is reproducible: the same data and seed give identical weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bigfish.ml.data import SEED_DATASET, Example, read_labelled, split
from bigfish.ml.features import HashingSpec
from bigfish.ml.model import Classifier, load_weights, save_weights
from bigfish.ml.train import _digest, fit_weights

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"
SPEC = HashingSpec(bits=16)


def _subsample() -> list[Example]:
    train_part, _ = split(read_labelled(DATA), seed=20251217)
    return train_part[::6]


def test_training_twice_gives_identical_weights() -> None:
    sample = _subsample()
    first = fit_weights(sample, spec=SPEC, calibrate=False)
    second = fit_weights(sample, spec=SPEC, calibrate=False)
    assert np.array_equal(first.ngram_weights, second.ngram_weights)
    assert np.array_equal(first.dense_weights, second.dense_weights)
    assert np.array_equal(first.intercept, second.intercept)


def test_seed_weighted_training_is_reproducible() -> None:
    sample = _subsample()
    assert any(ex.dataset == "seed-en" for ex in sample)
    first = fit_weights(sample, spec=SPEC, calibrate=False, seed_weight=0.5)
    second = fit_weights(sample, spec=SPEC, calibrate=False, seed_weight=0.5)
    plain = fit_weights(sample, spec=SPEC, calibrate=False, seed_weight=1.0)
    assert np.array_equal(first.ngram_weights, second.ngram_weights)
    assert not np.array_equal(first.ngram_weights, plain.ngram_weights)


def test_seed_weight_zero_is_training_without_the_seed_set() -> None:
    sample = _subsample()
    without = [ex for ex in sample if ex.dataset != SEED_DATASET]
    zero = fit_weights(sample, spec=SPEC, calibrate=False, seed_weight=0.0)
    plain = fit_weights(without, spec=SPEC, calibrate=False, seed_weight=1.0)
    assert np.array_equal(zero.ngram_weights, plain.ngram_weights)
    assert np.array_equal(zero.idf, plain.idf)


def test_shipped_artifact_saw_the_training_split_only() -> None:
    """The shipped weights were fitted on exactly the training split (the digest `bigfish ml
    train` records), so no held-out message was seen; the seed set counts only when the
    artifact says it was trained on (its header then has a seed_weight)."""
    from bigfish.ml.model import default_model_path

    meta = load_weights(default_model_path()).meta
    train_part, test_part = split(read_labelled(DATA), seed=20251217)
    if "seed_weight" not in meta:
        train_part = [e for e in train_part if e.dataset != SEED_DATASET]
        test_part = [e for e in test_part if e.dataset != SEED_DATASET]
    assert meta["train_digest"] == _digest(train_part)
    assert meta["train_size"] == len(train_part)
    assert meta["test_size"] == len(test_part)


def test_saved_weights_load_without_pickle(tmp_path: Path) -> None:
    weights = fit_weights(_subsample(), spec=SPEC, calibrate=False)
    path = save_weights(weights, tmp_path, name="m")
    loaded = load_weights(path)
    texts = ["Free entry! Txt WIN to 80086", "see you at 6"]
    a = Classifier(weights).probabilities(texts)
    b = Classifier(loaded).probabilities(texts)
    assert np.allclose(a, b, atol=2e-3)


def test_shipped_artifact_is_small() -> None:
    from bigfish.ml.model import default_model_path

    path = default_model_path()
    assert path.stat().st_size < 3_000_000
    assert not path.read_bytes().startswith(b"\x80")

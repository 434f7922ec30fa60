"""Training is reproducible: the same data and seed give identical weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bigfish.ml.data import Example, read_shared, split
from bigfish.ml.features import HashingSpec
from bigfish.ml.model import Classifier, load_weights, save_weights
from bigfish.ml.train import fit_weights

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"
SPEC = HashingSpec(bits=16)


def _subsample() -> list[Example]:
    train_part, _ = split(read_shared(DATA), seed=20251217)
    return train_part[::6]


def test_training_twice_gives_identical_weights() -> None:
    sample = _subsample()
    first = fit_weights(sample, spec=SPEC, calibrate=False)
    second = fit_weights(sample, spec=SPEC, calibrate=False)
    assert np.array_equal(first.ngram_weights, second.ngram_weights)
    assert np.array_equal(first.dense_weights, second.dense_weights)
    assert np.array_equal(first.intercept, second.intercept)


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

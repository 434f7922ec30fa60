"""The hashed n-grams and margins are computed in bulk; they are exactly those of the plain
definitions: each text normalized by `normalize_text`, each n-gram hashed on its own, each
head's margin summed by `np.bincount` over every n-gram of the text."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from bigfish.ml import load_classifier
from bigfish.ml.features import HashingSpec, dense_features, hashed_counts, normalize_text
from bigfish.ml.model import dense_margins, tfidf_counts

_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15
_PRIME = 1_000_003


def _plain_counts(texts: list[str], spec: HashingSpec) -> Counter[tuple[int, int]]:
    """(text, bucket) -> count, one n-gram at a time in Python integers."""
    counts: Counter[tuple[int, int]] = Counter()
    for row, text in enumerate(texts):
        codes = [ord(c) for c in " " + normalize_text(text) + " "]
        for n in range(spec.n_min, spec.n_max + 1):
            for start in range(len(codes) - n + 1):
                h = 0
                for code in codes[start : start + n]:
                    h = (h * _PRIME + code) & _MASK
                salted = ((h + n * 0x51ED27) * _MIX) & _MASK
                counts[row, salted >> (64 - spec.bits)] += 1
    return counts


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = (
        "aZ 09.,!+" "๐๑๙٠٩०९０９" "กขฃ" "İẞ" "\x00" "\ud800" "😀" "\U0001d7ce" "ｱ" "\uffff"
    )  # fmt: skip
    texts = ["", " ", "\x00", "โอนเงิน 1,500 บาท ๑๒๓", "CALL +66 81 234 5678 NOW", "İSTANBUL"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(60)]
    return texts


@pytest.mark.parametrize(
    "spec", [HashingSpec(), HashingSpec(bits=10, n_min=2, n_max=4), HashingSpec(bits=24)]
)
def test_hashed_counts_are_the_plain_counts(spec: HashingSpec) -> None:
    texts = _texts(7) * (1 if spec.bits < 24 else 5)  # over 256 texts: 64-bit keys at 24 bits
    found = hashed_counts(texts, spec)
    expected = _plain_counts(texts, spec)
    keys = sorted(expected)
    assert found.rows.tolist() == [row for row, _ in keys]
    assert found.cols.tolist() == [col for _, col in keys]
    assert found.counts.tolist() == [float(expected[k]) for k in keys]
    assert found.counts.dtype == np.float32


def test_margins_are_the_per_head_sums() -> None:
    """A text's margins are bincount's sums of its float32 products, one head at a time, plus the
    dense part and the intercept; and the same whatever batch the text comes in."""
    clf = load_classifier()
    w = clf.weights
    texts = [t.strip() for t in _texts(11)] + ["ยืนยันตัวตนที่ lin.ee/kbank-th ด่วน", "Win a prize!"]
    found = tfidf_counts(texts, w.spec, w.idf)
    ngram = np.stack(
        [
            np.bincount(found.rows, weights=head[found.cols] * found.counts, minlength=len(texts))
            for head in np.ascontiguousarray(w.ngram_weights.T)
        ],
        axis=1,
    )
    expected = ngram + dense_margins(dense_features(texts), w.dense_scale, w.dense_weights)
    expected += w.intercept
    assert clf.margins(texts).tobytes() == expected.tobytes()
    one_by_one = np.concatenate([clf.margins([t]) for t in texts])
    assert one_by_one.tobytes() == expected.tobytes()

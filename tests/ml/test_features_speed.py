"""Speed-ups of the classifier's features change no result: the rewritten regexes find exactly
the matches of the patterns as written, and the features of a batch are those of the originals."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from bigfish.ml import features, load_classifier, typology
from bigfish.ml.features import SIGNALS, first_char_dispatch, signal_counts
from bigfish.ml.typology import LEXICON, SCAM_TYPES, score_types

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"
PATTERNS = {f"signal:{n}": p for n, p in SIGNALS.items()} | {
    f"type:{t}": "|".join(LEXICON[t]) for t in SCAM_TYPES
}
# The compiled forms that run, by the same names.
RUNNING = dict(zip([f"signal:{n}" for n in SIGNALS], features._SIGNAL_RES, strict=True)) | dict(
    zip([f"type:{t}" for t in SCAM_TYPES], typology._COMPILED, strict=True)
)


def _messages() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.txt")):
        texts += [line.partition("|")[2] for line in path.read_text("utf-8").splitlines()]
    tsv = DATA / "uci-sms-spam-collection.tsv"
    texts += [line.partition("\t")[2] for line in tsv.read_text("utf-8").splitlines()]
    return [t for t in texts if t]


def _fuzz(count: int, seed: int) -> list[str]:
    """Texts stitched from the patterns' own words, near-misses and separators."""
    rng = random.Random(seed)
    words = sorted({w for p in PATTERNS.values() for w in re.findall(r"[^\W\d_]{2,}", p)})
    pieces = [
        *words, " ", "  ", ".", "@", "@@", "_", "-", "/", ":", "：", "#", "*", "+", "00", "0812",
        "5", "๕", "\n", "line", "id", "ไลน์", "t.me/x", "bit.ly/", "x", "xx", "$", "฿", "usd",
        "บาท", "http://", "www.", ".com", "ลงทุน", "đ", "k", "win", "won", "free", "otp",
        "9", "12", "345", " 678", "-9", ".1", "+66 81", "0084", "(02)", "a.b", "x-y", ".co.th",
        ".", "..", "-", "*1", "#", "๑๒๓", "١٢", "a1", "1a", "https://", "/p?q=1",
    ]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(count)]
    numbers = [*"0123456789", *"0123456789", " ", "-", ".", "+", "00", "*", "#", "a", "๕", "x.co"]
    return texts + [
        "".join(rng.choice(numbers) for _ in range(rng.randrange(1, 30))) for _ in range(count)
    ]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [t.lower() for t in _messages() + _fuzz(6000, seed=7)]


def counted_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The spans of PATTERN's matches in TEXT that are counted (not of its group ``skip``)."""
    return [m.span() for m in pattern.finditer(text) if m.lastgroup is None]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_running_pattern_finds_the_same_matches(name: str, texts: list[str]) -> None:
    original = re.compile(PATTERNS[name])
    fast = RUNNING[name]
    joined = "\n".join(texts)
    assert counted_spans(fast, joined) == [m.span() for m in original.finditer(joined)]
    for text in texts[::5]:
        assert counted_spans(fast, text) == [m.span() for m in original.finditer(text)]


def test_most_patterns_are_rewritten() -> None:
    rewritten = [n for n, p in PATTERNS.items() if RUNNING[n].pattern != p]
    assert len(rewritten) >= len(PATTERNS) - 3


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\bwin\b|winner|\bwon\b", "a winner won, win! twin"),
        (r"(?:ab|a)?c|x", "abc ac c xc"),
        (r"(?:ab|a)??c", "abc"),  # lazy: left as written
        (r"(?<![\w.])@[a-z]{2,}\b|@@", "a@bc @bc .@bc @@"),
        (r"\b(?:foo|fo)o|bar", "fooo foo xfoo bar"),
        (r"[ab]c|d", "ac bc d"),  # a class first: left as written
    ],
)
def test_rewrites_on_hand_made_cases(pattern: str, text: str) -> None:
    fast = first_char_dispatch(pattern)
    assert [m.span() for m in re.finditer(fast, text)] == [
        m.span() for m in re.finditer(pattern, text)
    ]


def _reference_counts(texts: list[str], patterns: list[str]) -> np.ndarray:
    return np.array(
        [[len(re.findall(p, t.lower())) for p in patterns] for t in texts], dtype=np.float32
    )


def test_batch_features_equal_per_text_counts_of_the_original_patterns() -> None:
    texts = _messages()[::7] + _fuzz(300, seed=3)
    assert np.array_equal(signal_counts(texts), _reference_counts(texts, list(SIGNALS.values())))
    lexicon = ["|".join(LEXICON[t]) for t in SCAM_TYPES]
    expected = np.minimum(_reference_counts(texts, lexicon), 3.0)
    assert np.array_equal(score_types(texts), expected)


def test_classification_of_a_batch_is_that_of_each_text() -> None:
    texts = _messages()[::41]
    clf = load_classifier()
    assert clf.classify_batch(texts) == [clf.classify(t) for t in texts]


def test_margins_equal_the_formula_of_the_model_card() -> None:
    from bigfish.ml.features import dense_features
    from bigfish.ml.model import tfidf_counts

    texts = _messages()[::13] + _fuzz(200, seed=5)
    read = [t.strip() for t in texts]  # a text is read without the whitespace around it
    assert read != texts
    clf = load_classifier()
    w = clf.weights
    found = tfidf_counts(read, w.spec, w.idf)
    weighted = w.ngram_weights[found.cols] * found.counts[:, None]
    ngrams = np.stack(
        [
            np.bincount(found.rows, weights=weighted[:, k], minlength=len(texts))
            for k in range(weighted.shape[1])
        ],
        axis=1,
    )
    # (dense · scale) @ weights, summed column by column in float64 (see model.dense_margins)
    scaled = dense_features(read).astype(np.float64) * w.dense_scale
    dense = np.zeros_like(ngrams)
    for j in range(scaled.shape[1]):
        dense += scaled[:, j, None] * w.dense_weights[j].astype(np.float64)
    expected = ngrams + dense + w.intercept
    assert np.array_equal(clf.margins(texts), expected)
    assert np.allclose(dense, (dense_features(read) * w.dense_scale) @ w.dense_weights, atol=1e-5)

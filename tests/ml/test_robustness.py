"""Hostile and odd inputs: the classifier answers every text, alone or in any batch, the same."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bigfish.ml import features, load_classifier, model
from bigfish.ml.features import SIGNALS, signal_counts

LINE_ID = features._SIGNAL_RES[list(SIGNALS).index("line_id")]


def test_line_id_whitespace_runs_cannot_backtrack() -> None:
    # As written, "line" + n spaces + no ID tried every split of the spaces between three
    # greedy \s* (O(n³): 800 spaces 1.3 s, a 100,000-character text weeks).
    assert r"\s*" not in LINE_ID.pattern.replace(r"\s*+", "")


@pytest.mark.parametrize(
    "text",
    [
        "line   id   :  @abc",
        "line idx",
        "line id",
        "line  \t id",
        "ไลน์   :  abc",
        "ไอดีไลน์ @xyz1",
        "line" + " " * 300 + "!",
        "line id" + " " * 300 + ":" + " " * 50,
    ],
)
def test_line_id_finds_what_the_pattern_as_written_finds(text: str) -> None:
    original = re.compile(SIGNALS["line_id"])
    assert [m.span() for m in LINE_ID.finditer(text)] == [m.span() for m in original.finditer(text)]


def test_a_long_run_of_spaces_after_line_is_answered() -> None:
    text = "add line" + " " * 100_000 + "!"
    assert signal_counts([text])[0, list(SIGNALS).index("line_id")] == 0
    assert load_classifier().classify(text).label in {"scam", "spam", "legit"}


# Texts on which one text alone and the same text inside a batch were answered differently:
# NUL (a batch reads it as a space, one text alone did not: "legit" alone, "scam" in a batch)
# and texts whose dense signals a float32 matrix product summed in another order for one row.
DIVERGED = [
    "www.a.com\x00www.b.com\x00www.c.com",
    "\u200b2\ta\x1f4\x0byß .www.-İwońwon",
    "bit.ly/\x0c\x1f#\u200bwww.บาท@\x85\u0301\x1ebank-ßawon\x0b:Σ2bank\x1f\t0ß",
]


@pytest.mark.parametrize("text", DIVERGED)
def test_a_text_alone_and_in_a_batch_get_one_answer(text: str) -> None:
    clf = load_classifier()
    alone = clf.classify(text)
    assert clf.classify_batch(["pad text", text, "more"])[1] == alone
    assert clf.classify_batch([text] * 3) == [alone] * 3
    assert np.array_equal(clf.margins([text])[0], clf.margins(["x", text])[1])


@pytest.mark.parametrize("text", ["\ud800", "scam \udfff http://bit.ly/x", "\udc80" * 3])
def test_lone_surrogates_are_classified(text: str) -> None:
    clf = load_classifier()
    alone = clf.classify(text)
    assert alone.label in {"scam", "spam", "legit"}
    assert clf.classify_batch(["hello", text]) == [clf.classify("hello"), alone]


def test_a_large_batch_is_hashed_in_bounded_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1,000 texts of 32,000 characters (an API body at its byte limit) were hashed at once:
    # about 200 bytes of working memory per character, 6 GB for one request.
    texts = [f"{i} click http://bit.ly/x{i} " * (i % 7 + 1) + "ธนาคาร" * (i % 3) for i in range(60)]
    clf = load_classifier()
    whole = clf.margins(texts)
    seen: list[int] = []
    hashed = model.tfidf_counts

    def spy(batch: list[str], *args: object) -> object:
        seen.append(sum(len(t) for t in batch))
        return hashed(batch, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "CHUNK_CHARS", 500)
    monkeypatch.setattr(model, "tfidf_counts", spy)
    assert np.array_equal(clf.margins(texts), whole)
    assert len(seen) > 1 and max(seen) <= 500
    assert clf.classify_batch(texts) == [clf.classify(t) for t in texts]
    assert clf.classify_batch(["x" * 2000, "hi"]) == [clf.classify("x" * 2000), clf.classify("hi")]


# Runs on which the url, money and ussd patterns as written took time quadratic in the run's
# length: 40,000 characters of "a." took 37 s, of digits 82 s, of "1," 41 s, of "*12" 11 s;
# 200,000 characters of the host-like run 127 s (CPU). Each run here is 200,000 characters (or a
# few short of it); the signals of the tail after it must still be counted.
LONG_RUNS = {
    "dotted labels": "a." * 100_000,
    "digits": "1" * 200_000,
    "digits with commas": "1," * 100_000,
    "host-like labels": "login-1.bank-2.verify-3." * 8_333,
    "star codes": "*12" * 66_666,
}
TAIL = " www.win-prize.com $500"


@pytest.mark.parametrize("run", LONG_RUNS.values(), ids=list(LONG_RUNS))
def test_a_long_run_is_read_to_its_end_and_classified(run: str) -> None:
    text = run + TAIL
    short = run[:96] + TAIL  # 96: a whole number of each run's units
    counts = signal_counts([text])
    assert np.array_equal(counts, signal_counts([short]))
    assert np.array_equal(signal_counts(["pad", text])[1], counts[0])
    as_written = [len(re.findall(pattern, short.lower())) for pattern in SIGNALS.values()]
    assert counts[0].tolist() == as_written
    assert counts[0, list(SIGNALS).index("url")] == 1  # www.win-prize.com, after the run
    assert counts[0, list(SIGNALS).index("money")] == 1  # $500
    clf = load_classifier()
    alone = clf.classify(text)
    assert alone.label in {"scam", "spam", "legit"}
    assert clf.classify_batch(["pad", text]) == [clf.classify("pad"), alone]

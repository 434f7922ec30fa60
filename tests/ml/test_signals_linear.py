"""The url, money and ussd signals run in time linear in a text's length and count exactly what
the patterns as written (which the shipped model was trained with) count.

As written, each pattern read a run of dotted labels, digits or ``*12`` codes to its end from
every place in it where a match may start: a 25,000-character run took 11 s, 100,000 minutes.
The reference patterns below are those, kept as they were; the running forms are compared with
them on every training text and on random texts of the characters that matter to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.ml import features
from bigfish.ml.features import SIGNALS, signal_counts

DATA = Path(__file__).resolve().parents[2] / "data" / "messages"

REFERENCE = {
    "url": (
        r"https?://\S+|www\.\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|co|ly|me|"
        r"in|io|cc|xyz|top|info|biz|th|vn|id|ph|my|sg|link|site|online|shop|app|ee|gl|to|gd|cn|"
        r"ru|club|vip|win|asia|live|uk|hk|tw|kh|la|mm|bet|cash|store|icu|ws|tk)\b(?:/\S*)?"
    ),
    "money": (
        r"(?:[$£€฿₫¥₱₹]|\b(?:usd|thb|vnd|rm|rp|idr|php|sgd|myr|rmb|inr)\b)\s?\d[\d,.]*"
        r"|\d[\d,.]*\s?(?:บาท|บ\.|฿|₫|đ|vnd|usd|dollars?|baht|dong|đồng|ringgit|rupiah|peso|"
        r"元|万|块|pounds?|euros?|k\b|triệu|juta|ribu|ريال|دولار|جنيه|درهم)"
    ),
    "ussd": r"\*\d{2,4}(?:\*\d+)*#",
}
ORIGINAL = {name: re.compile(pattern) for name, pattern in REFERENCE.items()}
RUNNING = {name: features._SIGNAL_RES[list(SIGNALS).index(name)] for name in REFERENCE}

# Characters and pieces that matter to the three patterns: host characters and separators,
# TLDs, "www." and "http://", digits of several scripts, number separators, currency signs and
# units, ``*`` codes, word characters that are not ASCII (Thai, "é", "_"), and whitespace.
CHARACTERS = "abcdehkmnoprstuw019๑١.,/:-*#@_é \tกบาท$฿₫đ€"
PIECES = [
    *CHARACTERS, "www.", "http://", "https://", ".com", ".co", ".th", "com", "usd", "baht",
    "บาท", "บ.", "dollars", " k", "*1", "*12", "*123#", "12", "1,000", "3.5", "a.", "a-", "-1",
    "..", "co.th",
]  # fmt: skip


def _runs(words: list[str], separators: list[str], size: int = 20) -> st.SearchStrategy[str]:
    """Texts of WORDS, each followed by one of SEPARATORS: runs that a pattern reads, and ends."""
    pairs = st.tuples(st.sampled_from(words), st.sampled_from(separators))
    return st.lists(pairs, max_size=size).map(lambda found: "".join(w + s for w, s in found))


TEXTS = st.one_of(
    st.text(alphabet=CHARACTERS, max_size=80),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    _runs(
        ["a", "1", "com", "th", "www", "http", "-", "_", "é"],
        [".", ".", "..", "-", "", " ", "://", "/"],
    ),
    _runs(
        ["1", "12", "1234", "๑", "$", "usd", "k", "บาท", "บ", "x"],
        [",", ".", "", " ", ",,", ".,", "k", "\t"],
    ),
    _runs(["*", "*1", "*12", "*12345", "1", "#", " "], ["", "", "#", " ", "*"]),
)


def counted_spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """The spans of PATTERN's matches in TEXT that are counted (not of its group ``skip``)."""
    return [m.span() for m in pattern.finditer(text) if m.lastgroup is None]


def training_texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.txt")):
        texts += [line.partition("|")[2] for line in path.read_text("utf-8").splitlines()]
    tsv = DATA / "uci-sms-spam-collection.tsv"
    texts += [line.partition("\t")[2] for line in tsv.read_text("utf-8").splitlines()]
    return [t for t in texts if t]


def test_the_signals_as_written_are_the_reference() -> None:
    assert {name: SIGNALS[name] for name in REFERENCE} == REFERENCE


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_every_training_text_gets_the_reference_matches(name: str) -> None:
    texts = [t.lower() for t in training_texts()]
    for text in texts:
        assert counted_spans(RUNNING[name], text) == [
            m.span() for m in ORIGINAL[name].finditer(text)
        ], text
    column = list(SIGNALS).index(name)
    expected = [len(ORIGINAL[name].findall(t)) for t in texts]
    assert signal_counts(texts)[:, column].tolist() == expected


@settings(max_examples=1500, deadline=None, database=None)
@given(TEXTS)
def test_random_texts_get_the_reference_matches(text: str) -> None:
    lowered = text.lower()
    for name, running in RUNNING.items():
        assert counted_spans(running, lowered) == [
            m.span() for m in ORIGINAL[name].finditer(lowered)
        ], name


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_random_batches_get_the_reference_counts(texts: list[str]) -> None:
    columns = [list(SIGNALS).index(name) for name in REFERENCE]
    expected = [[len(ORIGINAL[n].findall(t.lower())) for n in REFERENCE] for t in texts]
    assert np.array_equal(signal_counts(texts)[:, columns], np.array(expected, dtype=np.float32))


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("a.b.www.c", ["www.c"]),  # skipped up to the www. inside the run
        ("x.yhttp://a", ["http://a"]),
        ("a.com.b.b.b", ["a.com"]),  # the rest of the run has no TLD
        ("_x-a.com", ["a.com"]),  # "x" is no start ("_" is a word character), "a" is
        ("a.b-c.d e.net", ["e.net"]),
        ("a.b..c.com", ["c.com"]),  # ".." ends a run
        ("1,000,000 and 5 baht", ["5 baht"]),
        ("1.2.3 4,5฿ 6 k", ["4,5฿", "6 k"]),
        ("*12*34*5 *12*3#", ["*12*3#"]),
        ("*1*12#", ["*12#"]),
        ("*12345#", []),
    ],
)
def test_skipped_runs_on_hand_made_cases(text: str, counted: list[str]) -> None:
    found = [text[a:b] for name in REFERENCE for a, b in counted_spans(RUNNING[name], text)]
    assert sorted(found) == sorted(counted)
    assert sorted(found) == sorted(m.group() for n in REFERENCE for m in ORIGINAL[n].finditer(text))

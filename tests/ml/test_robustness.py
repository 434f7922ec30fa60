"""Hostile and odd inputs: the classifier answers every text, alone or in any batch, the same."""

from __future__ import annotations

import re

import pytest

from bigfish.ml import features, load_classifier
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

"""The pre-processing every value goes through."""

from __future__ import annotations

import pytest

from bigfish.identifiers.text import clean, fold, trim


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("๐๘๑", "081"),
        ("٠٥٠", "050"),
        ("۰۵۰", "050"),
        ("०८१", "081"),
        ("០៨១", "081"),
        ("໐໘໑", "081"),
        ("၀၈၁", "081"),
        ("０８１", "081"),
        ("a\u200bb\u200cc\u200dd\u2060e\ufeff", "abcde"),
        ("\u200e\u200f\u202aabc\u202c", "abc"),
        ("ﬁ", "fi"),
    ],
)
def test_fold(value: str, expected: str) -> None:
    assert fold(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  abc  ", "abc"),
        ('"abc".', "abc"),
        ("(abc)", "abc"),
        ("[abc]!", "abc"),
        ("«abc»", "abc"),
        ("“abc”,", "abc"),
        ("abc?!", "abc"),
        ("(02) 1234", "(02) 1234"),
        ("f(x)", "f(x)"),
        ("abc)", "abc"),
        ("(abc", "abc"),
        ("", ""),
        ("...", ""),
    ],
)
def test_trim(value: str, expected: str) -> None:
    assert trim(value) == expected


def test_clean_is_fold_then_trim() -> None:
    assert clean(" «๐๘๑\u200b๒»。 ") == "0812"

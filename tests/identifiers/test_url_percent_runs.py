"""Percent-encoding of URL parts, one call per run of characters: the same text as one call
per character (the form it replaced, kept here as the reference)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers.url import _percent

_ONE = re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _one_at_a_time(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token[0] == "%" and len(token) == 3:
            char = chr(int(token[1:], 16))
            return char if char in _UNRESERVED else token.upper()
        return "".join(f"%{byte:02X}" for byte in token.encode("utf-8"))

    return _ONE.sub(one, text)


_CHARACTERS = ["a", "Z", "0", "-", ".", "~", "/", "?", "=", "&", "%", '"', " ", "<", "é", "漢"]
_ESCAPES = ["%41", "%4a", "%2F", "%2f", "%7E", "%zz", "%4", "%%", "%e0%b8%81", "🙂"]
_PIECES = st.sampled_from([*_CHARACTERS, *_ESCAPES])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_runs_encode_as_characters_one_at_a_time(text: str) -> None:
    assert _percent(text) == _one_at_a_time(text)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_text_encodes_as_one_at_a_time(text: str) -> None:
    assert _percent(text) == _one_at_a_time(text)


def test_long_runs_of_each_kind() -> None:
    for run in ('"' * 1980, "%" * 1980, "é" * 700, "%41" * 600, "%e0%b8%81" * 200, "a" * 1980):
        assert _percent(run) == _one_at_a_time(run)
    assert _percent("%41%2f%zz é") == "A%2F%25zz%20%C3%A9"

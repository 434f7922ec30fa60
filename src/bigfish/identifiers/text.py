"""Pre-processing every value goes through before its kind's rules (spec/identifiers.md).

NFKC; every decimal digit of any script to its ASCII digit; invisible formatting characters
(zero-width spaces and joiners, soft hyphens, bidirectional marks) removed; surrounding whitespace,
quotes and brackets and trailing sentence punctuation removed.
"""

from __future__ import annotations

import unicodedata
from itertools import accumulate

MAX_VALUE_LENGTH = 4096
"""Longer values are rejected before any regular expression or parser sees them."""

_QUOTES = "\"'`“”‘’„‟«»‹›「」『』"
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">", "（": "）", "【": "】"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}
_TRAILING = ".,;:!?。、，；：！？"
_FIRST = frozenset(_QUOTES) | _PAIRS.keys()
_LAST = frozenset(_QUOTES) | _CLOSERS.keys()


class _DigitTable(dict[int, int | None]):
    """``str.translate`` table built lazily: digits of any script to ASCII, format chars removed."""

    def __missing__(self, code: int) -> int | None:
        char = chr(code)
        digit = unicodedata.decimal(char, None)
        result: int | None
        if digit is not None:
            result = ord("0") + digit
        elif unicodedata.category(char) == "Cf":
            result = None  # zero-width and bidirectional formatting characters
        else:
            result = code
        self[code] = result
        return result


_DIGITS = _DigitTable()


def fold(value: str) -> str:
    """NFKC, ASCII digits of every script, invisible formatting characters removed."""
    if value.isascii():
        return value
    try:
        value = unicodedata.normalize("NFKC", value)
    except UnicodeError:  # pragma: no cover - lone surrogates normalize fine in CPython
        pass
    return value.translate(_DIGITS)


def trim(value: str, trailing: str = _TRAILING) -> str:
    """Remove surrounding whitespace, quotes and brackets and trailing sentence punctuation.

    Works on a window of VALUE that only narrows, with brackets counted and paired once: cutting
    and counting the text again for every bracket removed took time quadratic in a run of them
    (16,000 nested parentheses: 4 s for one value).
    """
    if not value:
        return value
    first, last = value[0], value[-1]  # most values: neither end is anything trim removes
    if not (first in _FIRST or last in _LAST or last in trailing or first.isspace()) and not (
        last.isspace()
    ):
        return value
    lo, hi = 0, len(value)
    brackets = _Brackets(value)
    while lo < hi:
        before = lo, hi
        while lo < hi and value[lo].isspace():
            lo += 1
        while hi > lo and value[hi - 1].isspace():
            hi -= 1
        while lo < hi and value[lo] in _QUOTES:
            lo += 1
        while hi > lo and value[hi - 1] in _QUOTES:
            hi -= 1
        while hi > lo and value[hi - 1] in trailing:
            hi -= 1
        if lo < hi:
            lo, hi = brackets.strip(lo, hi)
        if (lo, hi) == before:
            break
    return value[lo:hi]


class _Brackets:
    """Brackets of a text, counted and paired on first use: one bracket removed in O(1)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._before: dict[str, list[int]] = {}  # char -> its count in text[:i], for each i
        self._partner: dict[str, dict[int, int]] = {}  # opening char -> {open at: its close}

    def strip(self, lo: int, hi: int) -> tuple[int, int]:
        """The window without one enclosing pair, or one unbalanced bracket at either end."""
        first, last = self._text[lo], self._text[hi - 1]
        close = _PAIRS.get(first)
        # The inner text is balanced exactly when the first bracket's partner is the last.
        if close is not None and close == last and self._partners(first).get(lo) == hi - 1:
            return lo + 1, hi - 1
        opening = _CLOSERS.get(last)
        if opening is not None and self._count(last, lo, hi) > self._count(opening, lo, hi):
            return lo, hi - 1
        if close is not None and self._count(first, lo, hi) > self._count(close, lo, hi):
            return lo + 1, hi
        return lo, hi

    def _count(self, char: str, lo: int, hi: int) -> int:
        before = self._before.get(char)
        if before is None:
            before = list(accumulate(map(char.__eq__, self._text), initial=0))
            self._before[char] = before
        return before[hi] - before[lo]

    def _partners(self, opening: str) -> dict[int, int]:
        """Each OPENING bracket's closing partner, pairing as a stack does (others ignored)."""
        partner = self._partner.get(opening)
        if partner is None:
            close, stack, partner = _PAIRS[opening], [], {}
            for index, char in enumerate(self._text):
                if char == opening:
                    stack.append(index)
                elif char == close and stack:
                    partner[stack.pop()] = index
            self._partner[opening] = partner
        return partner


def clean(value: str, *, keep_colon: bool = False) -> str:
    """The pre-processing of the spec: ``trim(fold(value))``.

    KEEP_COLON keeps a trailing ``:``, which ends IPv6 addresses such as ``2001:db8::``.
    """
    return trim(fold(value), _TRAILING.replace(":", "") if keep_colon else _TRAILING)


def is_printable(value: str) -> bool:
    """True when VALUE has no control characters or lone surrogates."""
    return all(unicodedata.category(char) not in ("Cc", "Cs") or char in "\t\n\r" for char in value)

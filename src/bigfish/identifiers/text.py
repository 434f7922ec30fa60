"""Pre-processing every value goes through before its kind's rules (spec/identifiers.md).

NFKC; every decimal digit of any script to its ASCII digit; invisible formatting characters
(zero-width spaces and joiners, soft hyphens, bidirectional marks) removed; surrounding whitespace,
quotes and brackets and trailing sentence punctuation removed.
"""

from __future__ import annotations

import unicodedata

MAX_VALUE_LENGTH = 4096
"""Longer values are rejected before any regular expression or parser sees them."""

_QUOTES = "\"'`“”‘’„‟«»‹›「」『』"
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">", "（": "）", "【": "】"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}
_TRAILING = ".,;:!?。、，；：！？"


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
    """Remove surrounding whitespace, quotes and brackets and trailing sentence punctuation."""
    while value:
        stripped = value.strip().strip(_QUOTES).rstrip(trailing)
        stripped = _strip_brackets(stripped)
        if stripped == value:
            return value
        value = stripped
    return value


def _strip_brackets(value: str) -> str:
    if len(value) < 1:
        return value
    first, last = value[0], value[-1]
    if first in _PAIRS and _PAIRS[first] == last and _balanced(value[1:-1], first, last):
        return value[1:-1]
    if last in _CLOSERS and value.count(last) > value.count(_CLOSERS[last]):
        return value[:-1]
    if first in _PAIRS and value.count(first) > value.count(_PAIRS[first]):
        return value[1:]
    return value


def _balanced(inner: str, open_: str, close: str) -> bool:
    depth = 0
    for char in inner:
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def clean(value: str, *, keep_colon: bool = False) -> str:
    """The pre-processing of the spec: ``trim(fold(value))``.

    KEEP_COLON keeps a trailing ``:``, which ends IPv6 addresses such as ``2001:db8::``.
    """
    return trim(fold(value), _TRAILING.replace(":", "") if keep_colon else _TRAILING)


def is_printable(value: str) -> bool:
    """True when VALUE has no control characters or lone surrogates."""
    return all(unicodedata.category(char) not in ("Cc", "Cs") or char in "\t\n\r" for char in value)

"""Phone extraction offers a run of digits once, and finds exactly what it found before.

Before, every phone-shaped run was offered whole, with its shorter prefixes and the rest of it
from each space on, even a run of the same text as one already found to hold no number:
"0 " * 500,000 (a narrative at its limit) made 2.9 million candidates, 2.7-2.9 s CPU. The
reference below is extraction as it was (the phone finder kept as it was); the running form is
compared with it on random texts of digits of several scripts, separators, letters, labels and
real numbers of several countries, alone and repeated in other places.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers import Found, extract
from bigfish.identifiers.registry import as_country
from bigfish.intake.records import MAX_NARRATIVE
from bigfish.models import Kind

X = importlib.import_module("bigfish.identifiers.extract")  # the package's name is the function


def old_phones(scan: str, country: str | None) -> Iterator[tuple[int, int]]:
    """The phone finder as it was."""
    trunk = X._trunk_prefix(country)
    for match in X._PHONE.finditer(scan):
        end = match.end()
        starts = [match.start()]
        starts += [i + 1 for i in range(match.start() + 7, end - 7) if scan[i] == " "]
        for start in starts:
            if X._after_bank_label(scan, start):
                continue
            value = scan[start:end]
            if not value.startswith(("+", "00", "(+")):
                if country is None or (trunk and not value.lstrip("( ").startswith(trunk)):
                    continue
            yield start, end
            for index in range(end - 1, start + 6, -1):
                if scan[index] in " .-":
                    yield start, index


def old_extract(text: str, country: str | None = None) -> list[Found]:
    """`extract` as it was: the phone finder last among the others, every candidate offered."""
    country = as_country(country)
    scan = text if text.isascii() else text.translate(X._SCAN)
    positions: list[int] | None = None
    if not scan.isascii() and X._FORMAT_CHARS.search(scan):
        positions = [i for i, char in enumerate(scan) if not X._FORMAT_CHARS.match(char)]
        scan = X._FORMAT_CHARS.sub("", scan)
    lowered = scan.lower()
    if len(lowered) != len(scan):
        lowered = "".join(char.lower()[0] for char in scan)
    taken = bytearray(len(scan))
    found: list[Found] = []
    for kind, candidates, case_folded in (*X._FINDERS, (Kind.PHONE, old_phones, False)):
        for start, end in candidates(lowered if case_folded else scan, country):
            if taken.find(1, start, end) != -1:
                continue
            identifier = X._accept(kind, text, start, end, positions, country)
            if identifier is not None:
                taken[start:end] = b"\x01" * (end - start)
                found.append(identifier)
    found.sort(key=lambda item: item.start)
    return found


NUMBERS = [
    "+66 81 234 5678", "081-234-5678", "081 234 5678", "0812345678", "(02) 123 4567",
    "+1 (415) 555-2671", "415.555.2671", "0912 345 678", "+84 912 345 678", "0084 912 345 678",
    "(+84) 360 036 475", "+44 7700 900123", "07700 900123", "+49 30 1234567", "030 1234567",
    "+55 11 91234-5678", "(11) 91234-5678", "+54 9 11 1234-5678", "+683 4002", "๐๘๑ ๒๓๔ ๕๖๗๘",
    "０８１２３４５６７８", "٠٥٠١٢٣٤٥٦٧", "+0812345678", "00 1 66 81 234 5678",
]  # fmt: skip
PIECES = [
    *"0123456789", *"0123456789", " ", " ", " ", "+", "-", "(", ")", ".", "/", "a", "Z", "\n",
    "๐", "๘", "０", "\u200b", "\u2065", "TEL: ", "KBANK: ", "tel:", "x@y.co ", "0 0 0 0 ",
    "00", "+66", "(0)", *NUMBERS, *NUMBERS,
]  # fmt: skip
COUNTRIES = st.sampled_from([None, "TH", "VN", "GB", "US", "DE", "BR", "AR", "NU"])
TEXTS = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


@settings(max_examples=600, deadline=None)
@given(TEXTS, COUNTRIES)
def test_phones_found_are_those_every_candidate_found(text: str, country: str | None) -> None:
    assert extract(text, country) == old_extract(text, country)


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.lists(st.sampled_from(PIECES), max_size=4).map("".join), COUNTRIES)
def test_runs_repeated_in_other_places_are_found_as_before(
    text: str, between: str, country: str | None
) -> None:
    """The same runs again, after other text (a bank's label, a number that takes a span)."""
    repeated = between.join([text, text, "KBANK: " + text, text])
    assert extract(repeated, country) == old_extract(repeated, country)


def test_a_narrative_of_zeros_and_spaces_offers_its_runs_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counts the work, not the time (2.7-2.8 s CPU before, 0.12 s after, on one machine)."""
    offered: list[tuple[int, int]] = []
    accept = X._accept

    def counted(kind: Kind, text: str, start: int, end: int, *rest: Any) -> Found | None:
        offered.append((start, end))
        return accept(kind, text, start, end, *rest)

    monkeypatch.setattr(X, "_accept", counted)
    text = "0 " * (MAX_NARRATIVE // 2)
    assert extract(text, "TH") == []
    assert len(offered) < 1_000  # before: 2,928,525

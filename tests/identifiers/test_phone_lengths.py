"""The length pre-filter never loses a number: whenever it refuses a text, the parse refuses it.

`parse_phone` keeps a number only when phonenumbers calls it possible, which is a matter of the
length of its national significant number; `could_be_phone` works those lengths out from the
library's metadata without a parse (50 µs or more each). The oracle below is `parse_phone` as it
was before the filter: every text that passed its first checks was parsed.
"""

from __future__ import annotations

import importlib
import random
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumber

from bigfish.identifiers import Found, extract
from bigfish.identifiers import phone as P
from bigfish.identifiers import registry as R
from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.identifiers.phone import _parse, _prepared, could_be_phone, parse_phone
from bigfish.models import Kind

EXTRACT = importlib.import_module("bigfish.identifiers.extract")  # the module, not the function


def old_best_parse(text: str, digits: str, country: str | None) -> PhoneNumber | None:
    """`phone._best_parse` as it was: ``00…`` was always parsed again as ``+…``."""
    first = _parse(text, country)
    if not digits.startswith("00") or text.startswith("+"):
        return first
    if first is not None and phonenumbers.is_valid_number(first):
        return first
    second = _parse("+" + digits[2:], None)
    if second is not None and (first is None or phonenumbers.is_valid_number(second)):
        return second
    return first


def old_parse_phone(text: str, country: str | None) -> Parsed:
    """`parse_phone` as it was: every text that passed its first checks was parsed."""
    text, digits, error = _prepared(text)
    if error is not None:
        return invalid(Kind.PHONE, text, error)
    number = old_best_parse(text, digits, country)
    if number is None:
        if country is None and not text.startswith(("+", "00")):
            return invalid(Kind.PHONE, text, "a national number needs the report's country")
        return invalid(Kind.PHONE, text, "not a possible phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # The canonical form as read again (P._settled, tests/identifiers/test_phone_settled.py):
    # not what this oracle tests, applied to both sides alike.
    settled = P._settled(number, e164)
    if settled is None:
        return invalid(Kind.PHONE, text, "not a phone number: read again, it reads otherwise")
    number, e164 = settled
    region = phonenumbers.region_code_for_number(number)
    return valid(Kind.PHONE, e164, country=region if region and region != "001" else None)


REGIONS = [
    "TH",
    "MY",
    "PH",
    "VN",
    "ID",
    "SG",
    "KH",
    "LA",
    "MM",
    "CN",
    "HK",
    "TW",
    "JP",
    "KR",
    "IN",
    "PK",
    "BD",
    "AE",
    "SA",
    "GB",
    "DE",
    "FR",
    "IT",
    "ES",
    "NL",
    "US",
    "CA",
    "AU",
    "NG",
    "KE",
    "ZA",
    "BR",
    "MX",
    "RU",
    "UA",
    "AR",
    "AG",
    "GA",
    "GG",
    "SM",
    "NF",
    "CC",
    "MG",
]  # fmt: skip  (the last eight have a national prefix transform rule: never filtered)
# How candidates start: international ('+', '00', IDDs of other regions, a bracketed code),
# trunk prefixes, a region's own country code, a stray plus before a national number.
STARTS = [
    "", "", "+", "+ ", "00", "00 ", "(+", "( +", "0", "0", "(0)", "(0", "+0", "+ 0", "0 0",
    "1", "8", "9", "011", "810", "001", "009", "0011", "010", "66", "44", "1 ", "(", "tel:",
]  # fmt: skip
BODY_CHARS = "0123456789" * 4 + " .-()/"


def candidate(start: str, body: str, code: int | None) -> str:
    if start in ("(+", "( +") and code is not None:
        return f"{start}{code}) {body}"
    return start + body


CANDIDATES = st.builds(
    candidate,
    st.sampled_from(STARTS),
    st.text(alphabet=BODY_CHARS, min_size=1, max_size=20),
    st.one_of(st.none(), st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE))),
)


@settings(max_examples=1500, deadline=None)
@given(CANDIDATES, st.sampled_from([None, *REGIONS]))
def test_a_text_the_filter_refuses_is_refused_by_the_parse(text: str, country: str | None) -> None:
    before = old_parse_phone(text, country)
    if not could_be_phone(text, country):
        assert before.error is not None  # the filter never loses a number
    assert parse_phone(text, country) == before


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=BODY_CHARS, min_size=0, max_size=18), st.sampled_from([None, *REGIONS]))
def test_00_is_read_as_plus_as_before(body: str, country: str | None) -> None:
    """The second reading of ``00…`` (as ``+…``) is skipped only where it finds nothing."""
    for text in ("00" + body, "00 " + body, "(00) " + body, "+00" + body):
        before = old_parse_phone(text, country)
        assert parse_phone(text, country) == before
        if not could_be_phone(text, country):
            assert before.error is not None


def fixed_sample(count: int) -> list[str]:
    rng = random.Random(29)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    texts = []
    for _ in range(count):
        body = "".join(rng.choice(BODY_CHARS) for _ in range(rng.randint(1, 20)))
        texts.append(candidate(rng.choice(STARTS), body, rng.choice(codes)))
    return texts


def test_every_region_the_library_knows() -> None:
    """A fixed sample of texts in every supported region: no number lost, none changed."""
    refused = 0
    for country in sorted(phonenumbers.SUPPORTED_REGIONS):
        for text in fixed_sample(120):
            before = old_parse_phone(text, country)
            if not could_be_phone(text, country):
                refused += 1
                assert before.error is not None, (text, country)
            assert parse_phone(text, country) == before, (text, country)
    assert refused > 0


def test_real_numbers_of_every_region_pass_the_filter() -> None:
    """Example numbers of each type, written as people write them, are never refused."""
    forms = (
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.E164,
    )
    for country in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(country, kind)
            if number is None:
                continue
            for form in forms:
                written = phonenumbers.format_number(number, form)
                for text in (written, "00" + written[1:] if written.startswith("+") else written):
                    assert parse_phone(text, country) == old_parse_phone(text, country)
                    if old_parse_phone(text, country).error is None:
                        assert could_be_phone(text, country), (text, country)


def test_what_the_filter_refuses_in_thailand() -> None:
    """Thai numbers have 8, 9, 10 or 13 digits after the trunk '0' (or with it, unstripped)."""
    assert not could_be_phone("0 5 0 3 0 7", "TH")  # 6 digits: neither 6 nor 5 is possible
    assert could_be_phone("081 234 5678", "TH")
    assert not could_be_phone("081 234 5678 90", "TH")  # 12 digits: neither 12 nor 11
    assert could_be_phone("081 234 5678 901", "TH")  # 13: possible, unstripped
    assert could_be_phone("+66 81 234 5678", "TH")
    assert not could_be_phone("+66 81 234", "TH")
    assert not could_be_phone("+999 123 456", None)  # no country code 999
    assert could_be_phone("0084 912 345 678", "TH")  # read as '+84' too


# --- the work saved: parses of a narrative of random digits between words -------------------


def short_stretches(size: int) -> str:
    """'0 d 0 d …' with random digits d and a word after every 150 digits (below the 170 of
    the long-stretch rule, so every candidate of every run is offered)."""
    rng = random.Random(11)
    parts = []
    for count in range(1, size // 2):
        digit = "0" if count % 2 else rng.choice("0123456789")
        parts.append(digit + (" and " if count % 150 == 0 else " "))
    return "".join(parts)[:size]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text handed to phonenumbers.parse (each run of `extracted` empties the caches)."""
    texts: list[str] = []
    parse = phonenumbers.parse

    def counted(text: str, *args: Any, **kwargs: Any) -> phonenumbers.PhoneNumber:
        texts.append(text)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", counted)
    return texts


def extracted(text: str, parses: list[str]) -> tuple[list[Found], int]:
    """What `extract` finds in TEXT (TH), and how many parses it made, from empty caches."""
    P._parse.cache_clear()
    P.is_valid_phone.cache_clear()
    R._normalize.cache_clear()
    parses.clear()
    return extract(text, "TH"), len(parses)


def test_random_digits_between_words_parse_fewer_candidates(
    parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the work, not the time (each parse is 50 µs or more): with the filters, then with
    every candidate parsed as before; the same numbers found."""
    text = short_stretches(20_000)
    found, count = extracted(text, parses)
    monkeypatch.setattr(P, "could_be_possible", lambda *args: True)
    monkeypatch.setattr(P, "could_follow_plus", lambda *args: True)
    monkeypatch.setattr(EXTRACT, "could_be_valid_phone", lambda *args: True)
    found_before, count_before = extracted(text, parses)
    assert found == found_before
    assert len(found) > 100
    # Each number found is judged from its E.164 form, read without a parse where that is
    # certain (`phone_validity.read_e164`: 4,517 of 4,889 here; all were parsed again before).
    assert count_before > 10_000  # 11,290: every candidate, and the E.164 forms parsed again
    # 10,233 with the length filter alone, 5,716 once E.164 forms were read without a parse;
    # extraction then parses only a candidate that could hold a valid number (`_Shape`).
    assert count < 2_000  # 1,378

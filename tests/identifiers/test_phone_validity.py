"""The validity of a canonical phone number is what it was when every one was parsed again.

`is_valid_phone` used to parse its E.164 string (``_parse(canonical, None)``, which also asks
``is_possible_number``) and ask ``is_valid_number``: `old_is_valid_phone` below, the oracle.
It now reads most E.164 strings without the parse (`phone_validity.read_e164`), which must
give the very PhoneNumber the parse gives wherever it answers: every country code (shared ones,
+1 +7 +44…, and non-geographic ones, region "001"), every example number of every region and
type, national numbers with leading zeros (+39 0…, +225 0…) and with a national prefix left on,
and random strings.
"""

from __future__ import annotations

import importlib
import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType, phonenumberutil

from bigfish.identifiers import Found, extract
from bigfish.identifiers import phone as P
from bigfish.identifiers import phone_validity as V
from bigfish.identifiers.phone import _parse
from bigfish.identifiers.phone_validity import read_e164
from tests.identifiers.test_phone_lengths import CANDIDATES as CANDIDATES_OF_LENGTHS
from tests.identifiers.test_phone_lengths import REGIONS as REGIONS_OF_LENGTHS
from tests.identifiers.test_phone_lengths import STARTS as STARTS_OF_LENGTHS

CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
NON_GEO = sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
is_valid_phone = P.is_valid_phone.__wrapped__  # no cache: each call decides
extract_module = importlib.import_module("bigfish.identifiers.extract")  # not the function


def old_is_valid_phone(canonical: str) -> bool:
    """`phone.is_valid_phone` as it was: a parse of CANONICAL, then ``is_valid_number``."""
    number = _parse(canonical, None)
    return number is not None and phonenumbers.is_valid_number(number)


def parsed(canonical: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(canonical, None, keep_raw_input=False)
    except NumberParseException:
        return None


def same(canonical: str) -> bool:
    """Whether CANONICAL is judged as before, and `read_e164`, where it answers, gives the
    parse's PhoneNumber (all fields). True when `read_e164` answered, so that callers can count."""
    assert is_valid_phone(canonical) == old_is_valid_phone(canonical), canonical
    number = read_e164(canonical)
    if number is None:
        return False
    assert number == parsed(canonical), canonical
    assert (
        phonenumbers.national_significant_number(number)
        == canonical[1 + len(str(number.country_code)) :]
    )
    return True


def random_canonical(rng: random.Random) -> str:
    """'+', a known country code, then 0 to 18 digits: half of them with leading zeros, some
    with the code's main region's national prefix in front (the parser takes it off)."""
    code = rng.choice(CODES)
    body = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 19)))
    pick = rng.randrange(4)
    if pick == 0:
        body = "0" * rng.randrange(1, 4) + body
    elif pick == 1:
        region = phonenumbers.region_code_for_country_code(code)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        prefix = metadata.national_prefix if metadata is not None else None
        body = (prefix or "") + body
    return f"+{code}{body}"


def compare_random(count: int, seed: int) -> tuple[int, int]:
    """COUNT random canonical strings checked against the oracle: (checked, read without a
    parse). Run by hand with a large COUNT:

    .venv/bin/python -c "from tests.identifiers.test_phone_validity import compare_random as c;
    print(c(200_000, 1))"
    """
    rng = random.Random(seed)
    fast = 0
    for _ in range(count):
        fast += same(random_canonical(rng))
    return count, fast


def test_random_strings_for_every_country_code_are_judged_as_before() -> None:
    checked, fast = compare_random(20_000, 7)
    assert fast > checked // 2  # most are read without a parse (the point of it)


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(CODES),
    st.text(alphabet="0123456789", min_size=0, max_size=19),
    st.sampled_from(["", "0", "00", "000", "1", "8", "9"]),
)
def test_any_digits_after_any_code_are_judged_as_before(code: int, body: str, lead: str) -> None:
    same(f"+{code}{lead}{body}")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789+ -()x#;", min_size=0, max_size=24))
def test_strings_it_does_not_understand_are_parsed(text: str) -> None:
    same(text)
    same("+" + text)


@pytest.mark.parametrize("code", CODES)
def test_every_country_code_with_every_length_and_leading_zeros(code: int) -> None:
    for length in range(0, 19):
        for lead in ("", "0", "00", "0000", "1", "9"):
            body = lead + "123456789012345678"[: max(0, length - len(lead))]
            same(f"+{code}{body}")


def examples() -> list[str]:
    """Every example number of every region and type, and of every non-geographic code, in
    E.164; and each with "0" or the national prefix written after the country code."""
    numbers: list[PhoneNumber] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in vars(PhoneNumberType).values():
            if isinstance(kind, int):
                example = phonenumbers.example_number_for_type(region, kind)
                if example is not None:
                    numbers.append(example)
    for code in NON_GEO:
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            numbers.append(example)
    e164 = phonenumbers.PhoneNumberFormat.E164
    out: list[str] = []
    for number in numbers:
        text = phonenumbers.format_number(number, e164)
        code = str(number.country_code)
        nsn = text[1 + len(code) :]
        region = phonenumbers.region_code_for_country_code(number.country_code)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            number.country_code, region
        )
        prefix = (metadata.national_prefix if metadata is not None else None) or "0"
        out += [text, f"+{code}0{nsn}", f"+{code}{prefix}{nsn}", f"+{code}00{nsn}"]
    return out


def test_example_numbers_of_every_region_and_type_are_judged_as_before() -> None:
    cases = examples()
    assert len(cases) > 4000
    fast = sum(same(case) for case in cases)
    plain = cases[::4]
    assert sum(is_valid_phone(case) for case in plain) == len(plain)  # examples are valid
    assert fast > len(cases) // 2


LEADING_ZEROS = [
    "+390612345678",  # Rome: the 0 is part of the number
    "+39061234567",
    "+3900612345678",
    "+393123456789",  # an Italian mobile
    "+2250712345678",  # Côte d'Ivoire, 10 digits starting with 0
    "+2252123456789",
    "+22507123456",
    "+2420612345678",  # Congo
    "+24206123456",
    "+2410612345",  # Gabon
    "+24106123456",
    "+37800549123456",  # San Marino
    "+3790612345678",  # Vatican (shares Italy's plan)
    "+470012345",
    "+4400207946000",
    "+44020794600",
    "+4402079460000",
    "+4407700900123",  # a UK mobile with its trunk 0 left on: the parser takes it off
    "+660812345678",
    "+6608123456789",
    "+610412345678",
    "+8400912345678",
    "+7089123456789",
    "+78123456789",
    "+10",
    "+100",
    "+1000",
    "+10201234567",
    "+12015550123",
    "+112015550123",
    "+80012345678",  # non-geographic: freephone
    "+800012345678",
    "+8790123456789",
    "+8816123456789",
    "+8820123456789",
    "+882001234567",
    "+883510012345",
    "+88351001234567",
    "+979123456789",
    "+9790123456789",
    "+870301234567",
    "+8700301234567",
]


@pytest.mark.parametrize("canonical", LEADING_ZEROS)
def test_leading_zeros_and_left_national_prefixes_are_judged_as_before(canonical: str) -> None:
    same(canonical)


def test_the_cases_that_must_be_parsed_are_parsed() -> None:
    """Where the parser takes a national prefix off, `read_e164` does not answer: the parse
    gives another national number than the string's."""
    assert read_e164("+4407700900123") is None
    number = parsed("+4407700900123")
    assert number is not None and number.national_number == 7700900123
    assert read_e164("+447700900123") == parsed("+447700900123")
    assert read_e164("+390612345678") == parsed("+390612345678")  # Italy has no national prefix
    assert read_e164("12015550123") is None  # no '+'
    assert read_e164("+0812345678") is None  # no country code starts with 0
    assert read_e164("+12") is None  # too short for the parser
    assert read_e164("+２２５") is None  # not ASCII


@pytest.mark.parametrize("code", CODES)
def test_the_length_rule_is_the_parsers(code: int) -> None:
    """`_Code.keeps_stripped` is phonenumbers' private ``_test_number_length`` (pinned version):
    the stripped number is kept unless TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY or INVALID_LENGTH."""
    view = V._code(code)
    assert view is not None
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    refused = (
        phonenumberutil.ValidationResult.TOO_SHORT,
        phonenumberutil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
        phonenumberutil.ValidationResult.INVALID_LENGTH,
    )
    for length in range(0, 21):
        result = phonenumberutil._test_number_length("5" * length, metadata)
        assert view.keeps_stripped(length) == (result not in refused), length


def test_extraction_finds_what_it_found_with_a_parse_for_each_validity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Random digits in short stretches (the benchmark's costly case) and honest numbers: the
    same identifiers as with the old validity."""
    rng = random.Random(3)
    parts = []
    for index in range(4000):
        digit = "0" if index % 2 == 0 else rng.choice("0123456789")
        parts.append(digit + " " + ("and " if index % 150 == 149 else ""))
    parts.append("call +44 7911 123456 or 081 234 5678 or +39 06 1234 5678, 0084 912 345 678")
    text = "".join(parts)
    found: dict[str, list[Found]] = {}
    for country in ("TH", "GB", None):
        found[f"new {country}"] = extract(text, country)
        with monkeypatch.context() as patch:
            patch.setattr(extract_module, "is_valid_phone", old_is_valid_phone)
            before = extract(text, country)
        assert found[f"new {country}"] == before
    assert any(item.identifier.canonical == "+66812345678" for item in found["new TH"])
    for canonical in ("+447911123456", "+390612345678", "+84912345678"):
        assert any(item.identifier.canonical == canonical for item in found["new TH"])


# --- candidates refused before any parse: no reading of them could be valid -------------------


def valid_number_in(text: str, country: str | None) -> bool:
    """The old pipeline of extraction for a phone candidate: a parse, then the old validity of
    its E.164 form."""
    result = P.parse_phone(text, country)
    return result.error is None and old_is_valid_phone(result.canonical)


REGIONS = [*REGIONS_OF_LENGTHS, "IT", "CI", "CG", "GA", "SM", "VA", "RU", "KZ", "IM", "JE"]
STARTS = [*STARTS_OF_LENGTHS, "39", "225", "0039", "00225", "+39 0", "+225 0", "+7", "+44 0"]


def could_be_valid_is_a_superset(text: str, country: str | None) -> bool:
    """Asserts that `could_be_valid_phone` refuses TEXT only where the old pipeline finds no
    valid number; True when it refused it."""
    if P.could_be_valid_phone.__wrapped__(text, country):
        return False
    assert not valid_number_in(text, country), (text, country)
    return True


@settings(max_examples=3000, deadline=None)
@given(CANDIDATES_OF_LENGTHS, st.sampled_from([None, *REGIONS]))
def test_a_candidate_refused_before_the_parse_holds_no_valid_number(
    text: str, country: str | None
) -> None:
    could_be_valid_is_a_superset(text, country)


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(STARTS),
    st.text(alphabet="0123456789", min_size=1, max_size=16),
    st.sampled_from([None, *REGIONS]),
)
def test_digits_after_any_start_refused_only_when_invalid(
    start: str, body: str, country: str | None
) -> None:
    could_be_valid_is_a_superset(start + body, country)


def compare_candidates(count: int, seed: int) -> tuple[int, int]:
    """COUNT random candidates (starts of every kind, random digits, every region of
    REGIONS): (checked, refused before the parse). By hand with a large COUNT."""
    rng = random.Random(seed)
    refused = 0
    for _ in range(count):
        start = rng.choice(STARTS)
        if start in ("(+", "( +"):
            start = f"{start}{rng.choice(CODES)}) "
        elif rng.random() < 0.3:
            start += str(rng.choice(CODES))
        body = "".join(rng.choice("0123456789 ") for _ in range(rng.randrange(1, 17)))
        refused += could_be_valid_is_a_superset(start + body, rng.choice([None, *REGIONS]))
    return count, refused


def test_random_candidates_refused_before_the_parse_hold_no_valid_number() -> None:
    checked, refused = compare_candidates(6000, 5)
    assert refused > checked // 4  # the point of it: many are never parsed


def test_every_valid_example_number_passes_in_every_form() -> None:
    """Every example number of every region and type (valid by definition), written in E.164,
    with '00', nationally (in its region) and with its trunk prefix, is not refused."""
    e164 = phonenumbers.PhoneNumberFormat.E164
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None or not phonenumbers.is_valid_number(example):
                continue
            plus = phonenumbers.format_number(example, e164)
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            for text, country in (
                (plus, None),
                (plus, "TH"),
                ("00" + plus[1:], "DE"),
                (national, region),
            ):
                if P._prepared(text)[2] is None:
                    assert P.could_be_valid_phone.__wrapped__(text, country) or not (
                        valid_number_in(text, country)
                    ), (text, country)
                    checked += 1
            assert P.could_be_valid_phone.__wrapped__(plus, None), plus
    assert checked > 3000


def test_country_codes_are_prefix_free() -> None:
    """An E.164 form is read back with the code it was written with (the parser takes the first
    1, 2 or 3 digits that are a code): no code is the start of another."""
    texts = [str(code) for code in CODES]
    assert not [(a, b) for a in texts for b in texts if a != b and b.startswith(a)]


def test_extraction_refuses_without_a_parse_only_what_it_would_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The short-stretch text and honest numbers: the same identifiers without the check."""
    rng = random.Random(9)
    parts = []
    for index in range(6000):
        digit = "0" if index % 2 == 0 else rng.choice("0123456789")
        parts.append(digit + " " + ("and " if index % 150 == 149 else ""))
    parts.append("call +44 7911 123456 or 081 234 5678 or +39 06 1234 5678, 0084 912 345 678")
    text = "".join(parts)
    for country in ("TH", "GB", "IT", None):
        P.could_be_valid_phone.cache_clear()
        found = extract(text, country)
        with monkeypatch.context() as patch:
            patch.setattr(extract_module, "could_be_valid_phone", lambda *args: True)
            before = extract(text, country)
        assert found == before
        assert len(found) > (100 if country == "TH" else 2)  # random Thai numbers, 3 foreign

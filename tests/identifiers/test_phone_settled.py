"""A phone number's canonical form normalizes to itself, also where the parser would take a
national prefix off the digits after the country code when reading the form again."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.identifiers import extract, normalize
from bigfish.models import Kind

# Every region the library knows that is an ISO 3166 code (not Ascension "AC", Tristan "TA").
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS - {"AC", "TA"})


def _fixed_point(value: str, country: str | None) -> None:
    first = normalize(Kind.PHONE, value, country)
    if not first.valid:
        return
    again = normalize(Kind.PHONE, first.canonical, country)
    assert again.valid, (value, country, first.canonical, again.error)
    assert again.canonical == first.canonical, (value, country)
    assert again.country == first.country, (value, country)


@pytest.mark.parametrize(
    ("value", "country", "canonical"),
    [
        # read from Thailand with its trunk digit kept after the country code; read again the
        # parser takes the 0 off
        ("0 0 6 0 2 0 4 0 4 0 1", "TH", "+66602040401"),
        ("+660602040401", "TH", "+66602040401"),
        ("+66 81 234 5678", "TH", "+66812345678"),
        ("081 234 5678", "TH", "+66812345678"),
    ],
)
def test_the_canonical_form_is_the_one_read_again(value: str, country: str, canonical: str) -> None:
    assert normalize(Kind.PHONE, value, country).canonical == canonical
    _fixed_point(value, country)


def test_extraction_stores_the_settled_form() -> None:
    found = extract("โทร 0 0 6 0 2 0 4 0 4 0 1 ครับ", "TH")
    assert [item.identifier.canonical for item in found] == ["+66602040401"]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["", "0", "00", "+", "+0", "0 0 ", "000"]),
    st.text(alphabet="0123456789", min_size=3, max_size=14),
    st.sampled_from([None, *REGIONS]),
)
def test_phone_canonical_forms_are_fixed_points(
    prefix: str, digits: str, country: str | None
) -> None:
    _fixed_point(prefix + digits, country)


def test_seeded_digit_strings_in_every_region_are_fixed_points() -> None:
    draw = random.Random(20261130)
    for region in REGIONS:
        code = str(phonenumbers.country_code_for_region(region))
        for _ in range(12):
            digits = "".join(draw.choice("0123456789") for _ in range(draw.randint(6, 12)))
            for value in (digits, "0" + digits, "+" + code + "0" + digits, "00" + code + digits):
                _fixed_point(value, region)

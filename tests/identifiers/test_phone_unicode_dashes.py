"""Digit groups joined by dashes other than "-": non-breaking hyphens (web pages format phone
numbers with them so that a number is not broken across lines), en dashes, minus signs. The
spec accepts dashes; such a number was invalid ("a phone number has digits, '+', …") and not
found in narratives. A dash still ends a link, an address or a name; a date stays no phone."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize

DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212"]


@pytest.mark.parametrize("dash", DASHES)
def test_a_number_with_other_dashes_normalizes(dash: str) -> None:
    identifier = normalize("phone", f"081{dash}234{dash}5678", "TH")
    assert (identifier.canonical, identifier.valid) == ("+66812345678", True)


@pytest.mark.parametrize("dash", DASHES)
def test_a_number_with_other_dashes_is_found(dash: str) -> None:
    text = f"โทร 081{dash}234{dash}5678 ครับ"
    found = [(text[i.start : i.end], i.identifier.canonical) for i in extract(text, "TH")]
    assert found == [(f"081{dash}234{dash}5678", "+66812345678")]


def test_a_dash_still_ends_a_link_an_address_and_a_name() -> None:
    text = "https://example.com\u2013ครับ a@example.com\u2014ok line: abc\u2014def"
    found = [(text[i.start : i.end], i.identifier.canonical) for i in extract(text)]
    assert found == [
        ("https://example.com", "example.com/"),
        ("a@example.com", "a@example.com"),
        ("line: abc", "line:abc"),
    ]


@pytest.mark.parametrize("country", ["SG", "HK"])
def test_a_date_with_en_dashes_is_no_phone(country: str) -> None:
    assert extract("paid on 31\u201312\u20132024", country) == []

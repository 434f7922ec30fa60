"""A phone number whose area or country code is written in brackets at its start ("(02) 123
4567", "(+84) 360 036 475", "(0) 81 234 5678"): the digit run could open a bracket but never
close it, so such numbers, which `normalize` reads, were not found in narratives."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize
from tests.identifiers.found import phones


@pytest.mark.parametrize(
    ("text", "country", "number", "canonical"),
    [
        ("ติดต่อ (02) 123 4567 ครับ", "TH", "(02) 123 4567", "+6621234567"),
        ("Hubungi CS (021) 5551234 segera", "ID", "(021) 5551234", "+62215551234"),
        ("gọi (028) 3823 4567", "VN", "(028) 3823 4567", "+842838234567"),
        ("Zalo (+84) 360 036 475", None, "(+84) 360 036 475", "+84360036475"),
        ("liên hệ (+84)360036475.", "TH", "(+84)360036475", "+84360036475"),
        ("call +(84) 360 036 475", None, "+(84) 360 036 475", "+84360036475"),
        ("โทร (0) 81 234 5678", "TH", "(0) 81 234 5678", "+66812345678"),
        ("โทร (๐๒) ๑๒๓ ๔๕๖๗", "TH", "(๐๒) ๑๒๓ ๔๕๖๗", "+6621234567"),
    ],
)
def test_a_bracketed_code_at_the_start_is_found(
    text: str, country: str | None, number: str, canonical: str
) -> None:
    assert normalize("phone", number, country).canonical == canonical
    assert phones(text, country) == [(number, canonical)]


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("(2025) 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("ข้อ (1) 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("(12) 345 (2025)", "TH", []),
    ],
)
def test_a_bracketed_short_number_before_a_phone_is_not_part_of_it(
    text: str, country: str, expected: list[tuple[str, str]]
) -> None:
    assert phones(text, country) == expected

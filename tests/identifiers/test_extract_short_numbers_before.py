"""A phone number after a short number and one space: the village number of a Thai address
("หมู่ 3"), a time ("lúc 10:30"), a room or a house number. The two join in one digit run, and
the number was looked for only from the run's start or from a space seven characters or more
into it, so it was lost."""

from __future__ import annotations

import pytest

from tests.identifiers.found import phones


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("บ้านเลขที่ 12 หมู่ 3 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("หมู่ 3 081-234-5678 ครับ", "TH", [("081-234-5678", "+66812345678")]),
        ("gọi lúc 10:30 0912345678 nhé", "VN", [("0912345678", "+84912345678")]),
        ("số 5 0912 345 678", "VN", [("0912 345 678", "+84912345678")]),
        ("Room 12 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("ref 123 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("①②③ 0812345678", "TH", [("0812345678", "+66812345678")]),
        ("ชั้น ๓ ๐๘๑๒๓๔๕๖๗๘", "TH", [("๐๘๑๒๓๔๕๖๗๘", "+66812345678")]),
        ("12 +66 81 234 5678", None, [("+66 81 234 5678", "+66812345678")]),
    ],
)
def test_a_number_after_a_short_number_is_found(
    text: str, country: str | None, expected: list[tuple[str, str]]
) -> None:
    assert phones(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("หมู่ 3 1234567", "TH"),  # no trunk prefix: no national number
        ("OTP 482913 ref 5 1500000", "TH"),
        ("1 500 000 บาท", "TH"),
    ],
)
def test_short_numbers_alone_are_still_no_phone(text: str, country: str) -> None:
    assert phones(text, country) == []

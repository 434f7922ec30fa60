"""A digit run joined by a hyphen (or an underscore) to the Latin word before it is the number
of a code ("INV-0812345678", "HN-0912345678", "REF_0812345678"), as "INV0812345678" is: it was
read as a phone number, so every report quoting an invoice, an order or a case number was
linked to the others. A phone label so joined ("Tel-0812345678", "LINE-0812345678",
"SĐT-0912345678") still names a phone, as a label glued to its number does
(test_extract_glued_phone_labels.py)."""

from __future__ import annotations

import pytest

from tests.identifiers.found import phones


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("INV-0812345678", "TH"),
        ("Invoice no. INV-0812345678 paid", "TH"),
        ("REF-0812345678", "TH"),
        ("ref_0812345678", "TH"),
        ("Order-0812345678", "TH"),
        ("Mã đơn HN-0912345678", "VN"),
        ("DH-0912.345.678", "VN"),
        ("case A1-0812345678", "TH"),
        ("TXN-+66812345678", None),
        ("INV\u20110812345678", "TH"),  # a non-breaking hyphen, read as '-' for phones
        ("Online-0812345678", "TH"),  # a word that ends in a label is no label
        ("Hotel-0812345678", "TH"),
    ],
)
def test_the_number_of_a_code_is_no_phone(text: str, country: str | None) -> None:
    assert phones(text, country) == []


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("Tel-0812345678", "TH", [("0812345678", "+66812345678")]),
        ("TEL-081-234-5678", "TH", [("081-234-5678", "+66812345678")]),
        ("LINE-0812345678", "TH", [("0812345678", "+66812345678")]),
        ("SĐT-0912345678", "VN", [("0912345678", "+84912345678")]),
        ("sdt_0912345678", "VN", [("0912345678", "+84912345678")]),
        ("WA-081234567890", "ID", [("081234567890", "+6281234567890")]),
        ("Zalo-0912345678", "VN", [("0912345678", "+84912345678")]),
        ("Hotline-(02) 123 4567", "TH", [("(02) 123 4567", "+6621234567")]),
        ("Mobile-0812345678", "TH", [("0812345678", "+66812345678")]),
        ("โทร-0812345678", "TH", [("0812345678", "+66812345678")]),  # not a Latin word
        ("số-0912345678", "VN", [("0912345678", "+84912345678")]),
        ("call me - 0812345678", "TH", [("0812345678", "+66812345678")]),  # spaced: no code
        ("Tel.-0812345678", "TH", [("0812345678", "+66812345678")]),
        ("SMS-0812345678", "TH", [("0812345678", "+66812345678")]),
        ("Kontak_081234567890", "ID", [("081234567890", "+6281234567890")]),
        ("INV-0812345678 0899999999", "TH", [("0899999999", "+66899999999")]),
        ("INV-0812345678, Tel-0899999999", "TH", [("0899999999", "+66899999999")]),
    ],
)
def test_a_number_after_a_phone_label_or_no_code_is_a_phone(
    text: str, country: str | None, expected: list[tuple[str, str]]
) -> None:
    assert phones(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("LINE0812345678", "TH", [("0812345678", "+66812345678")]),
        ("ไลน์ หรือ SMS0812345678", "TH", [("0812345678", "+66812345678")]),
        ("Kontak081234567890", "ID", [("081234567890", "+6281234567890")]),
        ("Online0812345678", "TH", []),
    ],
)
def test_the_labels_that_may_be_joined_may_be_glued(
    text: str, country: str | None, expected: list[tuple[str, str]]
) -> None:
    """One list of phone labels for both: a label joined by a hyphen names a phone, so does
    the same label glued to its number."""
    assert phones(text, country) == expected

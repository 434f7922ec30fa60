"""A phone label glued to its number in Latin script: Vietnamese "SĐT0912345678" and
"sdt0912345678", Indonesian "WA081234567890" and "Hubungi0812-3456-7890", "Tel0812345678".
A letter right before a digit run marked it as a code ("INV0812345678"), so such numbers,
as common in Vietnamese and Indonesian narratives as Thai "โทร0812345678", were lost."""

from __future__ import annotations

import pytest

from tests.identifiers.found import phones


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("Liên hệ SĐT0912345678 để nhận quà", "VN", [("0912345678", "+84912345678")]),
        ("sdt0912.345.678 nhé", "VN", [("0912.345.678", "+84912345678")]),
        ("đt0912345678", "VN", [("0912345678", "+84912345678")]),
        ("Chat WA081234567890 sekarang", "ID", [("081234567890", "+6281234567890")]),
        ("Hubungi0812-3456-7890", "ID", [("0812-3456-7890", "+6281234567890")]),
        ("Tel0812345678", "TH", [("0812345678", "+66812345678")]),
        ("call+66812345678", None, [("+66812345678", "+66812345678")]),
        ("hotline(02) 123 4567", "TH", [("(02) 123 4567", "+6621234567")]),
        ("SĐT0912345678, sdt0987654321", "VN", [
            ("0912345678", "+84912345678"), ("0987654321", "+84987654321"),
        ]),
    ],
)  # fmt: skip
def test_a_number_glued_to_its_label_is_found(
    text: str, country: str | None, expected: list[tuple[str, str]]
) -> None:
    assert phones(text, country) == expected


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("INV0812345678", "TH"),
        ("Mã đơn ABC0912345678", "VN"),
        ("Hotel0812345678", "TH"),  # a word that ends in a label is no label
        ("Điện0912345678", "VN"),
        ("swa0812345678", "TH"),
    ],
)
def test_a_code_of_letters_and_digits_is_still_no_phone(text: str, country: str) -> None:
    assert phones(text, country) == []

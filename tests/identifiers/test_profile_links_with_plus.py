"""``wa.me/NUMBER`` becomes a phone (spec/identifiers.md, handle); a number pasted with its
``+`` ("wa.me/+66812345678", which WhatsApp opens as well) stayed a URL, so the same scammer's
WhatsApp link and phone number never linked. Likewise ``zalo.me/+84…``."""

from __future__ import annotations

import pytest

from bigfish.identifiers import extract, normalize


@pytest.mark.parametrize(
    ("kind", "value", "country", "canonical"),
    [
        ("url", "https://wa.me/+66812345678", None, "+66812345678"),
        ("url", "wa.me/%2B66812345678", None, "+66812345678"),
        ("handle", "https://wa.me/+66812345678", None, "+66812345678"),
        ("url", "https://wa.me/66812345678", None, "+66812345678"),
        ("url", "https://zalo.me/+84912345678", "VN", "+84912345678"),
        ("url", "https://zalo.me/0912345678", "VN", "+84912345678"),
    ],
)
def test_a_profile_link_with_a_plus_is_a_phone(
    kind: str, value: str, country: str | None, canonical: str
) -> None:
    identifier = normalize(kind, value, country)
    assert (identifier.canonical_kind.value, identifier.canonical, identifier.valid) == (
        "phone",
        canonical,
        True,
    )


def test_a_pasted_link_with_a_plus_is_found_as_a_phone() -> None:
    text = "แชทได้ที่ wa.me/+66812345678 ครับ"
    [item] = extract(text, "TH")
    assert text[item.start : item.end] == "wa.me/+66812345678"
    assert (item.identifier.canonical_kind.value, item.identifier.canonical) == (
        "phone",
        "+66812345678",
    )


@pytest.mark.parametrize("value", ["https://wa.me/+", "https://wa.me/++66812345678"])
def test_a_plus_without_a_number_stays_a_link(value: str) -> None:
    assert normalize("url", value).canonical_kind.value == "url"

# ruff: noqa: E501  (one spec example per line)
"""Every example of spec/identifiers.md, as a golden test."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize
from bigfish.models import Kind

GOLDEN = [
    ("phone", "081-234-5678", "TH", Kind.PHONE, "+66812345678"),
    ("phone", "๐๘๑๒๓๔๕๖๗๘", "TH", Kind.PHONE, "+66812345678"),
    ("phone", "+66 (0) 81 234 5678", "VN", Kind.PHONE, "+66812345678"),
    ("phone", "0084 912 345 678", "GB", Kind.PHONE, "+84912345678"),
    ("url", "hxxps://Invest-Gold88[.]com/login/?utm_source=fb", None, Kind.URL, "invest-gold88.com/login"),
    ("url", "https://bit.ly/3xYz12", None, Kind.URL, "bit.ly/3xYz12"),
    ("url", "www.example.co.th", None, Kind.URL, "example.co.th/"),
    ("domain", "https://m.invest-gold88.com/app", None, Kind.DOMAIN, "invest-gold88.com"),
    ("domain", "shop.example.co.th", None, Kind.DOMAIN, "example.co.th"),
    ("email", "J.Ohn+ref3@GoogleMail.com", None, Kind.EMAIL, "john@gmail.com"),
    ("bank_account", "gb82 west 1234 5698 7654 32", None, Kind.BANK_ACCOUNT, "GB82WEST12345698765432"),
    ("bank_account", "kasithbk: 123-4-56789-0", None, Kind.BANK_ACCOUNT, "KASITHBK:1234567890"),
    ("crypto_wallet", "0xAB5801A7D398351B8BE11C439E05C5B3259AEC9B", None, Kind.CRYPTO_WALLET, "0xab5801a7d398351b8be11c439e05c5b3259aec9b"),
    ("handle", "https://t.me/Gold_Mentor_88", None, Kind.HANDLE, "telegram:gold_mentor_88"),
    ("ip", "192[.]0.2.1", None, Kind.IP, "192.0.2.1"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "value", "country", "canonical_kind", "canonical"), GOLDEN)
def test_spec_example(
    kind: str, value: str, country: str | None, canonical_kind: Kind, canonical: str
) -> None:
    identifier = normalize(kind, value, country)
    assert identifier.valid, identifier.error
    assert identifier.error is None
    assert (identifier.canonical_kind, identifier.canonical) == (canonical_kind, canonical)
    assert identifier.value == value and identifier.kind == Kind(kind)


def test_spec_derived_values() -> None:
    assert normalize("url", "hxxps://Invest-Gold88[.]com/login/").domain == "invest-gold88.com"
    assert normalize("email", "J.Ohn+ref3@GoogleMail.com").domain == "gmail.com"
    assert normalize("crypto_wallet", "0xAB5801A7D398351B8BE11C439E05C5B3259AEC9B").chain == "evm"
    assert normalize("phone", "081-234-5678", "TH").country == "TH"
    assert normalize("bank_account", "gb82 west 1234 5698 7654 32").country == "GB"


def test_messaging_links_change_kind() -> None:
    assert normalize("url", "https://t.me/name_x").canonical_kind == Kind.HANDLE
    assert normalize("url", "wa.me/66812345678").canonical_kind == Kind.PHONE
    assert normalize("handle", "whatsapp:+66812345678").canonical == "+66812345678"

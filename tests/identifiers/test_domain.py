"""Registrable domains from the bundled Public Suffix List."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize, registrable_domain
from bigfish.models import Kind

CASES = [
    ("https://m.invest-gold88.com/app", "invest-gold88.com"),
    ("shop.example.co.th", "example.co.th"),
    ("example.co.th", "example.co.th"),
    ("EXAMPLE.COM", "example.com"),
    ("www.example.com.", "example.com"),
    ("a.b.c.example.co.uk", "example.co.uk"),
    ("shop.example.com.au", "example.com.au"),
    ("login.example.com.vn", "example.com.vn"),
    ("secure.bank-th.in.th", "bank-th.in.th"),
    ("pay.example.com.my", "example.com.my"),
    ("x.example.co.id", "example.co.id"),
    ("x.example.com.ph", "example.com.ph"),
    ("x.example.com.sg", "example.com.sg"),
    ("x.example.com.kh", "example.com.kh"),
    ("x.example.ae", "example.ae"),
    ("scam.github.io", "scam.github.io"),
    ("x.scam.blogspot.com", "scam.blogspot.com"),
    ("bit.ly", "bit.ly"),
    ("lin.ee", "lin.ee"),
    ("hxxp://evil[.]example[.]org/x", "example.org"),
    ("evil(.)example(.)org", "example.org"),
    ("john@mail.example.com", "example.com"),
    ("ธนาคาร.com", "xn--42c3bd5b5db.com"),
    ("www.ธนาคาร.ไทย", "xn--42c3bd5b5db.xn--o3cw4h"),
    ("bücher.de", "xn--bcher-kva.de"),
    ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ("example.com:8080", "example.com"),
    ("https://user@sub.example.net:8443/path?x=1", "example.net"),
    ("ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"),
    ("'example.com',", "example.com"),
]


@pytest.mark.parametrize(("value", "canonical"), CASES)
def test_registrable_domains(value: str, canonical: str) -> None:
    identifier = normalize("domain", value)
    assert identifier.valid, identifier.error
    assert identifier.canonical == canonical
    assert identifier.domain == canonical


@pytest.mark.parametrize("value", ["co.th", "com", "localhost", "-x-.com", "a..b.com", ""])
def test_suffixes_and_bad_hosts_are_invalid(value: str) -> None:
    identifier = normalize("domain", value)
    assert not identifier.valid and identifier.error


def test_an_ip_given_as_a_domain_is_an_ip() -> None:
    identifier = normalize("domain", "192[.]0.2.1")
    assert (identifier.canonical_kind, identifier.canonical) == (Kind.IP, "192.0.2.1")


def test_registrable_domain_helper() -> None:
    assert registrable_domain("m.invest-gold88.com") == "invest-gold88.com"
    assert registrable_domain("co.th") is None
    assert registrable_domain("192.0.2.1") is None
    assert registrable_domain("not a host") is None

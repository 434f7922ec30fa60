"""IP addresses: IPv4 dotted quads, IPv6 in RFC 5952 form, defanged forms."""

from __future__ import annotations

import pytest

from bigfish.identifiers import normalize

CASES = [
    ("192[.]0.2.1", "192.0.2.1"),
    ("192.0.2.1", "192.0.2.1"),
    ("192(.)0(.)2(.)1", "192.0.2.1"),
    ("192{.}0{.}2{.}1", "192.0.2.1"),
    ("192[dot]0[dot]2[dot]1", "192.0.2.1"),
    ("198.51.100.7:8080", "198.51.100.7"),
    ("[198.51.100.7]", "198.51.100.7"),
    (" 203.0.113.9, ", "203.0.113.9"),
    ("１９２．０．２．１", "192.0.2.1"),
    ("٢٠٣.٠.١١٣.٩", "203.0.113.9"),
    ("10.0.0.1", "10.0.0.1"),
    ("255.255.255.255", "255.255.255.255"),
    ("0.0.0.0", "0.0.0.0"),
    ("8.8.8.8", "8.8.8.8"),
    ("1.1.1.1.", "1.1.1.1"),
    ("2001:db8::1", "2001:db8::1"),
    ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ("2001:db8::0:1", "2001:db8::1"),
    ("::1", "::1"),
    ("::", "::"),
    ("fe80:0:0:0:0:0:0:1", "fe80::1"),
    ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  # RFC 5952 section 5: mixed notation
    ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
    ("2001:DB8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    ("2001:db8::", "2001:db8::"),
    ("2404:6800:4003:c00::8a", "2404:6800:4003:c00::8a"),
    ("(2001:db8::2)", "2001:db8::2"),
    ("\u200e192.0.2.1\u200f", "192.0.2.1"),
]


@pytest.mark.parametrize(("value", "canonical"), CASES)
def test_ip_forms(value: str, canonical: str) -> None:
    identifier = normalize("ip", value)
    assert identifier.valid, identifier.error
    assert identifier.canonical == canonical


@pytest.mark.parametrize(
    "value", ["256.0.0.1", "192.0.2", "192.0.02.1", "example.com", "1.2.3.4.5", "::g", ""]
)
def test_invalid_ips(value: str) -> None:
    identifier = normalize("ip", value)
    assert not identifier.valid and identifier.error


def test_a_zone_id_is_an_invalid_address_not_a_crash() -> None:
    """Review finding: `fe80::1%eth0` parsed, then raised in normalization (a 500, a lost file)."""
    found = normalize("ip", "fe80::1%eth0")
    assert not found.valid and found.error and "zone id" in found.error

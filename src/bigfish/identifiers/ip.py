"""IP addresses: IPv4 dotted quad, IPv6 in RFC 5952 form."""

from __future__ import annotations

import ipaddress
import re

from bigfish.identifiers.defang import defang
from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind

_IPV4_PORT = re.compile(r"([0-9.]+):[0-9]{1,5}")
_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::[0-9]{1,5})?")


def parse_ip(text: str, country: str | None = None) -> Parsed:
    """Normalize an IPv4 or IPv6 address (defanged forms and a trailing port accepted)."""
    del country
    text = defang(text)
    if len(text) > 64:
        return invalid(Kind.IP, text[:64], "too long for an IP address")
    candidate = text
    for pattern in (_IPV4_PORT, _BRACKETED):
        match = pattern.fullmatch(candidate)
        if match:
            candidate = match.group(1)
            break
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return invalid(Kind.IP, text, "not an IPv4 or IPv6 address")
    return valid(Kind.IP, address.compressed)

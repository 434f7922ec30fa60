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
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:  # fe80::1%eth0: Python parses it, .exploded fails
            return invalid(Kind.IP, text, "an IPv6 zone id (%…) names an interface of one machine")
        return valid(Kind.IP, rfc5952(address))
    return valid(Kind.IP, address.compressed)


def rfc5952(address: ipaddress.IPv6Address) -> str:
    """RFC 5952 text: lower case, no leading zeros, ``::`` for the longest run of two or more
    zero groups (the first on a tie). Python's ``compressed`` also shortens a single zero group.
    An IPv4-mapped address keeps its IPv4 part dotted (section 5: ``::ffff:192.0.2.1``), as
    Python 3.13 writes it and 3.11 does not, so every node writes the same text.
    """
    if address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    groups = [f"{int(group, 16):x}" for group in address.exploded.split(":")]
    best_start, best_length, start = -1, 1, -1
    for index, group in enumerate([*groups, "end"]):
        if group == "0":
            start = index if start == -1 else start
            continue
        if start != -1 and index - start > best_length:
            best_start, best_length = start, index - start
        start = -1
    if best_start == -1:
        return ":".join(groups)
    head = ":".join(groups[:best_start])
    tail = ":".join(groups[best_start + best_length :])
    return f"{head}::{tail}"

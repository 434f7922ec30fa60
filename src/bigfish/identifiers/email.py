"""Email addresses: ``local@domain`` in lower case, ``+tag`` removed, Gmail dots removed."""

from __future__ import annotations

import re

from bigfish.identifiers.defang import defang
from bigfish.identifiers.domain import HostError, canonical_host, is_ip, registrable_domain
from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_LOCAL = re.compile(r"[a-z0-9!#$%&'*/=?^_`{|}~.\-\u0080-\U0010ffff]{1,64}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# "Display Name <address>" as mail clients show a sender, the name possibly quoted or itself
# an address ('"support@bank.com" <x@evil.com>': the address is the bracketed one).
_NAME_ADDR = re.compile(r"[^<>]*<([^<>]+)>")


def parse_email(text: str, country: str | None = None) -> Parsed:
    """Normalize an email address (spec/identifiers.md)."""
    del country
    text = defang(text)
    name_addr = _NAME_ADDR.fullmatch(text)
    if name_addr is not None:
        text = name_addr.group(1).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0]
    lowered = text.lower()
    if len(lowered) > 320:
        return invalid(Kind.EMAIL, lowered[:320], "too long for an email address")
    if lowered.count("@") != 1:
        return invalid(Kind.EMAIL, lowered, "an email address has exactly one '@'")
    local, _, host = lowered.partition("@")
    local = local.split("+", 1)[0]
    if not local or not _LOCAL.fullmatch(local) or _SURROGATE.search(local):
        return invalid(Kind.EMAIL, lowered, "the part before '@' is empty or malformed")
    try:
        host = canonical_host(host)
    except HostError as error:
        return invalid(Kind.EMAIL, lowered, f"the domain: {error}")
    if "." not in host or is_ip(host):
        return invalid(Kind.EMAIL, lowered, "the domain needs a dot")
    if host in _GMAIL:
        host = "gmail.com"
        local = local.replace(".", "")
        if not local:
            return invalid(Kind.EMAIL, lowered, "the part before '@' is empty")
    return valid(Kind.EMAIL, f"{local}@{host}", domain=registrable_domain(host))

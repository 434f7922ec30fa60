"""Hosts and registrable domains (the ``domain`` kind), from the bundled Public Suffix List."""

from __future__ import annotations

import copy
import ipaddress
import re
from functools import cache, lru_cache

import idna
from publicsuffixlist import PublicSuffixList

from bigfish.identifiers.defang import defang
from bigfish.identifiers.model import Parsed, invalid, valid
from bigfish.models import Kind


@cache
def _psl() -> PublicSuffixList:
    """The list shipped inside the publicsuffixlist package (never fetched at run time), parsed
    when first needed: parsing takes ~0.4 s, which a command's --help need not pay."""
    return PublicSuffixList()


@cache
def _psl_known() -> PublicSuffixList:
    """The same parsed list, but a last label it does not know is no public suffix. A copy:
    `accept_unknown` is the only difference, and the parsed list is only read after parsing."""
    known = copy.copy(_psl())
    known.accept_unknown = False
    return known


def load_suffix_list() -> None:
    """Parse the Public Suffix List now (both readings of it), not at the first host."""
    _psl_known()


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|[a-z0-9]")
_ASCII_HOST = re.compile(r"[a-z0-9.-]+")
_NUMERIC_TLD = re.compile(r"[0-9]+")
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


class HostError(ValueError):
    """A host that cannot be a DNS name or IP address (internal to the package)."""


@lru_cache(maxsize=65536)
def canonical_host(host: str) -> str:
    """Lower case, IDNA (punycode), trailing dot removed; IPv6 compressed. Raises HostError."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise HostError("empty host")
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError as error:
            raise HostError("bad IPv6 address") from error
    if len(host) > 253 * 4:
        raise HostError("host too long")
    if not host.isascii():
        host = _to_punycode(host)
    if not _ASCII_HOST.fullmatch(host) or len(host) > 253:
        raise HostError("host has characters a DNS name cannot have")
    labels = host.split(".")
    if any(not _LABEL.fullmatch(label) for label in labels):
        raise HostError("host has an empty or malformed label")
    if _NUMERIC_TLD.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError as error:
            raise HostError("numeric host that is not an IPv4 address") from error
    return host


def _to_punycode(host: str) -> str:
    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:  # IDNA 2003 still resolves names (emoji) that IDNA 2008 refuses
        return host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError) as error:
        raise HostError("host is not a valid internationalized domain name") from error


def is_ip(host: str) -> bool:
    """True when HOST (as canonical_host returns it) is an IP address."""
    return host.startswith("[") or _IPV4.fullmatch(host) is not None


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    """The registrable domain (public suffix + one label) of HOST, or None (IPs, suffixes)."""
    try:
        host = canonical_host(host)
    except HostError:
        return None
    if is_ip(host) or "." not in host:
        return None
    result = _psl().privatesuffix(host)
    return result if isinstance(result, str) else None


def is_public_suffix(host: str) -> bool:
    """True when HOST is itself a public suffix (`com`, `co.th`, `github.io`): the names under
    it belong to their own owners."""
    return bool(_psl().is_public(host))


def has_known_suffix(host: str) -> bool:
    """True when HOST ends in a public suffix the list knows (not just any last label)."""
    return _psl_known().publicsuffix(host) is not None


def parse_domain(text: str, country: str | None = None) -> Parsed:
    """Normalize a domain, or the domain of a URL or email address."""
    del country
    host = defang(text)
    if "://" in host:
        host = host.split("://", 1)[1]
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    if not host.startswith("[") and host.count(":") == 1:
        host = host.split(":", 1)[0]
    try:
        host = canonical_host(host)
    except HostError as error:
        return invalid(Kind.DOMAIN, text, str(error))
    if is_ip(host):
        return valid(Kind.IP, host.strip("[]"))
    domain = registrable_domain(host)
    if domain is None:
        return invalid(Kind.DOMAIN, text, "a public suffix or single label, not a domain")
    return valid(Kind.DOMAIN, domain, domain=domain)

"""Kind → normalizer, and the cached ``normalize`` every caller uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bigfish.errors import InputError
from bigfish.identifiers.bank import parse_bank_account
from bigfish.identifiers.crypto import load_keccak, parse_wallet
from bigfish.identifiers.domain import load_suffix_list, parse_domain
from bigfish.identifiers.email import parse_email
from bigfish.identifiers.handle import parse_handle
from bigfish.identifiers.ip import parse_ip
from bigfish.identifiers.model import Identifier, Parsed
from bigfish.identifiers.phone import load_metadata, parse_phone
from bigfish.identifiers.text import MAX_VALUE_LENGTH, clean
from bigfish.identifiers.url import parse_url
from bigfish.models import Kind
from bigfish.vocab import countries

Normalizer = Callable[[str, "str | None"], Parsed]

NORMALIZERS: dict[Kind, Normalizer] = {
    Kind.PHONE: parse_phone,
    Kind.URL: parse_url,
    Kind.DOMAIN: parse_domain,
    Kind.EMAIL: parse_email,
    Kind.BANK_ACCOUNT: parse_bank_account,
    Kind.CRYPTO_WALLET: parse_wallet,
    Kind.HANDLE: parse_handle,
    Kind.IP: parse_ip,
}
_COUNTRY = re.compile(r"[A-Z]{2}")
_COUNTRY_ALIASES = {"UK": "GB"}


def as_kind(kind: Kind | str) -> Kind:
    """The Kind named by KIND; raises InputError(field="kind") for an unknown one."""
    if isinstance(kind, Kind):
        return kind
    try:
        return Kind(str(kind).strip().lower())
    except ValueError:
        known = ", ".join(member.value for member in Kind)
        raise InputError(f"unknown kind {kind!r} (one of {known})", field="kind") from None


def as_country(country: str | None) -> str | None:
    """An ISO 3166 alpha-2 code in upper case, or None; raises InputError(field="country")."""
    if country is None or not country.strip():
        return None
    code = country.strip().upper()
    code = _COUNTRY_ALIASES.get(code, code)
    if not _COUNTRY.fullmatch(code) or code not in countries():
        raise InputError(f"country {country!r} is not an ISO 3166 alpha-2 code", field="country")
    return code


def load_tables() -> None:
    """Load now what normalizers load at their first value: the Public Suffix List (URLs,
    e-mails, domains), the Keccak hash (EVM wallets) and every region's phone metadata.

    For a process about to fork workers (`bigfish.intake.service`): they share what it loaded,
    where each worker of each file parsed them again, the suffix list alone taking 0.25 s of
    CPU. Normalizing gives the same either way; only when the tables are read changes."""
    load_suffix_list()
    load_keccak()
    load_metadata()


def normalize(kind: Kind | str, value: str, country: str | None = None) -> Identifier:
    """Normalize VALUE of KIND to its canonical form (spec/identifiers.md), cached.

    COUNTRY (ISO alpha-2, the report's country) is the default region of national phone
    numbers. Never raises for any ``str`` value; an invalid value comes back with ``valid``
    false and the reason in ``error``. Raises InputError for an unknown kind or a malformed
    country code.
    """
    return normalize_checked(as_kind(kind), value, as_country(country))


def normalize_checked(kind: Kind, value: str, country: str | None) -> Identifier:
    """``normalize`` for a KIND and a COUNTRY that ``as_kind`` and ``as_country`` have given:
    extraction offers thousands of candidates from one text, and checking the country of each
    again took half of its time on a run of digits."""
    if len(value) > _CACHED_LENGTH:  # keep huge values out of the cache
        return _normalize_uncached(kind, value, country)
    return _normalize(kind, value, country)


_CACHED_LENGTH = 2048


def _normalize_uncached(kind: Kind, value: str, country: str | None) -> Identifier:
    if len(value) > MAX_VALUE_LENGTH * 4:
        cleaned = clean(value[: MAX_VALUE_LENGTH * 4])
        return Identifier(kind, value, kind, cleaned, False, "value too long")
    cleaned = clean(value, keep_colon=kind == Kind.IP)
    if not cleaned:
        return Identifier(kind, value, kind, cleaned, False, "empty value")
    if len(cleaned) > MAX_VALUE_LENGTH:
        return Identifier(kind, value, kind, cleaned[:MAX_VALUE_LENGTH], False, "value too long")
    try:
        parsed = NORMALIZERS[kind](cleaned, country)
    except Exception as exc:  # a library's surprise must not lose the report
        # The contract is "never raises": a value a parser trips on (fe80::1%eth0 once did) is
        # kept as reported and marked invalid, and the rest of its file or batch is stored.
        error = f"not a {kind.value} this node can read ({type(exc).__name__})"
        return Identifier(kind, value, kind, cleaned, False, error)
    return Identifier(
        kind=kind,
        value=value,
        canonical_kind=parsed.canonical_kind,
        canonical=parsed.canonical,
        valid=parsed.error is None,
        error=parsed.error,
        domain=parsed.domain,
        chain=parsed.chain,
        country=parsed.country,
    )


_normalize = lru_cache(maxsize=262144)(_normalize_uncached)

"""The value objects of normalization and extraction. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from bigfish.models import Kind


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier after normalization (spec/identifiers.md)."""

    kind: Kind  # the kind as submitted
    value: str  # the value as written
    canonical_kind: Kind  # may differ: a t.me URL is a handle, a wa.me URL a phone
    canonical: str  # canonical text; for an invalid value, the cleaned text
    valid: bool
    error: str | None = None  # why invalid, else None
    domain: str | None = None  # registrable domain of a URL or email (or the domain itself)
    chain: str | None = None  # "evm", "tron", "bitcoin" for wallets
    country: str | None = None  # ISO 3166 alpha-2 of a phone or IBAN


@dataclass(frozen=True, slots=True)
class Found:
    """An identifier found in free text; ``value == text[start:end]``."""

    identifier: Identifier  # always valid
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a kind's normalizer returns before the submitted kind and value are attached."""

    canonical_kind: Kind
    canonical: str
    error: str | None = None
    domain: str | None = None
    chain: str | None = None
    country: str | None = None


def valid(
    kind: Kind,
    canonical: str,
    *,
    domain: str | None = None,
    chain: str | None = None,
    country: str | None = None,
) -> Parsed:
    """A successful normalization."""
    return Parsed(kind, canonical, None, domain, chain, country)


def invalid(kind: Kind, cleaned: str, error: str) -> Parsed:
    """A failed normalization: the cleaned text and the reason."""
    return Parsed(kind, cleaned, error)

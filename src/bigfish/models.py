"""Vocabularies and value objects shared by the core and the seams. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum


def iso_z(value: datetime) -> str:
    """VALUE in ISO 8601 UTC with a ``Z`` (a naive value is taken as UTC), as every JSON output
    writes times (``2025-03-01T08:00:00Z``)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


class Kind(StrEnum):
    """Kinds of identifier (spec/identifiers.md)."""

    PHONE = "phone"
    URL = "url"
    DOMAIN = "domain"
    EMAIL = "email"
    BANK_ACCOUNT = "bank_account"
    CRYPTO_WALLET = "crypto_wallet"
    HANDLE = "handle"
    IP = "ip"


class TLP(StrEnum):
    """FIRST Traffic Light Protocol 2.0, from least to most restrictive."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


class Distribution(StrEnum):
    """Who a record is distributed to, from narrowest to widest."""

    ORGANIZATION = "organization"
    GROUP = "group"
    PARTNERSHIP = "partnership"


class ScamType(StrEnum):
    """Typologies of spec/reports.md."""

    INVESTMENT = "investment"
    ROMANCE = "romance"
    JOB_TASK = "job_task"
    IMPERSONATION_AUTHORITY = "impersonation_authority"
    IMPERSONATION_BANK = "impersonation_bank"
    SHOPPING = "shopping"
    LOAN = "loan"
    PHISHING = "phishing"
    SEXTORTION = "sextortion"
    TECH_SUPPORT = "tech_support"
    LOTTERY_PRIZE = "lottery_prize"
    OTHER = "other"


class Channel(StrEnum):
    """First contact channel of spec/reports.md."""

    SMS = "sms"
    VOICE_CALL = "voice_call"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    LINE = "line"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    DATING_APP = "dating_app"
    EMAIL = "email"
    WEBSITE = "website"
    MARKETPLACE = "marketplace"
    OTHER = "other"


class Role(StrEnum):
    """What an identifier was used for in a scam."""

    CONTACT = "contact"
    PAYMENT = "payment"
    WEBSITE = "website"
    OTHER = "other"


class Source(StrEnum):
    """Where in a report an identifier was found."""

    FIELD = "field"  # an identifier column or the JSON identifiers list
    NARRATIVE = "narrative"  # extracted from the free text
    DERIVED = "derived"  # derived from another identifier (the domain of a URL or email)


class ApiRole(StrEnum):
    """Roles of API keys and users."""

    ANALYST = "analyst"
    ADMIN = "admin"
    SYNC = "sync"
    READONLY = "readonly"


@dataclass(frozen=True, slots=True)
class RawIdentifier:
    """An identifier as a partner submitted it, before normalization."""

    kind: Kind
    value: str
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class Marking:
    """The sharing marking every report carries (spec/api.md)."""

    tlp: TLP = TLP.AMBER
    distribution: Distribution = Distribution.ORGANIZATION
    group: str | None = None


def narrowest(first: Marking, *others: Marking) -> Marking:
    """What holds under every one of the markings: the most restrictive TLP, and the narrowest
    audience (two different groups have no audience but the organization itself)."""
    markings = (first, *others)
    tlps = list(TLP)
    tlp = max((m.tlp for m in markings), key=tlps.index)
    if any(m.distribution is Distribution.ORGANIZATION for m in markings):
        return Marking(tlp, Distribution.ORGANIZATION)
    groups = {m.group for m in markings if m.distribution is Distribution.GROUP}
    if not groups:
        return Marking(tlp, Distribution.PARTNERSHIP)
    if len(groups) == 1:
        return Marking(tlp, Distribution.GROUP, groups.pop())
    return Marking(tlp, Distribution.ORGANIZATION)


@dataclass(frozen=True, slots=True)
class Report:
    """One victim's account of one scam, as read from a file or the API (spec/reports.md)."""

    report_id: str
    reported_at: datetime
    country: str
    scam_type: ScamType | None = None
    channel: Channel | None = None
    loss_amount: Decimal | None = None
    loss_currency: str | None = None
    narrative: str | None = None
    identifiers: tuple[RawIdentifier, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    marking: Marking = field(default_factory=Marking)
    source_id: str | None = None  # the id of the STIX or MISP object it came from

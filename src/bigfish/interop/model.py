"""What interop exports and imports, as frozen values: a report as a reader may see it, with its
identifiers, and a network. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bigfish.models import Marking


@dataclass(frozen=True, slots=True)
class MentionView:
    """One identifier of one report: canonical kind and text, and how the report holds it."""

    kind: str
    canonical: str
    valid: bool
    source: str  # field | narrative | derived
    role: str | None
    raw: str


@dataclass(frozen=True, slots=True)
class ReportView:
    """One stored report with its organization, marking and identifiers."""

    pk: int
    org: str
    org_country: str | None
    report_id: str
    reported_at: datetime
    country: str
    scam_type: str | None
    channel: str | None
    loss_amount: str | None
    loss_currency: str | None
    narrative: str | None
    marking: Marking
    created_at: datetime
    updated_at: datetime  # when this node stored it: TAXII's date_added
    modified: datetime  # the version: updated_at, or the source's version for imported reports
    source_id: str | None
    mentions: tuple[MentionView, ...]
    attributes: tuple[tuple[str, str], ...] = ()  # extra fields a partner sent, kept verbatim


@dataclass(frozen=True, slots=True)
class NetworkView:
    """A network of reports joined by shared identifiers, as a reader may see it."""

    id: str
    reports: tuple[tuple[str, str], ...]  # (org, report_id)
    identifiers: tuple[tuple[str, str], ...]  # (kind, canonical)
    countries: tuple[str, ...]
    score: float | None
    total_loss_usd: float | None
    first_seen: datetime | None
    last_seen: datetime | None

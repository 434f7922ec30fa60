"""The identifier lookup: what a person means by the text they type, and the reports VIEWER
may see that mention an identifier.

Split from `bigfish.web.data`, which re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.identifiers import Identifier, extract, normalize
from bigfish.lookup import as_typed
from bigfish.models import Kind
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports


def interpret(text: str, kind: str | None, country: str | None) -> list[Identifier]:
    """The identifiers a person means by TEXT: of KIND when given, else those found in the text
    (a bare domain as the domain, `bigfish.lookup.as_typed`), else every kind it is a valid
    value of (a local phone number needs COUNTRY)."""
    value = text.strip()[:2000]
    if not value:
        return []
    if kind:
        return [normalize(kind, value, country)]
    found: dict[tuple[str, str], Identifier] = {}
    for hit in extract(value, country):
        ident = as_typed(hit.identifier)
        found.setdefault((ident.canonical_kind.value, ident.canonical), ident)
    if not found:
        for candidate in Kind:
            ident = normalize(candidate, value, country)
            if ident.valid:
                found.setdefault((ident.canonical_kind.value, ident.canonical), ident)
    return list(found.values())[:20]


@dataclass(frozen=True, slots=True)
class Mentioning:
    """A visible report that mentions an identifier."""

    org: str
    report_id: str
    country: str
    reported_at: datetime
    scam_type: str | None
    loss_usd: float | None
    loss_amount: str | None = None  # as stated, for a loss without a rate (loss_usd None)
    loss_currency: str | None = None


def reports_mentioning(
    store: Store, viewer: Viewer, kind: str, canonical: str, *, limit: int = 50
) -> list[Mentioning]:
    """The newest reports VIEWER may see that mention identifier (KIND, CANONICAL)."""
    query = (
        sa.select(
            organizations.c.name,
            reports.c.report_id,
            reports.c.country,
            reports.c.reported_at,
            reports.c.scam_type,
            reports.c.loss_usd,
            reports.c.loss_amount,
            reports.c.loss_currency,
        )
        .distinct()
        .select_from(identifiers)
        .join(mentions, mentions.c.identifier_id == identifiers.c.id)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(
            identifiers.c.kind == kind,
            identifiers.c.canonical == canonical,
            visible_reports(viewer),
        )
        .order_by(reports.c.reported_at.desc())
        .limit(limit)
    )
    with store.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Mentioning(
            r.name,
            r.report_id,
            r.country,
            r.reported_at if r.reported_at.tzinfo else r.reported_at.replace(tzinfo=UTC),
            r.scam_type,
            r.loss_usd,
            r.loss_amount,
            r.loss_currency,
        )
        for r in rows
    ]

"""The public check: "has this number or link been reported as a scam?", for anyone.

It reveals only what partners marked for the public (`bigfish.sharing.policy.public`:
TLP:CLEAR shared with the partnership) and only what a member of the public needs: whether the
value was reported, in how many such reports, the scam types, the victims' countries and the
first and last report day. Never which organization reported it, a network, a narrative or
another identifier. A value reports mention without it being evidence of a scam — a bank's
hotline, a platform's domain (a warning list, or a value the linking judged shared
infrastructure, or one an operator pinned as not linking) — is answered as such, with no count:
victims mention their own bank's number, and the public must not read that as a scam number.

A text (a whole SMS, say) is checked value by value: every identifier found in it
(`bigfish.identifiers.extract`; a site's bare domain as the domain, `bigfish.lookup.as_typed`),
up to `MAX_VALUES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.identifiers import Identifier, normalize
from bigfish.identifiers.extract import identifiers_in
from bigfish.linking.warninglists import WarningLists
from bigfish.lookup import as_typed
from bigfish.sharing.policy import public
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports
from bigfish.store.schema_linking import link_pins, stopped_values

MAX_TEXT = 2000  # characters of a text to check (an SMS, a chat message, a link)
MAX_VALUES = 20  # identifiers checked in one text


@dataclass(frozen=True, slots=True)
class PublicAnswer:
    """What the public may know about one value."""

    kind: str
    canonical: str
    valid: bool
    reported: bool
    report_count: int
    scam_types: tuple[str, ...]
    countries: tuple[str, ...]
    first_reported: date | None
    last_reported: date | None
    shared: bool  # mentioned in reports as infrastructure (a hotline, a platform): no count

    def to_json(self) -> dict[str, object]:
        """The answer of `GET /api/v1/check` for this value."""
        return {
            "kind": self.kind,
            "canonical": self.canonical,
            "valid": self.valid,
            "reported": self.reported,
            "report_count": self.report_count,
            "scam_types": list(self.scam_types),
            "countries": list(self.countries),
            "first_reported": self.first_reported.isoformat() if self.first_reported else None,
            "last_reported": self.last_reported.isoformat() if self.last_reported else None,
            "shared_infrastructure": self.shared,
        }


def values_to_check(text: str, kind: str | None, country: str | None) -> list[Identifier]:
    """The identifiers to check in TEXT: TEXT itself as KIND when given, else every identifier
    found in it. InputError naming the field when there is nothing to check."""
    if not text.strip() or len(text) > MAX_TEXT:
        raise InputError(f"value must be 1-{MAX_TEXT} characters", field="value")
    if kind is not None:
        return [normalize(kind, text, country)]
    found: list[Identifier] = []
    for found_ident in identifiers_in(text, country):
        ident = as_typed(found_ident)  # a site's bare domain: the domain, not its front page
        if all(f.canonical != ident.canonical for f in found):
            found.append(ident)
    if not found:
        raise InputError(
            "no phone number, link, email address, bank account, wallet or handle found",
            field="value",
        )
    return found[:MAX_VALUES]


def check(store: Store, values: Sequence[Identifier], lists: WarningLists) -> list[PublicAnswer]:
    """The public answer for each of VALUES, in order."""
    with store.connect() as conn:
        return [_answer(conn, ident, lists) for ident in values]


def _answer(conn: Connection, ident: Identifier, lists: WarningLists) -> PublicAnswer:
    kind, canonical = ident.canonical_kind.value, ident.canonical
    nothing = PublicAnswer(kind, canonical, ident.valid, False, 0, (), (), None, None, False)
    if not ident.valid:
        return nothing
    shared = PublicAnswer(kind, canonical, True, False, 0, (), (), None, None, True)
    listed = _listed(conn, kind, canonical, lists)
    if listed:
        return shared
    rows = conn.execute(
        sa.select(reports.c.id, reports.c.scam_type, reports.c.country, reports.c.reported_at)
        .distinct()
        .join(mentions, mentions.c.report_pk == reports.c.id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(identifiers.c.kind == kind, identifiers.c.canonical == canonical, public())
    ).all()
    if not rows:
        return nothing
    if listed is None and _stopped(conn, kind, canonical):  # only of a value the public knows
        return shared
    days = [_day(r.reported_at) for r in rows]
    return PublicAnswer(
        kind,
        canonical,
        True,
        True,
        len(rows),
        tuple(sorted({str(r.scam_type) for r in rows if r.scam_type})),
        tuple(sorted({str(r.country) for r in rows if r.country})),
        min(days),
        max(days),
        False,
    )


def _listed(conn: Connection, kind: str, canonical: str, lists: WarningLists) -> bool | None:
    """Whether the operator or the warning lists say (KIND, CANONICAL) is infrastructure reports
    mention (True) or is not (False: pinned as linking), or None when they say nothing. Neither
    comes from partners' reports, so either may be told to anyone."""
    pinned = conn.execute(
        sa.select(link_pins.c.link).where(
            link_pins.c.kind == kind, link_pins.c.canonical == canonical
        )
    ).first()
    if pinned is not None:  # the operator's word comes first, as in the linking
        return not pinned.link
    return True if lists.match(kind, canonical) is not None else None


def _stopped(conn: Connection, kind: str, canonical: str) -> bool:
    """Whether the linking stopped (KIND, CANONICAL) as shared infrastructure (the hub test).
    The verdict comes from every report, the unpublished too: asked only about a value that
    published reports mention."""
    stopped = conn.execute(
        sa.select(stopped_values.c.reason)
        .join(identifiers, identifiers.c.id == stopped_values.c.identifier_id)
        .where(identifiers.c.kind == kind, identifiers.c.canonical == canonical)
    ).first()
    return stopped is not None


def _day(value: datetime) -> date:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


__all__ = [
    "MAX_TEXT",
    "MAX_VALUES",
    "PublicAnswer",
    "check",
    "values_to_check",
]

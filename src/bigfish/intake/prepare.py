"""Normalize the identifiers of a report: its fields, its narrative, and the domains they imply."""

from __future__ import annotations

from dataclasses import dataclass

from bigfish.identifiers import Identifier, extract
from bigfish.identifiers.registry import as_country, as_kind, normalize_checked
from bigfish.models import Kind, Report, Role, Source

#: Each kind's value: a dict's lookup, not the enum's `value` property (a call in Python).
_KIND_VALUES = {kind: kind.value for kind in Kind}
_DOMAIN = Kind.DOMAIN.value
_LINKED = frozenset({Kind.URL, Kind.EMAIL})  # the kinds whose valid values imply a domain


@dataclass(frozen=True, slots=True)
class PreparedMention:
    """One identifier of one report, normalized, with where it was found."""

    kind: str  # the canonical kind
    canonical: str
    valid: bool
    error: str | None
    domain: str | None
    chain: str | None
    country: str | None
    source: Source
    role: Role | None
    raw: str


def _mention(ident: Identifier, source: Source, role: Role | None) -> PreparedMention:
    return PreparedMention(
        kind=_KIND_VALUES[ident.canonical_kind],
        canonical=ident.canonical,
        valid=ident.valid,
        error=ident.error,
        domain=ident.domain,
        chain=ident.chain,
        country=ident.country,
        source=source,
        role=role,
        raw=ident.value,
    )


def _derived_domain(ident: Identifier) -> PreparedMention | None:
    if not ident.valid or ident.domain is None:
        return None
    if ident.canonical_kind not in _LINKED:
        return None
    return PreparedMention(
        kind=_DOMAIN,
        canonical=ident.domain,
        valid=True,
        error=None,
        domain=ident.domain,
        chain=None,
        country=None,
        source=Source.DERIVED,
        role=None,
        raw=ident.value,
    )


def prepare_mentions(report: Report) -> list[PreparedMention]:
    """Every identifier of REPORT, normalized and deduplicated by (kind, canonical, source)."""
    found: dict[tuple[str, str, Source], PreparedMention] = {}

    def add(mention: PreparedMention | None) -> None:
        if mention is not None:
            found.setdefault((mention.kind, mention.canonical, mention.source), mention)

    if report.identifiers:
        # `normalize` of each value, its report's country checked once, not for every value
        country = as_country(report.country)
        for raw in report.identifiers:
            ident = normalize_checked(as_kind(raw.kind), raw.value, country)
            add(_mention(ident, Source.FIELD, raw.role))
            add(_derived_domain(ident))
    if report.narrative:
        for hit in extract(report.narrative, report.country):
            add(_mention(hit.identifier, Source.NARRATIVE, None))
            add(_derived_domain(hit.identifier))
    return list(found.values())

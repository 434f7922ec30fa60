"""Lookups for banks and telcos: "has anyone reported this account?", single and in batches.

Everything counted here goes through `bigfish.sharing.policy.visible_reports`: a report the caller
may not see adds nothing. For a value only others hold, the answer is built from the same empty
aggregates as for a value nobody reported, by the same queries, so the two are byte-for-byte
equal and in the same timing class (spec/security-tests.md class 2).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import InputError
from bigfish.identifiers import Identifier, normalize
from bigfish.models import Kind
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports

MAX_BATCH = 10_000
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LookupQuery:
    """One value to look up, as a partner typed it."""

    kind: Kind | str
    value: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class LinkStop:
    """Why a value does not link the reports that mention it: REASON `pin` (an operator's),
    `warning_list`, `hub_groups` or `hub_degree` (the hub test), and DETAIL (the list's name,
    the pin's note, or what the hub test found)."""

    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the caller may know about one identifier. LINKS: whether the value joins the
    reports that mention it into networks (None when the caller sees none of them); when it
    does not (shared infrastructure: on a warning list, a hub, or pinned), STOPPED says why, and
    NETWORKS are only those its reports are in, not networks it joins."""

    canonical_kind: str
    canonical: str
    valid: bool
    report_count: int
    organizations: tuple[str, ...]
    countries: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None
    networks: tuple[int, ...]
    links: bool | None = None
    stopped: LinkStop | None = None


@dataclass(slots=True)
class _Tally:
    """The visible reports of one value so far. FIRST and LAST as the driver returns them (naive
    on SQLite, aware on PostgreSQL, never both): compared as they are, made UTC by `_answer`."""

    count: int = 0
    orgs: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    networks: set[int] = field(default_factory=set)
    stop: tuple[str, str] | None = None  # (reason, detail) of the value's `stopped_values` row


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _linking_table(name: str) -> sa.Table | None:
    try:
        module = importlib.import_module("bigfish.store.schema_linking")
    except ImportError:
        return None
    table = getattr(module, name, None)
    return table if isinstance(table, sa.Table) else None


def _network_members() -> sa.Table | None:
    return _linking_table("network_members")


@lru_cache(maxsize=1024)
def _tally_query(
    org_id: int | None, group_ids: frozenset[int], operator: bool, single: bool
) -> sa.Select[Any]:
    """The one aggregate query of a lookup for one viewer, built once and reused: counts,
    organizations, countries, first and last seen and networks of the reports the viewer may
    see, for the canonical values bound to `canonicals` of kind `kind`. SINGLE: for exactly one
    value, bound to `canonical` (an expanding IN list is rendered again on every execution; the
    single lookup, the API's most frequent call, skips that)."""
    viewer = Viewer(org_id, group_ids=group_ids, operator=operator)
    members = _network_members()
    stopped = _linking_table("stopped_values")
    network = members.c.network_id if members is not None else sa.null()
    reason = stopped.c.reason if stopped is not None else sa.null()
    detail = stopped.c.detail if stopped is not None else sa.null()
    query = (
        sa.select(
            identifiers.c.canonical,
            organizations.c.name,
            reports.c.country,
            network.label("network_id"),
            sa.func.count(sa.distinct(reports.c.id)),
            sa.func.min(reports.c.reported_at),
            sa.func.max(reports.c.reported_at),
            reason.label("stop_reason"),
            detail.label("stop_detail"),
        )
        .select_from(identifiers)
        .join(mentions, mentions.c.identifier_id == identifiers.c.id)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
    )
    if members is not None:
        # A report is in at most one network, so grouping by it never counts a report twice.
        query = query.outerjoin(members, members.c.report_pk == reports.c.id)
    if stopped is not None:
        # One row per identifier at most (its key): grouping by it splits nothing. Only read
        # with a report the viewer sees, so a value only others hold answers as one nobody has.
        query = query.outerjoin(stopped, stopped.c.identifier_id == identifiers.c.id)
    return query.where(
        identifiers.c.kind == sa.bindparam("kind"),
        identifiers.c.canonical == sa.bindparam("canonical")
        if single
        else identifiers.c.canonical.in_(sa.bindparam("canonicals", expanding=True)),
        identifiers.c.valid.is_(True),
        visible_reports(viewer),
    ).group_by(
        identifiers.c.canonical, organizations.c.name, reports.c.country, network, reason, detail
    )


def _tallies(
    conn: Connection, viewer: Viewer, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], _Tally]:
    many = _tally_query(viewer.org_id, viewer.group_ids, viewer.operator, False)
    one = _tally_query(viewer.org_id, viewer.group_ids, viewer.operator, True)
    by_kind: dict[str, list[str]] = {}
    # In order: a chunk of neighbouring values reads neighbouring index pages (SQLite at
    # 1,000,000 reports: 0.21 s instead of 0.23 s for the 20 chunks of 10,000 values).
    for kind, canonical in sorted(keys):
        by_kind.setdefault(kind, []).append(canonical)
    if not by_kind:
        by_kind[Kind.PHONE.value] = [""]  # the same query runs when nothing was asked for
    tallies: dict[tuple[str, str], _Tally] = {}
    for kind, values in sorted(by_kind.items()):
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            if len(chunk) == 1:
                rows = conn.execute(one, {"kind": kind, "canonical": chunk[0]})
            else:
                rows = conn.execute(many, {"kind": kind, "canonicals": chunk})
            _add_rows(tallies, kind, rows)
    _keep_networks_the_viewer_sees(conn, viewer, tallies)
    return tallies


def _add_rows(tallies: dict[tuple[str, str], _Tally], kind: str, rows: Iterable[Any]) -> None:
    """Fold aggregate rows of KIND (one per value, organization, country and network) into
    TALLIES. A batch of 10,000 values brings about as many rows: nothing is built or converted
    per row that one tally does not need."""
    for canonical, org, country, network_id, count, first, last, reason, detail in rows:
        tally = tallies.get((kind, canonical))
        if tally is None:
            tally = tallies[(kind, canonical)] = _Tally()
            if reason is not None:
                tally.stop = (str(reason), str(detail))
        tally.count += int(count)
        tally.orgs.add(org)
        tally.countries.add(country)
        if network_id is not None:
            tally.networks.add(int(network_id))
        if first is not None and (tally.first is None or first < tally.first):
            tally.first = first
        if last is not None and (tally.last is None or last > tally.last):
            tally.last = last


@lru_cache(maxsize=1024)
def _seen_query(org_id: int | None, group_ids: frozenset[int], operator: bool) -> sa.Select[Any]:
    """Per network of the ids bound to `ids`: (id, members, members the viewer sees); built
    once per viewer (building it cost more than running it)."""
    members = _network_members()
    assert members is not None
    viewer = Viewer(org_id, group_ids=group_ids, operator=operator)
    return (
        sa.select(
            members.c.network_id,
            sa.func.count(),
            sa.func.sum(sa.case((visible_reports(viewer), 1), else_=0)),
        )
        .join(reports, reports.c.id == members.c.report_pk)
        .where(members.c.network_id.in_(sa.bindparam("ids", expanding=True)))
        .group_by(members.c.network_id)
    )


def _keep_networks_the_viewer_sees(
    conn: Connection, viewer: Viewer, tallies: dict[tuple[str, str], _Tally]
) -> None:
    """Name networks as VIEWER is shown them: not one of which it may see fewer than two reports
    (such a network does not exist for it: `get_network` answers 404, so naming it would reveal
    the others), and a network it sees in parts (`bigfish.linking.parts`) by the parts that hold
    the value's reports."""
    members = _network_members()
    wanted = sorted({n for t in tallies.values() for n in t.networks})
    if members is None or not wanted:
        return
    whole: set[int] = set()  # VIEWER sees every member: shown as it is
    partial: list[int] = []  # two members or more, not all: maybe in parts
    query = _seen_query(viewer.org_id, viewer.group_ids, viewer.operator)
    for start in range(0, len(wanted), _CHUNK):
        for nid, total, seen in conn.execute(query, {"ids": wanted[start : start + _CHUNK]}):
            if seen == total and seen >= 2:
                whole.add(int(nid))
            elif seen >= 2:
                partial.append(int(nid))
    cut: dict[int, list[tuple[int, ...]]] = {}
    if partial:
        from bigfish.linking.parts import load_member_graph

        cut = load_member_graph(conn, partial).cut_for(viewer)
        whole.update(nid for nid in partial if nid not in cut)
    for tally in tallies.values():
        if tally.networks:
            tally.networks &= whole
    if cut:
        from bigfish.linking.parts import shown_parts

        _name_parts(conn, tallies, shown_parts(conn, cut))


def _name_parts(
    conn: Connection,
    tallies: dict[tuple[str, str], _Tally],
    shown: dict[int, list[tuple[int, tuple[int, ...]]]],
) -> None:
    """Add to TALLIES the ids of the parts (SHOWN) that hold a report mentioning the value."""
    part_of = {pk: part_id for parts in shown.values() for part_id, group in parts for pk in group}
    pks = sorted(part_of)
    for start in range(0, len(pks), _CHUNK):
        query = (
            sa.select(mentions.c.report_pk, identifiers.c.kind, identifiers.c.canonical)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .where(mentions.c.report_pk.in_(pks[start : start + _CHUNK]))
        )
        for pk, kind, canonical in conn.execute(query):
            tally = tallies.get((kind, canonical))
            if tally is not None:
                tally.networks.add(part_of[pk])


def _stop_told(stop: tuple[str, str] | None, operator: bool) -> LinkStop | None:
    """STOP as a viewer is told it: the operator the hub test's statistic, others what it
    means."""
    if stop is None:
        return None
    reason, detail = stop
    if operator:
        return LinkStop(reason, detail)
    # What a network's page tells a viewer of a hub: the statistic behind it counts every
    # report of the node, some of which the viewer may not see (spec/security-tests.md class 3).
    from bigfish.linking.detail import _HUB_TOLD  # numpy comes with it: only for a stop

    return LinkStop(reason, _HUB_TOLD.get(reason, detail))


def _answer(
    kind: str, canonical: str, valid: bool, tally: _Tally | None, operator: bool
) -> LookupResult:
    if tally is None or tally.count == 0:
        return LookupResult(kind, canonical, valid, 0, (), (), None, None, ())
    return LookupResult(
        canonical_kind=kind,
        canonical=canonical,
        valid=valid,
        report_count=tally.count,
        organizations=tuple(sorted(tally.orgs)),
        countries=tuple(sorted(tally.countries)),
        first_seen=_utc(tally.first),
        last_seen=_utc(tally.last),
        networks=tuple(sorted(tally.networks)),
        links=tally.stop is None,
        stopped=_stop_told(tally.stop, operator),
    )


def lookup_many(store: Store, viewer: Viewer, queries: Sequence[LookupQuery]) -> list[LookupResult]:
    """The answer for every query, in the same order (at most 10,000)."""
    if len(queries) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} identifiers per call", field="identifiers")
    normalized = []
    for index, query in enumerate(queries):
        try:
            ident = normalize(query.kind, query.value, query.country)
        except InputError as exc:
            where = f"identifiers[{index}].{exc.field}" if len(queries) > 1 else exc.field
            raise InputError(exc.message, field=where) from None
        normalized.append((ident.canonical_kind.value, ident.canonical, ident.valid))
    keys = {(kind, canonical) for kind, canonical, valid in normalized if valid}
    with store.connect() as conn:
        tallies = _tallies(conn, viewer, keys)
    answers = []
    for kind, canonical, valid in normalized:
        tally = tallies.get((kind, canonical)) if valid else None
        answers.append(_answer(kind, canonical, valid, tally, viewer.operator))
    return answers


def lookup(
    store: Store, viewer: Viewer, kind: Kind | str, value: str, country: str | None = None
) -> LookupResult:
    """What VIEWER may know about one identifier (spec/api.md `GET /api/v1/lookup`)."""
    return lookup_many(store, viewer, [LookupQuery(kind, value, country)])[0]


def as_typed(found: Identifier) -> Identifier:
    """FOUND (an identifier found in text a person typed alone) as they mean it: a URL that is
    nothing but a registrable domain (`example.com`, `https://www.example.com/`) means the
    domain, which every report naming one of the site's pages holds (spec/identifiers.md
    derives it from every URL), not the site's front page; any other FOUND as it is."""
    if found.canonical_kind is Kind.URL and found.domain and found.canonical == f"{found.domain}/":
        return normalize(Kind.DOMAIN, found.domain)
    return found

"""What a TAXII reader may pull: its collections, and their objects page by page.

Collections of a viewer: the partnership (what is distributed to every organization), each
sharing group it belongs to, and its own organization's reports. Every condition starts from
`bigfish.sharing.policy.visible_reports`; on top of it nothing `red` or `amber+strict` travels
beyond its named audience (the members of its group). Objects are generated from reports in the
order of their ids (date_added = the report's updated_at, which `added_after` filters on), so a
page is a keyset query and the `next` token is stateless: it never expires and resumes exactly
where a pull stopped. A pull keeps the newest date_added it saw for its next `added_after`.

After its reports, a collection carries the revoked version of every report it held for the
reader that has since been deleted or re-marked beyond the reader's reach (`report_withdrawals`,
date_added = the withdrawal): a node that pulled the report deletes its copy. A reader is sent
only what it could see before (registered before the withdrawal; for a group's report, a member
when it was withdrawn) and cannot see now; a report moved to another collection the reader also
reads is an ordinary update there. An organization that leaves a sharing group is sent the
revoked versions of the group's reports in its partnership collection (it no longer reads the
group's), unless it can see them again when it reads.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.cooperation.federation import (
    has_requests,
    party_condition,
    request_page,
    settled_request_stamp,
)
from bigfish.errors import InputError, NotFound
from bigfish.evidence.custody import NodeKey
from bigfish.interop.markings import BIGFISH_NAMESPACE
from bigfish.interop.model import ReportView
from bigfish.interop.stix import (
    identifier_sco,
    least_shared,
    marked,
    report_objects,
    report_stix_id,
    revoked_report,
)
from bigfish.interop.views import report_page, utc
from bigfish.models import TLP, Distribution, Kind, Marking
from bigfish.sharing.policy import ItemMarking, Viewer, can_see, visible_reports
from bigfish.store.schema import identifiers, mentions, organizations, reports, sharing_groups
from bigfish.store.schema_evidence import cooperation_requests
from bigfish.store.schema_interop import report_withdrawals
from bigfish.store.stamps import settled_newest

MAX_PAGE = 10_000
#: Positions from here on are a collection's withdrawals (`report_withdrawals.id` above it).
WITHDRAWN = 2**61
_RESTRICTED = (TLP.RED.value, TLP.AMBER_STRICT.value)
#: The earliest time; a pull's bound when nothing was stamped yet (it serves nothing).
_ORIGIN = datetime.min.replace(tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_CHUNK = 500
#: The identifier kinds whose observables are of each STIX type (`identifier_sco`).
_KINDS_OF_TYPE: dict[str, tuple[str, ...]] = {
    "phone-number": (Kind.PHONE.value,),
    "cryptocurrency-wallet": (Kind.CRYPTO_WALLET.value,),
    "bank-account": (Kind.BANK_ACCOUNT.value,),
    "user-account": (Kind.HANDLE.value,),
    "url": (Kind.URL.value,),
    "domain-name": (Kind.DOMAIN.value,),
    "email-addr": (Kind.EMAIL.value,),
    "ipv4-addr": (Kind.IP.value,),
    "ipv6-addr": (Kind.IP.value,),
}


@dataclass(frozen=True, slots=True)
class Collection:
    """A TAXII collection and the reports it holds for one viewer."""

    id: str
    title: str
    description: str
    condition: ColumnElement[bool]
    can_write: bool
    kind: str = "reports"  # or "requests": cooperation requests (bigfish.cooperation.federation)
    viewer: Viewer | None = None  # who reads it (its withdrawals are chosen for this reader)
    scope: str = ""  # which reports it holds: partnership, group:ID or organization


@dataclass(frozen=True, slots=True)
class Entry:
    """One object of a collection with the time this node added it."""

    date_added: datetime
    object: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Observable:
    """An observable of a collection: the report it goes out with (the first, by id, of those
    of the collection carrying it), its date_added and its marking."""

    first: int
    date_added: datetime
    marking: Marking


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection: its entries and the token of the next page, if any."""

    entries: list[Entry]
    next: str | None


def _collection_id(name: str) -> str:
    return str(uuid.uuid5(BIGFISH_NAMESPACE, "collection:" + name))


def forwardable(viewer: Viewer) -> ColumnElement[bool]:
    """What may leave this node towards VIEWER: visible to it, and TLP:RED or AMBER+STRICT only
    to the named audience of a group it belongs to (or back to the owner)."""
    named = reports.c.distribution == Distribution.GROUP.value
    own = reports.c.org_id == viewer.org_id if viewer.org_id is not None else sa.false()
    tlp_ok = sa.or_(reports.c.tlp.not_in(_RESTRICTED), named, own)
    return sa.and_(visible_reports(viewer), tlp_ok)


def collections(conn: Connection, viewer: Viewer) -> list[Collection]:
    """The collections VIEWER may read, partnership first."""
    base = forwardable(viewer)
    found = [
        Collection(
            _collection_id("partnership"),
            "Partnership",
            "Reports distributed to every organization of the partnership.",
            sa.and_(base, reports.c.distribution == Distribution.PARTNERSHIP.value),
            False,
            viewer=viewer,
            scope="partnership",
        )
    ]
    if viewer.group_ids or viewer.operator:
        query = sa.select(sharing_groups.c.id, sharing_groups.c.name).order_by(
            sharing_groups.c.name
        )
        if not viewer.operator:
            query = query.where(sharing_groups.c.id.in_(sorted(viewer.group_ids)))
        for group_id, name in conn.execute(query):
            found.append(
                Collection(
                    _collection_id("group:" + name),
                    f"Group {name}",
                    f"Reports distributed to the members of sharing group {name}.",
                    sa.and_(
                        base,
                        reports.c.distribution == Distribution.GROUP.value,
                        reports.c.group_id == group_id,
                    ),
                    False,
                    viewer=viewer,
                    scope=f"group:{group_id}",
                )
            )
    if viewer.org_id is not None:
        found.append(
            Collection(
                _collection_id("organization:" + (viewer.org_name or str(viewer.org_id))),
                f"Organization {viewer.org_name}",
                "Reports of your own organization.",
                reports.c.org_id == viewer.org_id,
                True,
                viewer=viewer,
                scope="organization",
            )
        )
        if has_requests(conn, viewer):  # only for the two organizations of a request
            found.append(
                Collection(
                    _collection_id("requests:" + (viewer.org_name or str(viewer.org_id))),
                    f"Cooperation requests {viewer.org_name}",
                    "Cooperation requests your organization sent or received, with their history.",
                    party_condition(viewer),
                    False,
                    "requests",
                )
            )
    return found


def find_collection(conn: Connection, viewer: Viewer, collection_id: str) -> Collection:
    """Collection COLLECTION_ID of VIEWER, or NotFound (the same for one that exists elsewhere)."""
    for collection in collections(conn, viewer):
        if collection.id == collection_id:
            return collection
    raise NotFound("collection", collection_id)


def encode_next(pk: int, skip: int, upto: datetime | None = None) -> str:
    """The opaque `next` token: resume at report PK, skipping SKIP of its objects, serving no
    stamp later than UPTO (the pull's bound, `settled_stamp`) when one is given."""
    position = [pk, skip] if upto is None else [pk, skip, (upto - _ORIGIN) // _MICROSECOND]
    raw = json.dumps(position).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_next(token: str) -> tuple[int, int, datetime | None]:
    """The position and the bound (None: none) in a `next` token, or InputError naming the
    field. Tokens of two numbers (no bound) are those of older versions: the page they ask
    for reads a bound of its own."""
    try:
        padded = token + "=" * (-len(token) % 4)
        pk, skip, *bound = json.loads(base64.urlsafe_b64decode(padded.encode()))
        numbers = [int(pk), int(skip), *(int(n) for n in bound)]
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InputError("not a valid next token", field="next") from None
    if len(numbers) > 3 or not all(0 <= n < 2**62 for n in numbers):  # never an overflow
        raise InputError("not a valid next token", field="next")
    try:
        upto = _ORIGIN + numbers[2] * _MICROSECOND if len(numbers) == 3 else None
    except OverflowError:  # beyond year 9999
        raise InputError("not a valid next token", field="next") from None
    return numbers[0], numbers[1], upto


def settled_stamp(conn: Connection) -> datetime:
    """The newest stamp of a report or a withdrawal, read so that every stamp committed after
    it is later (`bigfish.store.stamps.settled_newest`); the earliest time when there is none.
    A pull serves no stamp later than it, so the newest date_added it serves, which its client
    keeps as its next `added_after`, is never later than a stamp committed after it was served:
    not when a slow writer commits an earlier stamp (PostgreSQL, where writers of two
    organizations run at once), nor when a report the pull has passed changes between its pages
    (either backend: each page, each batch of one, reads what is committed then). It may be one
    a pause of this process read a moment before (REUSE): a pull's client keeps its
    `added_after` when served nothing, so an earlier bound is only later news, never a step
    back."""
    stamps = sa.union_all(
        sa.select(sa.func.max(reports.c.updated_at).label("at")),
        sa.select(sa.func.max(report_withdrawals.c.withdrawn_at).label("at")),
    ).subquery()
    return settled_newest(conn, sa.select(sa.func.max(stamps.c.at)), reuse=True) or _ORIGIN


def parse_time(text: str, field: str) -> datetime:
    """A TAXII timestamp, or InputError naming FIELD."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"not an RFC 3339 timestamp {text!r}", field=field) from None
    if value.tzinfo is None:
        raise InputError("a timestamp needs a time zone (Z)", field=field)
    return value


def _matches(obj: dict[str, Any], types: frozenset[str], ids: frozenset[str]) -> bool:
    return (not types or obj["type"] in types) and (not ids or obj["id"] in ids)


def iter_entries(
    conn: Connection,
    collection: Collection,
    *,
    added_after: datetime | None = None,
    start: tuple[int, int] | None = None,
    batch: int = 500,
    signer: NodeKey | None = None,
    upto: datetime | None = None,
    ids: frozenset[str] = frozenset(),
) -> Iterator[tuple[Entry, tuple[int, int]]]:
    """Every object of COLLECTION from position START on, each with its own position
    (the report's id and the object's index among the objects that go out with the report).
    SIGNER, the node key, signs the changes of this node's organizations in cooperation
    requests. Reports, withdrawals and requests stamped after UPTO are left out. IDS, when
    given, names the objects wanted: the others may be left out (never those), and only the
    reports that can hold one of them are read; each object keeps its position."""
    if collection.kind == "requests":
        yield from _request_entries(conn, collection, added_after, upto, start, batch, signer)
        return
    if start is not None and start[0] >= WITHDRAWN:
        withdrawn = start[0] - WITHDRAWN - 1
        yield from _withdrawals(conn, collection, added_after, upto, withdrawn, batch, ids)
        return
    condition = collection.condition
    if ids:
        condition = sa.and_(condition, _holders(conn, collection, ids, upto))
    since = utc(added_after) if added_after is not None else None
    position = start
    while True:
        after = position[0] - 1 if position is not None else None
        views = report_page(
            conn,
            condition,
            after=after,
            added_after=added_after,
            upto=upto,
            limit=batch,
        )
        observables = _observables(conn, collection, upto, [v.pk for v in views])
        for view in views:
            entries = _report_entries(view, observables)
            skip = position[1] if position and position[0] == view.pk else 0
            for index in range(skip, len(entries)):
                entry = entries[index]
                if index < len(entries) - 1 and since is not None and entry.date_added <= since:
                    continue  # an observable its reader could have had before: not new
                yield entry, (view.pk, index)
        if len(views) < batch:
            break
        position = (views[-1].pk + 1, 0)
    yield from _withdrawals(conn, collection, added_after, upto, 0, batch, ids)


def _report_entries(view: ReportView, observables: dict[str, _Observable]) -> list[Entry]:
    """The entries that go out with the report VIEW: the observables it is the first report to
    carry (OBSERVABLES, `_observables`), then the report."""
    *scos, report = report_objects(view)
    entries = []
    for sco in scos:
        found = observables.get(sco["id"])
        if found is not None and found.first == view.pk:
            entries.append(Entry(found.date_added, marked(sco, found.marking)))
    entries.append(Entry(view.updated_at, report))
    return entries


def _carried(collection: Collection, upto: datetime | None) -> list[ColumnElement[bool]]:
    """The reports that carry an observable in COLLECTION: those it holds, stamped by UPTO."""
    found = [collection.condition]
    if upto is not None:
        found.append(reports.c.updated_at <= upto)
    return found


def _first_carriers(
    conn: Connection,
    collection: Collection,
    upto: datetime | None,
    which: ColumnElement[bool],
) -> dict[int, int]:
    """For each identifier WHICH selects that a report of COLLECTION carries: the first of
    those reports (by id)."""
    query = (
        sa.select(mentions.c.identifier_id, sa.func.min(reports.c.id))
        .select_from(mentions.join(reports, reports.c.id == mentions.c.report_pk))
        .where(which, *_carried(collection, upto))
        .group_by(mentions.c.identifier_id)
    )
    return {int(ident): int(first) for ident, first in conn.execute(query)}


def _observables(
    conn: Connection, collection: Collection, upto: datetime | None, pks: list[int]
) -> dict[str, _Observable]:
    """The observables of the reports PKS of COLLECTION that go out with one of them (the first
    report carrying it is one of PKS), by id, each dated and marked by the reports of
    COLLECTION carrying it (read as one row for each of their markings)."""
    firsts: dict[int, int] = {}
    dates: dict[int, datetime] = {}
    markings: dict[int, set[tuple[str, str, int | None]]] = {}
    for at in range(0, len(pks), _CHUNK):
        batch = sa.select(mentions.c.identifier_id).where(
            mentions.c.report_pk.in_(pks[at : at + _CHUNK])
        )
        marking = (reports.c.tlp, reports.c.distribution, reports.c.group_id)
        query = (
            sa.select(
                mentions.c.identifier_id,
                *marking,
                sa.func.min(reports.c.id),
                sa.func.min(reports.c.updated_at),
            )
            .select_from(mentions.join(reports, reports.c.id == mentions.c.report_pk))
            .where(mentions.c.identifier_id.in_(batch), *_carried(collection, upto))
            .group_by(mentions.c.identifier_id, *marking)
        )
        for ident, tlp, distribution, group_id, first, earliest in conn.execute(query):
            key, stamp = int(ident), utc(earliest)
            firsts[key] = min(firsts.get(key, first), first)
            dates[key] = min(dates.get(key, stamp), stamp)
            markings.setdefault(key, set()).add((str(tlp), str(distribution), group_id))
    here = set(pks)
    ours = sorted(ident for ident, first in firsts.items() if first in here)
    sco_ids: dict[int, str] = {}
    for at in range(0, len(ours), _CHUNK):
        valid = sa.select(identifiers.c.id, identifiers.c.kind, identifiers.c.canonical).where(
            identifiers.c.id.in_(ours[at : at + _CHUNK]), identifiers.c.valid == sa.true()
        )
        for ident, kind, canonical in conn.execute(valid):
            sco = identifier_sco(str(kind), str(canonical))
            if sco is not None:
                sco_ids[int(ident)] = str(sco["id"])
    groups = _group_names(conn, {g for i in sco_ids for _, _, g in markings[i]})
    least: dict[frozenset[tuple[str, str, int | None]], Marking] = {}
    found: dict[str, _Observable] = {}
    for ident, sco_id in sco_ids.items():
        held = frozenset(markings[ident])
        if held not in least:  # the same few markings, again and again
            ordered = sorted(held, key=str)
            least[held] = least_shared(_marking(t, d, groups, g) for t, d, g in ordered)
        found[sco_id] = _Observable(firsts[ident], dates[ident], least[held])
    return found


def _group_names(conn: Connection, group_ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(g for g in group_ids if g is not None)
    if not wanted:
        return {}
    query = sa.select(sharing_groups.c.id, sharing_groups.c.name).where(
        sharing_groups.c.id.in_(wanted)
    )
    return {int(group_id): str(name) for group_id, name in conn.execute(query)}


def _marking(tlp: str, distribution: str, groups: dict[int, str], group_id: int | None) -> Marking:
    """A report's marking as `bigfish.interop.views` reads it: the group's name for a group's."""
    shared = Distribution(distribution)
    named = groups.get(group_id) if group_id is not None and shared is Distribution.GROUP else None
    return Marking(TLP(tlp), shared, named)


def _holders(
    conn: Connection, collection: Collection, ids: frozenset[str], upto: datetime | None
) -> ColumnElement[bool]:
    """The reports of COLLECTION that can hold an object of IDS: a report of that id
    (`reports.stix_id`), or the first report carrying an observable of that id."""
    report_ids = sorted(i for i in ids if i.startswith("report--"))
    found: list[ColumnElement[bool]] = []
    if report_ids:
        found.append(reports.c.stix_id.in_(report_ids))
        found.append(reports.c.stix_id.is_(None))  # none kept (not written by the store): read
    idents = _identifiers_of(conn, ids)
    firsts: set[int] = set()
    for at in range(0, len(idents), _CHUNK):
        which = mentions.c.identifier_id.in_(idents[at : at + _CHUNK])
        firsts.update(_first_carriers(conn, collection, upto, which).values())
    if firsts:
        found.append(reports.c.id.in_(sorted(firsts)))
    return sa.or_(*found) if found else sa.false()


def _identifiers_of(conn: Connection, ids: frozenset[str]) -> list[int]:
    """The valid identifiers whose observables have one of IDS. An observable's id is a hash of
    its value: the identifiers of its kinds are read and their ids computed."""
    kinds = sorted({k for i in ids for k in _KINDS_OF_TYPE.get(i.partition("--")[0], ())})
    found: list[int] = []
    after = 0
    while kinds:
        query = (
            sa.select(identifiers.c.id, identifiers.c.kind, identifiers.c.canonical)
            .where(
                identifiers.c.kind.in_(kinds),
                identifiers.c.valid == sa.true(),
                identifiers.c.id > after,
            )
            .order_by(identifiers.c.id)
            .limit(5000)
        )
        rows = conn.execute(query).all()
        for ident, kind, canonical in rows:
            sco = identifier_sco(str(kind), str(canonical))
            if sco is not None and sco["id"] in ids:
                found.append(int(ident))
        if len(rows) < 5000:
            break
        after = int(rows[-1].id)
    return found


def _held_before(collection: Collection, viewer: Viewer, since: datetime | None, row: Any) -> bool:
    """True when COLLECTION held the withdrawn report ROW for VIEWER before it was withdrawn:
    `forwardable` and the collection's own condition, in Python, on the marking it had, for the
    audience it had then (a group's members when it was withdrawn; an organization registered
    SINCE, after the withdrawal, never saw it)."""
    if row.audience_org_id is not None:  # withdrawn from one organization: it left the group
        return (
            collection.scope == "partnership"  # the one collection every reader has
            and not viewer.operator
            and viewer.org_id == row.audience_org_id
        )
    distribution = row.distribution
    own = viewer.org_id is not None and row.org_id == viewer.org_id
    if collection.scope == "partnership":
        ours = distribution == Distribution.PARTNERSHIP.value
    elif collection.scope.startswith("group:"):
        ours = distribution == Distribution.GROUP.value and (
            f"group:{row.group_id}" == collection.scope
        )
    else:
        ours = collection.scope == "organization" and own
    if not ours:
        return False
    if not own and not viewer.operator:
        if since is not None and utc(since) > utc(row.withdrawn_at):
            return False  # registered after the withdrawal
        if distribution == Distribution.GROUP.value and viewer.org_id not in (row.members or []):
            return False  # not a member of the group when it was withdrawn
    item = ItemMarking(int(row.org_id), TLP(row.tlp), Distribution(distribution), row.group_id)
    named = distribution == Distribution.GROUP.value
    return can_see(viewer, item) and (row.tlp not in _RESTRICTED or named or own)


def _still_forwardable(conn: Connection, viewer: Viewer, rows: list[Any]) -> set[tuple[int, str]]:
    """The (organization, report id) of ROWS that VIEWER may still be sent, re-marked or not."""
    found: set[tuple[int, str]] = set()
    names = sorted({str(r.report_id) for r in rows})
    for at in range(0, len(names), 500):
        query = sa.select(reports.c.org_id, reports.c.report_id).where(
            reports.c.report_id.in_(names[at : at + 500]), forwardable(viewer)
        )
        found.update((int(o), str(r)) for o, r in conn.execute(query))
    return found


def _withdrawals(
    conn: Connection,
    collection: Collection,
    added_after: datetime | None,
    upto: datetime | None,
    after: int,
    batch: int,
    ids: frozenset[str] = frozenset(),
) -> Iterator[tuple[Entry, tuple[int, int]]]:
    """The revoked versions of the reports COLLECTION held for its reader and no longer does,
    withdrawn after ADDED_AFTER and not after UPTO, in the order they were withdrawn, from
    withdrawal AFTER + 1 on; only those of IDS when given."""
    viewer = collection.viewer
    if viewer is None or not collection.scope:
        return
    if ids and not any(i.startswith("report--") for i in ids):
        return  # a revoked version is a report
    since = conn.execute(
        sa.select(organizations.c.created_at).where(organizations.c.id == viewer.org_id)
    ).scalar()
    while True:
        query = (
            sa.select(
                report_withdrawals,
                organizations.c.name.label("org"),
                sharing_groups.c.name.label("group_name"),
            )
            .join(organizations, organizations.c.id == report_withdrawals.c.org_id)
            .outerjoin(sharing_groups, sharing_groups.c.id == report_withdrawals.c.group_id)
            .where(
                report_withdrawals.c.id > after,
                sa.or_(
                    report_withdrawals.c.audience_org_id.is_(None),
                    report_withdrawals.c.audience_org_id == viewer.org_id,
                ),
            )
            .order_by(report_withdrawals.c.id)
            .limit(batch)
        )
        if added_after is not None:
            query = query.where(report_withdrawals.c.withdrawn_at > added_after)
        if upto is not None:
            query = query.where(report_withdrawals.c.withdrawn_at <= upto)
        rows = conn.execute(query).all()
        held = [
            r
            for r in rows
            if (not ids or _revoked_id(r) in ids) and _held_before(collection, viewer, since, r)
        ]
        still = _still_forwardable(conn, viewer, held) if held else set()
        for row in held:
            if (int(row.org_id), str(row.report_id)) in still:
                continue  # re-marked and still sent to this reader, as an ordinary update
            withdrawn_at = utc(row.withdrawn_at)
            marking = Marking(TLP(row.tlp), Distribution(row.distribution), row.group_name)
            obj = revoked_report(
                org=str(row.org),
                report_id=str(row.report_id),
                source_id=row.source_id,
                created=utc(row.created),
                reported_at=utc(row.reported_at),
                withdrawn_at=withdrawn_at,
                marking=marking,
            )
            yield Entry(withdrawn_at, obj), (WITHDRAWN + int(row.id), 0)
        if len(rows) < batch:
            return
        after = int(rows[-1].id)


def _revoked_id(row: Any) -> str:
    """The id of the revoked version of the withdrawn report ROW (`revoked_report`)."""
    source = row.source_id
    if source and str(source).startswith("report--"):
        return str(source)
    return report_stix_id(str(row.org), str(row.report_id))


def _request_entries(
    conn: Connection,
    collection: Collection,
    added_after: datetime | None,
    upto: datetime | None,
    start: tuple[int, int] | None,
    batch: int,
    signer: NodeKey | None,
) -> Iterator[tuple[Entry, tuple[int, int]]]:
    after = start[0] - 1 if start is not None else None
    while True:
        found = request_page(
            conn,
            collection.condition,
            after=after,
            added_after=added_after,
            upto=upto,
            limit=batch,
            signer=signer,
        )
        for item in found:
            yield Entry(item.date_added, item.object), (item.pk, 0)
        if len(found) < batch:
            return
        after = found[-1].pk


def object_page(
    conn: Connection,
    collection: Collection,
    *,
    limit: int,
    added_after: datetime | None = None,
    next_token: str | None = None,
    types: frozenset[str] = frozenset(),
    ids: frozenset[str] = frozenset(),
    signer: NodeKey | None = None,
) -> Page:
    """Up to LIMIT objects of COLLECTION matching the filters, and the next page's token
    (SIGNER: as for `iter_entries`). Every page of a pull serves no stamp later than the bound
    its first page read (`settled_stamp`; for requests, `settled_request_stamp`), which its
    `next` tokens carry: a report or request whose position a pull has passed and that changes
    meanwhile has a later stamp than any the pull serves, and the pull's client gets it from
    its next `added_after`."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    start: tuple[int, int] | None = None
    upto: datetime | None = None
    if next_token:
        pk, skip, upto = decode_next(next_token)
        start = pk, skip
    if upto is None and collection.kind == "reports":
        upto = settled_stamp(conn)
    elif upto is None:
        upto = settled_request_stamp(conn) or _ORIGIN
    entries: list[Entry] = []
    batch = max(50, min(2000, limit // 3 + 1))
    for entry, position in iter_entries(
        conn,
        collection,
        added_after=added_after,
        start=start,
        batch=batch,
        signer=signer,
        upto=upto,
        ids=ids,
    ):
        if not _matches(entry.object, types, ids):
            continue
        if len(entries) == limit:
            if next_token is None:  # a first page: its bound is shown in the token
                upto = _shown_bound(conn, collection, added_after, upto)
            return Page(entries, encode_next(*position, upto))
        entries.append(entry)
    return Page(entries, None)


def _shown_bound(
    conn: Connection, collection: Collection, added_after: datetime | None, upto: datetime
) -> datetime:
    """The bound a pull's `next` tokens carry: the newest stamp of what COLLECTION serves its
    reader after ADDED_AFTER, UPTO at the latest. UPTO itself is the newest stamp of every
    report and withdrawal on the node, so a token that carried it (readable: it is not sealed)
    dated the last change of a report its reader may not see, and told that there is one.
    The later pages serve the same objects under either bound: nothing the collection holds
    for its reader is stamped between them, and whatever changes is stamped after UPTO."""
    if collection.kind == "requests":
        stamp = cooperation_requests.c.updated_at
        query = sa.select(sa.func.max(stamp)).where(collection.condition, stamp <= upto)
        if added_after is not None:
            query = query.where(stamp > added_after)
        newest: datetime | None = conn.execute(query).scalar()
        return utc(newest) if newest is not None else upto
    stamp = reports.c.updated_at
    query = sa.select(sa.func.max(stamp)).where(collection.condition, stamp <= upto)
    if added_after is not None:
        query = query.where(stamp > added_after)
    found = [utc(at) for at in [conn.execute(query).scalar()] if at is not None]
    found += [e.date_added for e, _ in _withdrawals(conn, collection, added_after, upto, 0, 500)]
    return max(found, default=upto)

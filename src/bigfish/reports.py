"""Reports through the policy: submit an API batch, get one, list a page, re-mark.

Every read here filters with `bigfish.sharing.policy`; a report the caller may not see is
`NotFound`, exactly like one that does not exist. Ownership comes from the caller's credential,
never from the body: owner fields a client sends are dropped.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import AccessDenied, Conflict, InputError, NotFound
from bigfish.fx import node_rates
from bigfish.intake.prepare import prepare_mentions
from bigfish.intake.readers import Row, row_from_json
from bigfish.intake.records import MARKING_FIELDS, MARKING_REASON, build_report, has_surrogate
from bigfish.intake.service import classify_pending
from bigfish.linking.state import announce_deletion
from bigfish.models import TLP, Distribution, Marking
from bigfish.sharing.policy import ItemMarking, Viewer, can_edit, visible_reports
from bigfish.store import Store
from bigfish.store.schema import (
    group_members,
    identifiers,
    ingest_runs,
    mentions,
    organizations,
    reports,
    sharing_groups,
)
from bigfish.store.schema_evidence import evidence
from bigfish.store.stamps import announce_writer, stamp_now
from bigfish.store.writes import (
    WITHDRAWAL_COLUMNS,
    BatchOutcome,
    IdentifierIds,
    Pending,
    record_withdrawals,
    refusal_field,
    write_batch,
)

#: Fields a client might send to claim another owner; the credential decides, so they are dropped.
OWNER_FIELDS = frozenset({"org", "org_id", "organization", "owner", "creator", "created_by"})
#: Markings are given for the whole batch; a report carrying its own is refused, not guessed at
#: (MARKING_FIELDS, shared with file intake).
SORTS = {"reported_at": False, "-reported_at": True}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A report of a batch that was not stored."""

    index: int
    report_id: str | None
    reason: str
    field: str | None


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a batch did: received = stored + updated + len(rejected)."""

    received: int
    stored: int
    updated: int
    rejected: tuple[Rejected, ...]
    report_pks: tuple[int, ...]  # reports stored or rewritten (not unchanged), for alerts


def resolve_marking(conn: Connection, viewer: Viewer, marking: Marking) -> int | None:
    """The group id MARKING names, checked: a group only with distribution group, and only one
    the submitter belongs to (an unknown group and another's group look the same)."""
    if marking.distribution is not Distribution.GROUP:
        if marking.group is not None:
            raise InputError("group is only given with distribution 'group'", field="group")
        return None
    name = (marking.group or "").strip()
    if not name or name == "0":
        raise InputError("distribution 'group' needs a sharing group name", field="group")
    row = conn.execute(
        sa.select(sharing_groups.c.id)
        .join(group_members, group_members.c.group_id == sharing_groups.c.id)
        .where(sharing_groups.c.name == name, group_members.c.org_id == viewer.org_id)
    ).first()
    if row is None:
        raise InputError(f"unknown sharing group {name!r}", field="group")
    return int(row[0])


def _decimals(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


def _shown(report_id: str | None) -> str | None:
    """REPORT_ID as a rejection may echo it: lone surrogates written as escapes."""
    if report_id is None or not has_surrogate(report_id):
        return report_id
    return report_id.encode("utf-8", "backslashreplace").decode("utf-8")


def _prepare(index: int, obj: Any, marking: Marking, group_id: int | None) -> Pending | Rejected:
    if isinstance(obj, dict):
        claimed = sorted(MARKING_FIELDS & obj.keys())
        if claimed:
            return Rejected(
                index,
                _shown(obj.get("report_id") if isinstance(obj.get("report_id"), str) else None),
                MARKING_REASON,
                claimed[0],
            )
        obj = {k: _decimals(v) for k, v in obj.items() if k not in OWNER_FIELDS}
    record = row_from_json(index, obj)
    if not isinstance(record, Row):
        return Rejected(index, _shown(record.report_id), record.reason, record.field)
    try:
        report = build_report(record.fields, identifiers=record.identifiers, marking=marking)
    except InputError as exc:
        return Rejected(index, _shown(record.fields.get("report_id")), exc.message, exc.field)
    return Pending(report, prepare_mentions(report), "api", index, group_id)


def submit_reports(
    store: Store, viewer: Viewer, objects: Sequence[Any], marking: Marking
) -> Submitted:
    """Store OBJECTS (spec/reports.md JSON reports) as VIEWER's organization's, in one
    transaction, or reject each bad one with its index and reason. The transaction runs again
    when the database undoes it to end a deadlock (`Store.transaction`): with the background
    linker, or another organization's writer inserting the same new identifiers."""
    org_id = viewer.org_id
    if org_id is None:
        raise AccessDenied("reports are submitted by an organization")
    # Prepared and classified once, outside the transaction; the group is resolved inside it.
    prepared = [_prepare(index, obj, marking, None) for index, obj in enumerate(objects)]
    refused = [p for p in prepared if isinstance(p, Rejected)]
    batch = [p for p in prepared if isinstance(p, Pending)]
    if batch:
        batch = classify_pending(batch)  # as every ingested narrative is
    written = store.transaction(
        lambda conn: _write_submitted(conn, viewer, org_id, marking, batch, len(objects), refused)
    )
    rejected = sorted([*refused, *written.rejected], key=lambda r: r.index)
    return dataclasses.replace(written, rejected=tuple(rejected))


def _write_submitted(
    conn: Connection,
    viewer: Viewer,
    org_id: int,
    marking: Marking,
    prepared: list[Pending],
    received: int,
    refused: list[Rejected],
) -> Submitted:
    """Write PREPARED (a batch of RECEIVED reports, REFUSED the others) in CONN's transaction:
    what it did, `rejected` its refusals alone (duplicates, values the store cannot keep)."""
    announce_writer(conn)  # first, before any lock (write_batch announces it again)
    group_id = resolve_marking(conn, viewer, marking)
    batch = [dataclasses.replace(p, group_id=group_id) for p in prepared]
    run_id = int(
        conn.execute(
            ingest_runs.insert()
            .values(org_id=org_id, source="api", started_at=datetime.now(UTC))
            .returning(ingest_runs.c.id)
        ).scalar_one()
    )
    outcome = BatchOutcome(0, 0, [])
    pks: list[int] = []
    if batch:
        outcome = write_batch(
            conn,
            org_id=org_id,
            run_id=run_id,
            batch=batch,
            ids=IdentifierIds(),  # its own: ids an undone attempt learned go with it
            rates=node_rates(),
        )
        pks = sorted(outcome.written)  # not those sent again unchanged: no alert is new
    rejected = [
        Rejected(p.line or 0, p.report.report_id, reason, refusal_field(p))
        for p, reason in outcome.duplicates
    ]
    conn.execute(
        ingest_runs.update()
        .where(ingest_runs.c.id == run_id)
        .values(
            finished_at=datetime.now(UTC),
            received=received,
            stored=outcome.stored,
            updated=outcome.updated,
            rejected=len(refused) + len(rejected),
        )
    )
    return Submitted(received, outcome.stored, outcome.updated, tuple(rejected), tuple(pks))


@dataclass(frozen=True, slots=True)
class MentionView:
    """One identifier of a report as stored."""

    kind: str
    canonical: str
    valid: bool
    raw: str
    source: str
    role: str | None


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A stored report with its markings and identifiers."""

    pk: int
    org: str
    report_id: str
    reported_at: datetime
    country: str
    scam_type: str | None
    channel: str | None
    loss_amount: str | None
    loss_currency: str | None
    loss_usd: float | None
    narrative: str | None
    attributes: dict[str, Any] | None
    tlp: str
    distribution: str
    group: str | None
    identifiers: tuple[MentionView, ...]
    created_at: datetime
    updated_at: datetime


_REPORT_COLUMNS = (
    sa.select(
        reports, organizations.c.name.label("org_name"), sharing_groups.c.name.label("group_name")
    )
    .join(organizations, organizations.c.id == reports.c.org_id)
    .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _records(conn: Connection, rows: Sequence[Any]) -> list[ReportRecord]:
    pks = [int(r.id) for r in rows]
    found: dict[int, list[MentionView]] = {pk: [] for pk in pks}
    for start in range(0, len(pks), 500):
        query = (
            sa.select(
                mentions.c.report_pk,
                identifiers.c.kind,
                identifiers.c.canonical,
                identifiers.c.valid,
                mentions.c.raw,
                mentions.c.source,
                mentions.c.role,
            )
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .where(mentions.c.report_pk.in_(pks[start : start + 500]))
            .order_by(mentions.c.report_pk, identifiers.c.kind, identifiers.c.canonical)
        )
        for m in conn.execute(query):
            found[int(m.report_pk)].append(
                MentionView(m.kind, m.canonical, bool(m.valid), m.raw, m.source, m.role)
            )
    return [
        ReportRecord(
            pk=int(r.id),
            org=r.org_name,
            report_id=r.report_id,
            reported_at=_utc(r.reported_at),
            country=r.country,
            scam_type=r.scam_type,
            channel=r.channel,
            loss_amount=r.loss_amount,
            loss_currency=r.loss_currency,
            loss_usd=r.loss_usd,
            narrative=r.narrative,
            attributes=r.attributes,
            tlp=r.tlp,
            distribution=r.distribution,
            group=r.group_name,
            identifiers=tuple(found[int(r.id)]),
            created_at=_utc(r.created_at),
            updated_at=_utc(r.updated_at),
        )
        for r in rows
    ]


def get_report(store: Store, viewer: Viewer, org: str, report_id: str) -> ReportRecord:
    """Report REPORT_ID of organization ORG as VIEWER may see it, else NotFound."""
    with store.connect() as conn:
        row = conn.execute(
            _REPORT_COLUMNS.where(
                organizations.c.name == org,
                reports.c.report_id == report_id,
                visible_reports(viewer),
            )
        ).first()
        if row is None:
            raise NotFound("report", f"{org}/{report_id}")
        return _records(conn, [row])[0]


@dataclass(frozen=True, slots=True)
class ReportPageResult:
    """A page of reports and the cursor of the next."""

    reports: tuple[ReportRecord, ...]
    next_cursor: str | None


def _encode_cursor(sort: str, value: datetime, pk: int) -> str:
    raw = json.dumps([sort, _utc(value).isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, pk = json.loads(raw)
        # A made-up cursor's id or time must fail here, naming the cursor, not in the database
        # (an id over 2**63 or a time that is no time in UTC could not be searched at all).
        if name != sort or type(pk) is not int or not 0 <= pk < 2**63:
            raise ValueError("another sort")
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError("no time zone")
        return at.astimezone(UTC), pk
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError):
        raise InputError("not a cursor of this listing", field="cursor") from None


def list_reports(
    store: Store,
    viewer: Viewer,
    *,
    country: str | None = None,
    scam_type: str | None = None,
    org: str | None = None,
    sort: str = "-reported_at",
    cursor: str | None = None,
    limit: int = 100,
) -> ReportPageResult:
    """Reports VIEWER may see, filtered, in SORT order, one page at a time."""
    if sort not in SORTS:
        raise InputError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})", field="sort")
    descending = SORTS[sort]
    query = _REPORT_COLUMNS.where(visible_reports(viewer))
    if country is not None:
        query = query.where(reports.c.country == country.upper())
    if scam_type is not None:
        query = query.where(reports.c.scam_type == scam_type)
    if org is not None:
        query = query.where(organizations.c.name == org)
    if cursor is not None:
        at, pk = _decode_cursor(cursor, sort)
        key = sa.tuple_(reports.c.reported_at, reports.c.id)
        query = query.where(key < sa.tuple_(at, pk) if descending else key > sa.tuple_(at, pk))
    order = (
        (reports.c.reported_at.desc(), reports.c.id.desc())
        if descending
        else (reports.c.reported_at, reports.c.id)
    )
    with store.connect() as conn:
        rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
        page = _records(conn, rows[:limit])
    following = None
    if len(rows) > limit:
        last = page[-1]
        following = _encode_cursor(sort, last.reported_at, last.pk)
    return ReportPageResult(tuple(page), following)


def _locked(conn: Connection, viewer: Viewer, org: str, report_id: str) -> Any:
    row = conn.execute(
        sa.select(reports.c.id, *WITHDRAWAL_COLUMNS)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(
            organizations.c.name == org,
            reports.c.report_id == report_id,
            visible_reports(viewer),
        )
    ).first()
    if row is None:
        raise NotFound("report", f"{org}/{report_id}")
    item = ItemMarking(int(row.org_id), TLP(row.tlp), Distribution(row.distribution), row.group_id)
    if not can_edit(viewer, item):
        raise AccessDenied("only the submitting organization's analysts edit this report")
    return row


def remark_report(
    store: Store, viewer: Viewer, org: str, report_id: str, marking: Marking
) -> ReportRecord:
    """Give a report new markings (only its organization may); effective on the next request.
    Run again when the database undoes it to end a deadlock (`Store.transaction`)."""
    store.transaction(lambda conn: _remark(conn, viewer, org, report_id, marking))
    return get_report(store, viewer, org, report_id)


def _remark(conn: Connection, viewer: Viewer, org: str, report_id: str, marking: Marking) -> None:
    announce_writer(conn)  # before its stamp: a link run reads it, or a later stamp than it read
    row = _locked(conn, viewer, org, report_id)
    group_id = (
        row.group_id
        if _same_group(conn, row, marking)  # the owner may re-mark after leaving its group
        else resolve_marking(conn, viewer, marking)
    )
    if (row.tlp, row.distribution, row.group_id) == (
        marking.tlp.value,
        marking.distribution.value,
        group_id,
    ):
        return  # nothing changes: no stamp, so no reader (alerts, TAXII, links) sees a change
    now = stamp_now(conn)
    record_withdrawals(conn, [row], now)  # readers that may hold it are told
    conn.execute(
        reports.update()
        .where(reports.c.id == row.id)
        .values(
            tlp=marking.tlp.value,
            distribution=marking.distribution.value,
            group_id=group_id,
            updated_at=now,
            # The digest was of the report as sent; it is no longer what is held, so the same
            # report sent again is rewritten (and takes the marking it is sent with).
            content_digest=None,
        )
    )


def _same_group(conn: Connection, row: Any, marking: Marking) -> bool:
    """True when MARKING keeps the group the report ROW is shared with: its owner may then change
    the TLP (raise it, say) even after it left the group; sharing with a group anew needs
    membership (`resolve_marking`)."""
    if marking.distribution is not Distribution.GROUP or row.group_id is None:
        return False
    if row.distribution != Distribution.GROUP.value:
        return False
    name = conn.execute(
        sa.select(sharing_groups.c.name).where(sharing_groups.c.id == row.group_id)
    ).scalar()
    return name is not None and name == (marking.group or "").strip()


def delete_report(store: Store, viewer: Viewer, org: str, report_id: str) -> None:
    """Delete a report (only its organization may); a report that holds evidence is kept with
    it (Conflict): evidence under chain of custody is never deleted with its report. Run again
    when the database undoes it to end a deadlock (`Store.transaction`)."""
    store.transaction(lambda conn: _delete(conn, viewer, org, report_id))


def _delete(conn: Connection, viewer: Viewer, org: str, report_id: str) -> None:
    announce_deletion(conn)  # a link run starting now waits: it sees this, or its next run does
    row = _locked(conn, viewer, org, report_id)
    held = conn.execute(
        sa.select(sa.func.count()).select_from(evidence).where(evidence.c.report_pk == row.id)
    ).scalar_one()
    if held:
        raise Conflict(
            f"report {org}/{report_id} holds {held} evidence item(s) under chain of custody;"
            " a report with evidence is not deleted"
        )
    record_withdrawals(conn, [row], stamp_now(conn))  # readers that may hold it are told
    conn.execute(reports.delete().where(reports.c.id == row.id))

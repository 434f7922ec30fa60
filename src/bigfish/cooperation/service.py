"""Cooperation requests and contacts in the store.

A request is visible to its two organizations only (a draft to its requester only): anyone else,
the node operator included, gets NotFound. Every status change is appended to `request_events`
with who, when, from, to and the note; rows there are never updated or deleted.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.cooperation.model import (
    EXPIRY_NOTE,
    OPEN,
    CooperationRequest,
    RequestDraft,
    RequestEvent,
    RequestStatus,
    RequestType,
    Side,
    Subject,
    SubjectKind,
    Urgency,
    check_legal_basis,
    check_transition,
    expiry_event_id,
    legal_bases,
    new_event_id,
    replay,
)
from bigfish.errors import AccessDenied, InputError, NotFound, check_text
from bigfish.models import TLP, ApiRole, Distribution, Kind
from bigfish.sharing.policy import ItemMarking, Viewer, can_see
from bigfish.store import Store
from bigfish.store.schema import group_members, organizations, reports
from bigfish.store.schema_evidence import cooperation_requests, request_events
from bigfish.store.stamps import announce_writer, stamp_now

_from = organizations.alias("from_org")
_to = organizations.alias("to_org")


def _acting_org(viewer: Viewer) -> int:
    if viewer.org_id is None:
        raise AccessDenied("cooperation requests are made and seen by an organization")
    return viewer.org_id


def _check_hosted(conn: Connection, org_id: int) -> None:
    """AccessDenied unless organization ORG_ID lives on this node: a change made here in the
    name of another node's organization would show here as made, travel unsigned, and make
    that node refuse the whole request (`bigfish.cooperation.federation`)."""
    row = conn.execute(
        sa.select(organizations.c.name, organizations.c.node).where(organizations.c.id == org_id)
    ).one()
    if row.node is not None:
        raise AccessDenied(
            f"{row.name} lives on the node {row.node}: its requests are made and answered there"
        )


def _org_id(conn: Connection, name: str, field: str) -> int:
    found = conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first()
    if found is None:
        raise InputError(f"unknown organization {name!r}", field=field)
    return int(found[0])


def _check_subject(
    conn: Connection, viewer: Viewer, subject: Subject, recipient: Viewer
) -> Subject:
    if subject.kind is SubjectKind.IDENTIFIER:
        from bigfish.identifiers import normalize

        try:
            kind = Kind(subject.identifier_kind or "")
        except ValueError:
            raise InputError(
                f"unknown identifier kind {subject.identifier_kind!r}", field="subjects"
            ) from None
        ident = normalize(kind, subject.value)
        if not ident.valid:
            raise InputError(f"{subject.value!r}: {ident.error}", field="subjects")
        return Subject(SubjectKind.IDENTIFIER, ident.canonical, ident.canonical_kind.value)
    if subject.kind is SubjectKind.REPORT:
        org, slash, report_id = subject.value.partition("/")
        if not slash or not org or not report_id:
            raise InputError(
                f"a report subject is ORG/REPORT_ID, not {subject.value!r}", field="subjects"
            )
        row = conn.execute(
            sa.select(reports.c.org_id, reports.c.tlp, reports.c.distribution, reports.c.group_id)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .where(organizations.c.name == org, reports.c.report_id == report_id)
        ).first()
        marking = (
            None
            if row is None
            else ItemMarking(row.org_id, TLP(row.tlp), Distribution(row.distribution), row.group_id)
        )
        if marking is None or not can_see(viewer, marking):
            raise NotFound("report", subject.value)
        if marking.owner_org_id != viewer.org_id and not can_see(recipient, marking):
            # Named to an organization outside its audience, the report's existence, owner
            # and id would reach it: only the owner may widen the audience so.
            raise InputError(
                f"report {subject.value} is not shared with {recipient.org_name}: only"
                f" {org} can name it to them; name its identifiers instead",
                field="subjects",
            )
        return subject
    value = subject.value.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) < 2**63:
        raise InputError(f"a network subject is a network's id, not {value!r}", field="subjects")
    from bigfish.linking.detail import shown_network

    shown_id, _, _ = shown_network(conn, viewer, int(value), None)  # NotFound: not one it sees
    return Subject(SubjectKind.NETWORK, str(shown_id))


#: The longest value of a subject the other node of a request accepts (`bigfish.cooperation.wire`):
#: a URL may be valid up to 4,096 characters.
SUBJECT_LIMIT = 2000


def _checked_subjects(
    conn: Connection, viewer: Viewer, subjects: Iterable[Subject], to_org_id: int
) -> Iterator[Subject]:
    """Each of SUBJECTS checked for a request from VIEWER to organization TO_ORG_ID; a bad one
    is named by its position (`subjects[2]`). One longer than the other node of the request
    accepts (`SUBJECT_LIMIT`, in its canonical form) is refused here: stored, it made that node
    refuse the whole request on every pull. A report is named only to an organization that may
    see it, unless VIEWER owns it."""
    recipient = _viewer_of(conn, to_org_id)
    for i, subject in enumerate(subjects):
        try:
            checked = _check_subject(conn, viewer, subject, recipient)
        except InputError as exc:
            raise InputError(exc.message, field=f"subjects[{i}]") from None
        if len(checked.value) > SUBJECT_LIMIT:
            raise InputError(
                f"a subject is at most {SUBJECT_LIMIT} characters (this one is"
                f" {len(checked.value):,}), as the other node of a request takes it",
                field=f"subjects[{i}]",
            )
        yield checked


def _viewer_of(conn: Connection, org_id: int) -> Viewer:
    """What organization ORG_ID sees: itself and its sharing groups."""
    name = conn.execute(
        sa.select(organizations.c.name).where(organizations.c.id == org_id)
    ).scalar_one()
    groups = conn.execute(
        sa.select(group_members.c.group_id).where(group_members.c.org_id == org_id)
    ).scalars()
    return Viewer(org_id, name, group_ids=frozenset(int(g) for g in groups))


def _check_networks_stay(conn: Connection, to_org_id: int, subjects: tuple[Subject, ...]) -> None:
    """InputError naming the first network of SUBJECTS when organization TO_ORG_ID lives on
    another node: a network's id is this node's own. Sent there, it named the recipient's
    network of that id (another one, or none), linked as such on the recipient's node."""
    node = conn.execute(
        sa.select(organizations.c.node).where(organizations.c.id == to_org_id)
    ).scalar()
    if node is None:
        return
    for i, subject in enumerate(subjects):
        if subject.kind is SubjectKind.NETWORK:
            raise InputError(
                f"network {subject.value} is this node's: the recipient's node ({node}) knows"
                " its networks by other ids; name the network's identifiers or reports instead",
                field=f"subjects[{i}]",
            )


def _subjects_json(subjects: tuple[Subject, ...]) -> list[dict[str, Any]]:
    return [
        {"kind": s.kind.value, "value": s.value, "identifier_kind": s.identifier_kind}
        for s in subjects
    ]


def with_parties() -> sa.Select[Any]:
    """Requests with the names of their two organizations (`from_name`, `to_name`)."""
    return (
        sa.select(
            cooperation_requests,
            _from.c.name.label("from_name"),
            _to.c.name.label("to_name"),
        )
        .join(_from, _from.c.id == cooperation_requests.c.from_org_id)
        .join(_to, _to.c.id == cooperation_requests.c.to_org_id)
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _request(row: Any) -> CooperationRequest:
    basis = legal_bases().get(row.legal_basis)
    return CooperationRequest(
        request_id=row.request_id,
        request_type=RequestType(row.request_type),
        from_org=row.from_name,
        to_org=row.to_name,
        status=RequestStatus(row.status),
        urgency=Urgency(row.urgency),
        legal_basis=row.legal_basis,
        legal_basis_confirm=basis.confirm if basis else True,
        summary=row.summary,
        details=row.details,
        subjects=tuple(
            Subject(SubjectKind(s["kind"]), s["value"], s.get("identifier_kind"))
            for s in row.subjects
        ),
        deadline=_utc(row.deadline),
        created_by=row.created_by,
        created_at=_utc(row.created_at) or datetime.now(UTC),
        updated_at=_utc(row.updated_at) or datetime.now(UTC),
    )


def _visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    org_id = viewer.org_id
    if org_id is None:
        return sa.false()
    return sa.or_(
        cooperation_requests.c.from_org_id == org_id,
        sa.and_(
            cooperation_requests.c.to_org_id == org_id,
            cooperation_requests.c.status != RequestStatus.DRAFT.value,
        ),
    )


def _find(conn: Connection, viewer: Viewer, request_id: str) -> Any:
    row = conn.execute(
        with_parties().where(cooperation_requests.c.request_id == request_id, _visible(viewer))
    ).first()
    if row is None:
        raise NotFound("request", request_id)
    return row


def _event(
    conn: Connection,
    pk: int,
    org_id: int,
    actor: str,
    old: str | None,
    new: str,
    note: str | None,
    *,
    at: datetime | None = None,
    event_id: str | None = None,
) -> None:
    conn.execute(
        request_events.insert().values(
            request_pk=pk,
            event_id=event_id or new_event_id(),
            at=at or datetime.now(UTC),
            actor_org_id=org_id,
            actor=actor,
            from_status=old,
            to_status=new,
            note=note,
        )
    )


#: The longest text a request and its changes carry: what the other node of a request accepts
#: (`bigfish.cooperation.wire`) and what the store's columns hold (created_by and actor: 200).
_LIMITS = {"details": 20000, "created_by": 200, "note": 5000, "actor": 200}


def _check_length(value: str | None, field: str, *, required: bool = False) -> None:
    """InputError naming FIELD unless VALUE fits `_LIMITS` (and, when REQUIRED, is not blank):
    longer text failed in PostgreSQL or was refused with the whole request by the other node."""
    limit = _LIMITS[field]
    if value is None and not required:
        return
    if value is None or len(value) > limit or (required and not value.strip()):
        raise InputError(
            f"{field} must be text of {1 if required else 0}-{limit} characters", field=field
        )


def _later(at: datetime) -> datetime:
    return at + timedelta(microseconds=1)


def create_request(
    store: Store, viewer: Viewer, draft: RequestDraft, *, send: bool = False
) -> CooperationRequest:
    """Create a request from VIEWER's organization (as a draft, or sent at once with SEND)."""
    from_org_id = _acting_org(viewer)
    check_legal_basis(draft.legal_basis, draft.request_type)
    for field in ("summary", "details", "created_by", "to_org"):
        check_text(getattr(draft, field), field)
    for i, subject in enumerate(draft.subjects):
        check_text(subject.value, f"subjects[{i}]")
    _check_length(draft.details, "details")
    _check_length(draft.created_by, "created_by", required=True)
    summary = draft.summary.strip()
    if not summary or len(summary) > 500:
        raise InputError("a summary of 1-500 characters is required", field="summary")
    if not draft.subjects:
        raise InputError("name at least one identifier, report or network", field="subjects")
    if len(draft.subjects) > 1000:  # what the other node of a request accepts (`wire`)
        raise InputError("a request names at most 1000 subjects", field="subjects")
    try:
        deadline = _utc(draft.deadline)
    except OverflowError:  # year 1 or 9999 with an offset: no such time in UTC
        raise InputError("the deadline is out of range once in UTC", field="deadline") from None
    if deadline is not None and deadline <= datetime.now(UTC):
        raise InputError("the deadline is in the past", field="deadline")
    with store.begin() as conn:
        announce_writer(conn)  # before its stamp: see `bigfish.store.stamps`
        _check_hosted(conn, from_org_id)
        now = stamp_now(conn)
        to_org_id = _org_id(conn, draft.to_org, "to_org")
        if to_org_id == from_org_id:
            raise InputError("a request goes to another organization", field="to_org")
        subjects = tuple(_checked_subjects(conn, viewer, draft.subjects, to_org_id))
        _check_networks_stay(conn, to_org_id, subjects)
        request_id = f"rq-{uuid.uuid4().hex[:16]}"
        pk = conn.execute(
            cooperation_requests.insert()
            .values(
                request_id=request_id,
                request_type=draft.request_type.value,
                from_org_id=from_org_id,
                to_org_id=to_org_id,
                status=(RequestStatus.SENT if send else RequestStatus.DRAFT).value,
                urgency=draft.urgency.value,
                legal_basis=draft.legal_basis,
                subjects=_subjects_json(subjects),
                summary=summary,
                details=draft.details,
                deadline=deadline,
                created_by=draft.created_by,
                created_at=now,
                updated_at=now,
            )
            .returning(cooperation_requests.c.id)
        ).scalar_one()
        _event(conn, pk, from_org_id, draft.created_by, None, "draft", "created", at=now)
        if send:  # a microsecond later, so that the history sorts the same on every node
            _event(conn, pk, from_org_id, draft.created_by, "draft", "sent", None, at=_later(now))
        return _request(_find(conn, viewer, request_id))


def transition(
    store: Store,
    viewer: Viewer,
    request_id: str,
    new_status: RequestStatus,
    note: str | None,
    *,
    actor: str = "unknown",
) -> CooperationRequest:
    """Move a request to NEW_STATUS on behalf of VIEWER's side, and audit the change. An overdue
    request is expired first: nothing moves a request past its deadline but expiry."""
    org_id = _acting_org(viewer)
    check_text(note, "note")
    check_text(actor, "actor")
    _check_length(note, "note")
    _check_length(actor, "actor", required=True)
    expire_overdue(store)
    with store.begin() as conn:
        announce_writer(conn)  # before its stamp: see `bigfish.store.stamps`
        _check_hosted(conn, org_id)
        row = _find(conn, viewer, request_id)
        side = Side.REQUESTER if row.from_org_id == org_id else Side.RECIPIENT
        current = RequestStatus(row.status)
        check_transition(current, new_status, side)
        if new_status is RequestStatus.WITHDRAWN and not (note and note.strip()):
            # It closes the request for the recipient too, who is owed the reason.
            raise InputError("a withdrawal needs a note saying why", field="note")
        now = stamp_now(conn)
        deadline = _utc(row.deadline)
        if new_status is RequestStatus.EXPIRED and (deadline is None or deadline > now):
            raise InputError("only a request past its deadline expires", field="status")
        if new_status is RequestStatus.SENT and deadline is not None and deadline <= now:
            raise InputError("the deadline has passed; create the request again", field="deadline")
        updated = conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.id == row.id, cooperation_requests.c.status == row.status)
            .values(status=new_status.value, updated_at=now)
        )
        if updated.rowcount != 1:
            raise InputError("the request changed meanwhile; try again", field="status")
        # After every change this node has seen, whatever the clocks of the other side's node
        # say, so that the history replays to this status everywhere.
        history = events_of(conn, row.id)
        at = max([now, *(_later(e.at) for e in history)])
        _event(conn, row.id, org_id, actor, current.value, new_status.value, note, at=at)
        return _request(_find(conn, viewer, request_id))


def get_request(store: Store, viewer: Viewer, request_id: str) -> CooperationRequest:
    """One request VIEWER's organization sent or received (expired first if overdue)."""
    expire_overdue(store)
    with store.connect() as conn:
        return _request(_find(conn, viewer, request_id))


@dataclass(frozen=True)
class RequestPage:
    """A page of requests, newest first, and the cursor of the next page (the last request id
    shown; None at the end)."""

    requests: list[CooperationRequest]
    next_cursor: str | None


def _box(viewer: Viewer, box: str) -> sa.ColumnElement[bool]:
    """The requests of VIEWER's BOX: received (`inbox`) or sent (`outbox`), as VIEWER sees them."""
    if box not in ("inbox", "outbox"):
        raise InputError("box is inbox or outbox", field="box")
    org_id = viewer.org_id
    if org_id is None:
        return sa.false()
    column = (
        cooperation_requests.c.to_org_id if box == "inbox" else cooperation_requests.c.from_org_id
    )
    return sa.and_(column == org_id, _visible(viewer))


def _newest_first(viewer: Viewer, box: str, status: RequestStatus | None) -> sa.Select[Any]:
    query = with_parties().where(_box(viewer, box))
    if status is not None:
        query = query.where(cooperation_requests.c.status == status.value)
    return query.order_by(
        cooperation_requests.c.created_at.desc(), cooperation_requests.c.id.desc()
    )


def list_requests(
    store: Store, viewer: Viewer, box: str = "inbox", status: RequestStatus | None = None
) -> list[CooperationRequest]:
    """All requests received (`inbox`) or sent (`outbox`) by VIEWER's organization, newest first
    (`requests_page` reads one page); overdue requests are expired first, so a listing never
    shows one open past its deadline."""
    query = _newest_first(viewer, box, status)
    expire_overdue(store)
    with store.connect() as conn:
        return [_request(row) for row in conn.execute(query)]


def requests_page(
    store: Store,
    viewer: Viewer,
    box: str = "inbox",
    status: RequestStatus | None = None,
    *,
    cursor: str | None = None,
    limit: int,
) -> RequestPage:
    """The page of VIEWER's BOX (as `list_requests`, newest first, overdue requests expired
    first) after the request whose id is CURSOR (the `next_cursor` of the previous page; None:
    from the first), LIMIT long; only the page is read. Keyed, not counted: a request created
    meanwhile comes before the cursor and none repeats. InputError (field `cursor`) for a request
    not in the box."""
    if limit < 1:
        raise InputError("a page holds at least one request", field="limit")
    query = _newest_first(viewer, box, status)
    expire_overdue(store)
    with store.connect() as conn:
        if cursor is not None:
            # Of the box whatever its status now: a request that changed status between two
            # pages still marks the place.
            shown = conn.execute(
                sa.select(cooperation_requests.c.id).where(
                    cooperation_requests.c.request_id == cursor, _box(viewer, box)
                )
            ).scalar()
            if shown is None:
                raise InputError(
                    "cursor must be the next_cursor of a previous page", field="cursor"
                )
            at = (
                sa.select(cooperation_requests.c.created_at)
                .where(cooperation_requests.c.id == shown)
                .scalar_subquery()
            )
            query = query.where(
                sa.or_(
                    cooperation_requests.c.created_at < at,
                    sa.and_(
                        cooperation_requests.c.created_at == at,
                        cooperation_requests.c.id < shown,
                    ),
                )
            )
        rows = conn.execute(query.limit(limit + 1)).all()  # one more: is there a next page?
    page = [_request(row) for row in rows[:limit]]
    following = page[-1].request_id if len(rows) > limit else None
    return RequestPage(page, following)


def events_of(conn: Connection, request_pk: int) -> list[RequestEvent]:
    """The history of request REQUEST_PK in replay order (time, then event id)."""
    rows = conn.execute(
        sa.select(request_events, organizations.c.name)
        .join(organizations, organizations.c.id == request_events.c.actor_org_id)
        .where(request_events.c.request_pk == request_pk)
    ).all()
    events = [
        RequestEvent(
            _utc(r.at) or datetime.now(UTC),
            r.name,
            r.actor,
            RequestStatus(r.from_status) if r.from_status else None,
            RequestStatus(r.to_status),
            r.note,
            r.event_id,
        )
        for r in rows
    ]
    return sorted(events, key=lambda e: (e.at, e.event_id))


def request_history(store: Store, viewer: Viewer, request_id: str) -> list[RequestEvent]:
    """Every audited change of one request, oldest first."""
    with store.connect() as conn:
        return events_of(conn, _find(conn, viewer, request_id).id)


def expire_overdue(store: Store, *, now: datetime | None = None) -> int:
    """Mark open requests past their deadline expired (an audited system change); the count.

    The expiry is recorded at the deadline under an id derived from the request id, so the two
    nodes of a request that both notice the deadline record the same event. A read finds
    nothing to do in the common case, so listings may call this without taking the write lock.
    NOW (this node's clock by default) decides what is overdue; the requests are stamped with
    the store's clock as it is once announced as a writer (`bigfish.store.stamps.stamp_now`),
    never with NOW: a NOW ahead of it would stamp past changes made after.
    """
    now = now or datetime.now(UTC)
    overdue = sa.select(
        cooperation_requests.c.id,
        cooperation_requests.c.request_id,
        cooperation_requests.c.status,
        cooperation_requests.c.to_org_id,
        cooperation_requests.c.deadline,
    ).where(
        cooperation_requests.c.status.in_([s.value for s in OPEN]),
        cooperation_requests.c.deadline < now,
    )
    with store.connect() as conn:
        if conn.execute(overdue.limit(1)).first() is None:
            return 0
    with store.begin() as conn:
        announce_writer(conn)
        stamp = stamp_now(conn)
        rows = conn.execute(overdue).all()
        for row in rows:
            deadline = _utc(row.deadline) or now
            # The status at the deadline: the same on both nodes that hold the same history.
            history = events_of(conn, row.id)
            before = replay([e for e in history if e.at < deadline])
            if before not in OPEN:  # a deadline set before the request was sent (by hand)
                before, deadline = RequestStatus(row.status), _later(history[-1].at)
            assert before is not None
            event_id = expiry_event_id(row.request_id, before)
            if any(e.event_id == event_id for e in history):
                continue  # held already (ties to the microsecond at the deadline only)
            _event(
                conn,
                row.id,
                row.to_org_id,
                "system",
                before.value,
                RequestStatus.EXPIRED.value,
                EXPIRY_NOTE,
                at=deadline,
                event_id=event_id,
            )
            settle_status(conn, row.id, stamp)
    return len(rows)


def settle_status(conn: Connection, request_pk: int, now: datetime) -> RequestStatus | None:
    """Set request REQUEST_PK's status to what its whole history replays to, stamped NOW; the
    status. CONN's transaction announced itself as a writer before NOW was taken."""
    status = replay(events_of(conn, request_pk))
    if status is not None:
        conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.id == request_pk)
            .values(status=status.value, updated_at=now)
        )
    return status


def acting_as(store: Store, org: str, role: ApiRole = ApiRole.ADMIN) -> Viewer:
    """The viewer of organization ORG with its groups, for the operator acting as ORG at the CLI."""
    with store.connect() as conn:
        return dataclasses.replace(_viewer_of(conn, _org_id(conn, org, "org")), role=role)

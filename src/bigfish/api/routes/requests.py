"""Cooperation request routes and the point-of-contact directory (thin shells).

A request is visible to its two organizations only; the requesting organization is the
caller's, whatever a body says (owner fields sent by a client are ignored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from bigfish.accounts import Principal
from bigfish.api.deps import PAGE, Access, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import ERRORS, Body
from bigfish.api.strict import StrictJsonRoute
from bigfish.cooperation.contacts import add_contact, list_contacts
from bigfish.cooperation.model import (
    Contact,
    CooperationRequest,
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
    legal_bases,
)
from bigfish.cooperation.service import (
    create_request,
    get_request,
    request_history,
    requests_page,
    transition,
)
from bigfish.errors import InputError
from bigfish.models import iso_z

router = APIRouter(tags=["requests"], responses=ERRORS, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]
Writer = Annotated[Principal, Depends(requires(Access.WRITE))]


class SubjectIn(Body):
    """An identifier (with its kind), a report (`org/report_id`) or a network id."""

    kind: SubjectKind
    value: str = Field(min_length=1, max_length=2000)
    identifier_kind: str | None = Field(default=None, max_length=20)


class RequestIn(Body):
    """A new request from the caller's organization (a `from_org` sent is ignored: the key
    decides)."""

    ignored: ClassVar[frozenset[str]] = Body.ignored | {"from_org"}

    to_org: str = Field(min_length=1, max_length=100)
    type: RequestType
    legal_basis: str = Field(min_length=1, max_length=40)
    summary: str = Field(min_length=1, max_length=500)
    subjects: list[SubjectIn] = Field(min_length=1, max_length=1000)
    urgency: Urgency = Urgency.ROUTINE
    deadline: datetime | None = None
    details: str | None = Field(default=None, max_length=20000)
    send: bool = False


class StatusIn(Body):
    """A status change with its reason."""

    status: RequestStatus
    note: str | None = Field(default=None, max_length=5000)


class RequestView(BaseModel):
    """A request as both sides see it."""

    request_id: str
    type: RequestType
    from_org: str
    to_org: str
    status: RequestStatus
    urgency: Urgency
    legal_basis: str
    legal_basis_to_confirm: bool
    summary: str
    details: str | None
    subjects: list[SubjectIn]
    deadline: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    history: list[dict[str, Any]] | None = None


class RequestList(BaseModel):
    """A page of requests, and the cursor of the next (None at the end)."""

    requests: list[RequestView]
    next_cursor: str | None = None


class ContactIn(Body):
    """A point of contact of the caller's organization."""

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=320)
    always_available: bool = False
    languages: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)


class ContactView(ContactIn):
    """A point of contact in the directory."""

    org: str


def request_view(r: CooperationRequest, history: list[dict[str, Any]] | None = None) -> RequestView:
    """The API form of a request."""
    return RequestView(
        request_id=r.request_id,
        type=r.request_type,
        from_org=r.from_org,
        to_org=r.to_org,
        status=r.status,
        urgency=r.urgency,
        legal_basis=r.legal_basis,
        legal_basis_to_confirm=r.legal_basis_confirm,
        summary=r.summary,
        details=r.details,
        subjects=[
            SubjectIn(kind=s.kind, value=s.value, identifier_kind=s.identifier_kind)
            for s in r.subjects
        ],
        deadline=r.deadline,
        created_by=r.created_by,
        created_at=r.created_at,
        updated_at=r.updated_at,
        history=history,
    )


@router.post("/requests", response_model=RequestView, status_code=201)
def create(body: RequestIn, request: Request, principal: Writer) -> RequestView:
    """Create a request from the caller's organization (a draft, or sent with `send: true`)."""
    draft = RequestDraft(
        to_org=body.to_org,
        request_type=body.type,
        legal_basis=body.legal_basis,
        summary=body.summary,
        subjects=tuple(Subject(s.kind, s.value, s.identifier_kind) for s in body.subjects),
        urgency=body.urgency,
        deadline=body.deadline,
        details=body.details,
        created_by=principal.actor,
    )
    created = create_request(request.app.state.store, principal.viewer(), draft, send=body.send)
    return request_view(created)


@router.get("/requests", response_model=RequestList)
def list_(
    request: Request,
    principal: Reader,
    box: Annotated[str, Query(pattern="^(inbox|outbox)$")] = "inbox",
    status: RequestStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = PAGE,
) -> RequestList:
    """Requests the caller's organization received (`inbox`) or sent (`outbox`), a page at a
    time."""
    try:
        found = requests_page(
            request.app.state.store, principal.viewer(), box, status, cursor=cursor, limit=limit
        )
    except InputError as exc:
        if exc.field == "cursor":  # 400, as the API has answered a cursor it did not give
            raise ApiError(400, exc.message, details={"field": "cursor"}) from None
        raise
    return RequestList(
        requests=[request_view(r) for r in found.requests], next_cursor=found.next_cursor
    )


def _history(request: Request, principal: Principal, request_id: str) -> list[dict[str, Any]]:
    return [
        {
            "at": iso_z(e.at),
            "org": e.org,
            "actor": e.actor,
            "from": e.from_status.value if e.from_status else None,
            "to": e.to_status.value,
            "note": e.note,
        }
        for e in request_history(request.app.state.store, principal.viewer(), request_id)
    ]


@router.get("/requests/{request_id}", response_model=RequestView)
def show(request_id: str, request: Request, principal: Reader) -> RequestView:
    """One request with its audited history."""
    found = get_request(request.app.state.store, principal.viewer(), request_id)
    return request_view(found, _history(request, principal, request_id))


@router.post("/requests/{request_id}/status", response_model=RequestView)
def change_status(
    request_id: str, body: StatusIn, request: Request, principal: Writer
) -> RequestView:
    """Move a request along its workflow on behalf of the caller's side (audited)."""
    changed = transition(
        request.app.state.store,
        principal.viewer(),
        request_id,
        body.status,
        body.note,
        actor=principal.actor,
    )
    return request_view(changed, _history(request, principal, request_id))


@router.get("/legal-bases")
def bases(principal: Reader) -> dict[str, list[dict[str, Any]]]:
    """The legal bases a request may cite; `confirm` marks articles the operator must confirm."""
    return {
        "legal_bases": [
            {
                "id": b.id,
                "convention": b.convention,
                "article": b.article,
                "title": b.title,
                "request_types": sorted(t.value for t in b.request_types),
                "confirm": b.confirm,
                "corresponds_to": b.corresponds_to,
            }
            for b in legal_bases().values()
        ]
    }


@router.get("/contacts", response_model=list[ContactView])
def contacts(
    request: Request, principal: Reader, org: Annotated[str | None, Query(max_length=100)] = None
) -> list[ContactView]:
    """The partnership's point-of-contact directory, 24/7 points first."""
    return [
        ContactView(**{k: getattr(c, k) for k in ContactView.model_fields})
        for c in list_contacts(request.app.state.store, principal.viewer(), org)
    ]


@router.post("/contacts", response_model=ContactView, status_code=201)
def add(body: ContactIn, request: Request, principal: Writer) -> ContactView:
    """Add a point of contact to the caller's organization."""
    contact = Contact(
        principal.org_name,
        body.name,
        body.role,
        body.phone,
        body.email,
        body.always_available,
        body.languages,
        body.timezone,
    )
    add_contact(request.app.state.store, principal.viewer(), contact)
    return ContactView(org=principal.org_name, **body.model_dump())

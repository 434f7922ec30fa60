"""Vocabularies, value objects and the status workflow of cooperation requests (pure)."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources

from bigfish.errors import AccessDenied, InputError


class RequestType(StrEnum):
    """What is asked for."""

    PRESERVATION = "preservation"  # expedited preservation of stored data
    PRODUCTION = "production"  # production / disclosure
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    TAKEDOWN = "takedown"  # a domain, handle or number
    PAYMENT_FREEZE = "payment_freeze"
    PAYMENT_RECALL = "payment_recall"


class Urgency(StrEnum):
    """How fast: emergency means a threat to life or of irreparable loss."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class RequestStatus(StrEnum):
    """Where a request stands."""

    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # by the requester, while it is open (sent, acknowledged, in progress)


class Side(StrEnum):
    """Which end of a request an organization is."""

    REQUESTER = "requester"
    RECIPIENT = "recipient"


class SubjectKind(StrEnum):
    """What a request is about."""

    IDENTIFIER = "identifier"
    REPORT = "report"
    NETWORK = "network"


_EXPIRY_NAMESPACE = uuid.UUID("0c7d3f5e-9a41-5b7e-8f2d-3e6a1b9c4d70")

#: The note of an expiry, the same on every node that records it (it is the one change that
#: travels unsigned, so it carries nothing a node could make up).
EXPIRY_NOTE = "deadline passed"

OPEN = frozenset({RequestStatus.SENT, RequestStatus.ACKNOWLEDGED, RequestStatus.IN_PROGRESS})

#: Who may move a request from one status to another. Expiry is allowed to either side once the
#: deadline has passed (checked by the service, which knows the clock).
TRANSITIONS: dict[tuple[RequestStatus, RequestStatus], frozenset[Side]] = {
    (RequestStatus.DRAFT, RequestStatus.SENT): frozenset({Side.REQUESTER}),
    (RequestStatus.SENT, RequestStatus.ACKNOWLEDGED): frozenset({Side.RECIPIENT}),
    (RequestStatus.SENT, RequestStatus.DECLINED): frozenset({Side.RECIPIENT}),
    (RequestStatus.ACKNOWLEDGED, RequestStatus.IN_PROGRESS): frozenset({Side.RECIPIENT}),
    (RequestStatus.ACKNOWLEDGED, RequestStatus.DECLINED): frozenset({Side.RECIPIENT}),
    (RequestStatus.IN_PROGRESS, RequestStatus.FULFILLED): frozenset({Side.RECIPIENT}),
    (RequestStatus.IN_PROGRESS, RequestStatus.DECLINED): frozenset({Side.RECIPIENT}),
    **{(s, RequestStatus.EXPIRED): frozenset(Side) for s in OPEN},
    **{(s, RequestStatus.WITHDRAWN): frozenset({Side.REQUESTER}) for s in OPEN},
}


def check_transition(current: RequestStatus, new: RequestStatus, side: Side) -> None:
    """InputError unless a request may move from CURRENT to NEW; AccessDenied unless SIDE is
    the one that makes that move."""
    allowed = TRANSITIONS.get((current, new))
    if allowed is None:
        nexts = sorted(n.value for (c, n) in TRANSITIONS if c is current)
        raise InputError(
            f"a request that is {current.value} cannot become {new.value}"
            + (f" (it can become: {', '.join(nexts)})" if nexts else " (it is closed)"),
            field="status",
        )
    if side not in allowed:  # a change the other side makes: forbidden, not malformed (class 7)
        raise AccessDenied(
            f"only the {' or '.join(sorted(s.value for s in allowed))} may make a request "
            f"{new.value}"
        )


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing a request is about: an identifier (canonical), a report or a network."""

    kind: SubjectKind
    value: str  # canonical identifier, "org/report_id" or a network id
    identifier_kind: str | None = None  # for identifiers: the canonical kind


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """What a requester fills in."""

    to_org: str
    request_type: RequestType
    legal_basis: str
    summary: str
    subjects: tuple[Subject, ...]
    urgency: Urgency = Urgency.ROUTINE
    deadline: datetime | None = None
    details: str | None = None
    created_by: str = "unknown"


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One audited status change."""

    at: datetime
    org: str
    actor: str
    from_status: RequestStatus | None
    to_status: RequestStatus
    note: str | None
    event_id: str = ""  # the same on both sides' nodes


def expiry_event_id(request_id: str, from_status: RequestStatus) -> str:
    """The id of a request's expiry from FROM_STATUS: the same whichever node notices the
    deadline first, so that two nodes expiring one request record one event."""
    return "re-" + uuid.uuid5(_EXPIRY_NAMESPACE, f"{request_id}:{from_status.value}").hex


def new_event_id() -> str:
    """A fresh id for a status change."""
    return "re-" + uuid.uuid4().hex


def replay(events: list[RequestEvent]) -> RequestStatus | None:
    """The status a history leads to: events in (time, id) order, each applied when it starts
    from the status reached so far; one that does not (a change made concurrently on the other
    side's node, e.g. fulfilled after the other side saw the request expire) stays in the history
    but changes nothing. Every node holding the same events reaches the same status."""
    status: RequestStatus | None = None
    for event in sorted(events, key=lambda e: (e.at, e.event_id)):
        if event.from_status is status:
            status = event.to_status
    return status


@dataclass(frozen=True, slots=True)
class CooperationRequest:
    """A request as both sides see it."""

    request_id: str
    request_type: RequestType
    from_org: str
    to_org: str
    status: RequestStatus
    urgency: Urgency
    legal_basis: str
    legal_basis_confirm: bool  # the basis is marked for the operator to confirm
    summary: str
    details: str | None
    subjects: tuple[Subject, ...]
    deadline: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """One article of a convention a request may cite."""

    id: str
    convention: str
    article: str
    title: str
    request_types: frozenset[RequestType]
    confirm: bool
    corresponds_to: str | None


@cache
def legal_bases() -> dict[str, LegalBasis]:
    """The shipped table of legal bases (data/legal_bases.toml), by id."""
    text = resources.files("bigfish.data").joinpath("legal_bases.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return {
        b["id"]: LegalBasis(
            id=b["id"],
            convention=b["convention"],
            article=b["article"],
            title=b["title"],
            request_types=frozenset(RequestType(t) for t in b["request_types"]),
            confirm=bool(b.get("confirm", False)),
            corresponds_to=b.get("corresponds_to"),
        )
        for b in table["basis"]
    }


def check_legal_basis(basis_id: str, request_type: RequestType) -> LegalBasis:
    """The basis BASIS_ID, if it exists and covers REQUEST_TYPE; InputError otherwise."""
    basis = legal_bases().get(basis_id)
    if basis is None:
        raise InputError(
            f"unknown legal basis {basis_id!r}; choose one of {', '.join(sorted(legal_bases()))}",
            field="legal_basis",
        )
    if request_type not in basis.request_types:
        raise InputError(
            f"{basis.convention} art. {basis.article} does not cover {request_type.value} requests",
            field="legal_basis",
        )
    return basis


@dataclass(frozen=True, slots=True)
class Contact:
    """A point of contact of an organization; `always_available` marks the 24/7 point."""

    org: str
    name: str
    role: str
    phone: str | None
    email: str | None
    always_available: bool
    languages: str | None = None
    timezone: str | None = None

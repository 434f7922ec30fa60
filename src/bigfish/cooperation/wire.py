"""The `x-bigfish-cooperation-request` STIX object (pure): a request and its whole history as
one object, and back, every field checked. See `bigfish.cooperation.federation` for how it
travels."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from typing import Any

from bigfish.cooperation.model import (
    TRANSITIONS,
    RequestEvent,
    RequestStatus,
    RequestType,
    Side,
    Subject,
    SubjectKind,
    Urgency,
    check_legal_basis,
    replay,
)
from bigfish.cooperation.signing import FINGERPRINT, SIGNATURE
from bigfish.errors import InputError, check_text
from bigfish.interop.markings import BIGFISH_NAMESPACE, TLP2_IDS
from bigfish.interop.stix import org_identity_id, timestamp
from bigfish.models import TLP
from bigfish.organizations import _check_name

REQUEST_TYPE = "x-bigfish-cooperation-request"
REQUEST_EXTENSION = (
    f"extension-definition--{uuid.uuid5(BIGFISH_NAMESPACE, 'bigfish-cooperation-request')}"
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")


@dataclass(frozen=True, slots=True)
class RemoteRequest:
    """A request as a peer described it, checked field by field."""

    request_id: str
    request_type: RequestType
    from_org: str
    to_org: str
    urgency: Urgency
    legal_basis: str
    summary: str
    details: str | None
    subjects: tuple[Subject, ...]
    deadline: datetime | None
    created_by: str
    created_at: datetime
    events: tuple[RequestEvent, ...]
    #: event id -> (signature, fingerprint of the key that made it), for the events that carry one
    signatures: Mapping[str, tuple[str, str]] = dataclass_field(default_factory=dict)
    node_key: str | None = None  # PEM of the serving node's public key
    #: what the request asks, as its events' signatures cover it (`request_content`)
    content: Mapping[str, Any] = dataclass_field(default_factory=dict)


#: The fields of a request object that say what it asks: they never change after it is made.
CONTENT_FIELDS = (
    "request_id",
    "request_type",
    "from_org",
    "to_org",
    "urgency",
    "legal_basis",
    "summary",
    "details",
    "deadline",
    "created_by",
    "created",
)


def request_content(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What request object OBJ asks, in one form whichever node wrote the object (a field left
    out is None): the part of a request its events' signatures cover
    (`bigfish.cooperation.signing`)."""
    keys = ("kind", "value", "identifier_kind")
    listed = obj.get("subjects") or []
    subjects = [{key: s.get(key) for key in keys} for s in listed if isinstance(s, Mapping)]
    return {field: obj.get(field) for field in CONTENT_FIELDS} | {"subjects": subjects}


def stix_id(request_id: str) -> str:
    """The STIX id of request REQUEST_ID (the same on every node)."""
    return f"{REQUEST_TYPE}--{uuid.uuid5(BIGFISH_NAMESPACE, 'request:' + request_id)}"


def utc(value: datetime) -> datetime:
    """VALUE in UTC (a naive value is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def request_object(
    row: Any,
    events: Sequence[RequestEvent],
    signatures: Mapping[str, tuple[str, str]] | None = None,
    node_key: str | None = None,
) -> dict[str, Any]:
    """The STIX object of one request (ROW joined with its organizations' names) and history,
    each event with its SIGNATURES entry (signature, signer's fingerprint) when it has one, and
    NODE_KEY (the serving node's public key, PEM) when given."""
    signed = signatures or {}
    created = utc(row.created_at)
    obj: dict[str, Any] = {
        "type": REQUEST_TYPE,
        "spec_version": "2.1",
        "id": stix_id(row.request_id),
        "created": timestamp(created),
        "modified": timestamp(max([created, *(e.at for e in events)])),
        "created_by_ref": org_identity_id(row.from_name),
        "object_marking_refs": [TLP2_IDS[TLP.AMBER_STRICT]],
        "extensions": {REQUEST_EXTENSION: {"extension_type": "new-sdo"}},
        "request_id": row.request_id,
        "request_type": row.request_type,
        "from_org": row.from_name,
        "to_org": row.to_name,
        "status": row.status,
        "urgency": row.urgency,
        "legal_basis": row.legal_basis,
        "summary": row.summary,
        "subjects": list(row.subjects),
        "created_by": row.created_by,
        "history": [
            {
                "event_id": e.event_id,
                "at": timestamp(e.at),
                "org": e.org,
                "actor": e.actor,
                "from_status": e.from_status.value if e.from_status else None,
                "to_status": e.to_status.value,
                **({"note": e.note} if e.note is not None else {}),
                **(
                    {"signature": signed[e.event_id][0], "signed_by": signed[e.event_id][1]}
                    if e.event_id in signed
                    else {}
                ),
            }
            for e in events
        ],
    }
    if node_key is not None:
        obj["node_key"] = node_key
    if row.details is not None:
        obj["details"] = row.details
    if row.deadline is not None:
        obj["deadline"] = timestamp(utc(row.deadline))
    return obj


def _text(
    obj: Mapping[str, Any], field: str, limit: int, *, required: bool = True, within: str = ""
) -> str | None:
    """OBJ's text FIELD; an InputError names it as WITHIN + FIELD (``history[3].note``), so that
    a peer's operator can find which event or subject of the object was refused."""
    where = within + field
    value = obj.get(field)
    if value is None and not required:
        return None
    # Optional text may be blank: a node stores and signs a blank note or details as given, so
    # refusing it here refused the whole request on every pull.
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InputError(
            f"{field} must be text of {1 if required else 0}-{limit} characters", field=where
        )
    check_text(value, where)  # a NUL failed the whole pull on PostgreSQL
    return value


def _time(obj: Mapping[str, Any], field: str, *, within: str = "") -> datetime:
    where = within + field
    text = _text(obj, field, 40, within=within) or ""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{field} is not an RFC 3339 timestamp", field=where) from None
    if value.tzinfo is None:
        raise InputError(f"{field} needs a time zone", field=where)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar: it ended the whole pull
        raise InputError(f"{field} is out of range once in UTC", field=where) from None


def _status(value: object, field: str) -> RequestStatus:
    try:
        return RequestStatus(str(value))
    except ValueError:
        raise InputError(f"unknown status {value!r}", field=field) from None


def _event(item: object, sides: Mapping[str, Side], index: int) -> RequestEvent:
    field = f"history[{index}]"
    within = field + "."
    if not isinstance(item, dict):
        raise InputError("an event is an object", field=field)
    event_id = _text(item, "event_id", 40, within=within) or ""
    if not _ID.match(event_id):
        raise InputError("not a valid event id", field=f"{field}.event_id")
    org = _text(item, "org", 100, within=within) or ""
    side = sides.get(org)
    if side is None:
        raise InputError(f"{org!r} is not a party to the request", field=f"{field}.org")
    raw_from = item.get("from_status")
    old = None if raw_from is None else _status(raw_from, f"{field}.from_status")
    new = _status(item.get("to_status"), f"{field}.to_status")
    allowed = (
        frozenset({Side.REQUESTER})
        if (old, new) == (None, RequestStatus.DRAFT)
        else TRANSITIONS.get((old, new), frozenset())  # type: ignore[arg-type]
    )
    if side not in allowed:
        raise InputError(
            f"{org} (the {side.value}) cannot make a request "
            f"{old.value if old else 'new'} -> {new.value}",
            field=f"{field}.to_status",
        )
    note = _text(item, "note", 5000, required=False, within=within)
    return RequestEvent(
        _time(item, "at", within=within),
        org,
        _text(item, "actor", 200, within=within) or "",
        old,
        new,
        note,
        event_id,
    )


def _signature(item: Mapping[str, Any], index: int) -> tuple[str, str] | None:
    """(signature, signer's fingerprint) of history item INDEX, or None when it carries none."""
    signature, signer = item.get("signature"), item.get("signed_by")
    if signature is None and signer is None:
        return None
    field = f"history[{index}]"
    if not isinstance(signature, str) or not SIGNATURE.match(signature):
        raise InputError("not an Ed25519 signature in hex", field=f"{field}.signature")
    if not isinstance(signer, str) or not FINGERPRINT.match(signer):
        raise InputError("not a key fingerprint (SHA-256, hex)", field=f"{field}.signed_by")
    return signature, signer


def _subjects(value: object) -> tuple[Subject, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 1000:
        raise InputError("subjects is a list of 1-1000 subjects", field="subjects")
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InputError("a subject is an object", field=f"subjects[{i}]")
        try:
            kind = SubjectKind(str(item.get("kind")))
        except ValueError:
            raise InputError(
                f"unknown subject kind {item.get('kind')!r}", field=f"subjects[{i}].kind"
            ) from None
        # Stored as sent, never cut or converted: the events' signatures cover it as sent, and
        # a later version of the request must equal the one held (`federation._check_content`).
        ident_kind = item.get("identifier_kind")
        if ident_kind is not None and (not isinstance(ident_kind, str) or len(ident_kind) > 20):
            raise InputError(
                "an identifier kind is text of at most 20 characters",
                field=f"subjects[{i}].identifier_kind",
            )
        check_text(ident_kind, f"subjects[{i}].identifier_kind")
        found.append(
            Subject(kind, _text(item, "value", 2000, within=f"subjects[{i}].") or "", ident_kind)
        )
    return tuple(found)


def _party_name(obj: Mapping[str, Any], field: str) -> str:
    """OBJ's organization FIELD (from_org, to_org), an InputError naming that field."""
    try:
        return _check_name(_text(obj, field, 100) or "")
    except InputError as exc:
        raise InputError(exc.message, field=field) from None


def parse_request(obj: Mapping[str, Any]) -> RemoteRequest:
    """The request OBJ describes, or InputError naming the first field that is wrong."""
    request_id = _text(obj, "request_id", 40) or ""
    if not _ID.match(request_id) or obj.get("id") != stix_id(request_id):
        raise InputError("request_id is not valid or does not match the object id", field="id")
    try:
        request_type = RequestType(str(obj.get("request_type")))
    except ValueError as exc:
        raise InputError(str(exc), field="request_type") from None
    try:
        urgency = Urgency(str(obj.get("urgency")))
    except ValueError as exc:
        raise InputError(str(exc), field="urgency") from None
    basis = _text(obj, "legal_basis", 40) or ""
    check_legal_basis(basis, request_type)
    from_org = _party_name(obj, "from_org")
    to_org = _party_name(obj, "to_org")
    if from_org == to_org:
        raise InputError("a request goes to another organization", field="to_org")
    sides = {from_org: Side.REQUESTER, to_org: Side.RECIPIENT}
    history = obj.get("history")
    if not isinstance(history, list) or not 1 <= len(history) <= 1000:
        raise InputError("history is a list of 1-1000 events", field="history")
    events = tuple(_event(item, sides, i) for i, item in enumerate(history))
    signatures = {
        e.event_id: signed
        for i, (e, item) in enumerate(zip(events, history, strict=True))
        if (signed := _signature(item, i)) is not None
    }
    first: dict[str, int] = {}
    for i, event in enumerate(events):
        if first.setdefault(event.event_id, i) != i:
            raise InputError(
                f"history[{first[event.event_id]}] has the same id", field=f"history[{i}].event_id"
            )
    status = replay(list(events))
    if status is None or status is RequestStatus.DRAFT:
        raise InputError("a draft never leaves its node", field="history")
    return RemoteRequest(
        request_id=request_id,
        request_type=request_type,
        from_org=from_org,
        to_org=to_org,
        urgency=urgency,
        legal_basis=basis,
        summary=_text(obj, "summary", 500) or "",
        details=_text(obj, "details", 20000, required=False),
        subjects=_subjects(obj.get("subjects")),
        deadline=_time(obj, "deadline") if obj.get("deadline") is not None else None,
        created_by=_text(obj, "created_by", 200) or "",
        created_at=_time(obj, "created"),
        events=events,
        signatures=signatures,
        node_key=_text(obj, "node_key", 1000, required=False),
        content=request_content(obj),
    )

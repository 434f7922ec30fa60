"""Pydantic models of the API's bodies and answers: the boundary only, never the core."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from bigfish.intake.records import IDENTIFIER_COLUMNS
from bigfish.models import TLP, ApiRole, Channel, Distribution, Kind, Role, ScamType
from bigfish.reports import OWNER_FIELDS
from bigfish.webhooks import MAX_URL_LENGTH

MAX_BATCH = 10_000
HEX64 = r"^[0-9a-fA-F]{64}$"

#: A database id in a path: a positive 32-bit integer.
DbId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    details: Any = None


class ErrorDocument(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorDocument, "description": text}
    for status, text in (
        (400, "Bad request (unknown parameter, bad cursor, a body that is not valid JSON)"),
        (401, "Missing, unknown or revoked API key"),
        (403, "The key's role may not do this"),
        (404, "Not found, or not visible to the caller"),
        (413, "Body too large"),
        (415, "The body is not sent as application/json"),
        (422, "Invalid input; the field is named"),
        (429, "Rate limit; see Retry-After"),
        (503, "The node could not complete or record the request; try again"),
    )
}

#: What a route that may refuse because of the state of what it acts on answers besides ERRORS.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorDocument,
        "description": "Refused in the state it is in (code conflict: a report holding"
        " evidence, evidence disposed of; code integrity_error: the custody log or the stored"
        " bytes do not verify)",
    }
}


class Body(BaseModel):
    """A request body: a field it does not have is refused (422 naming it), never dropped
    without a word: a misspelt `distribution` kept a batch inside its organization, a misspelt
    `country` looked a number up in no country, and both answered 200. Owner fields
    (`bigfish.reports.OWNER_FIELDS`) a body does not declare are still ignored: the key decides
    (spec/security-tests.md class 6)."""

    model_config = ConfigDict(extra="forbid")

    #: Fields a client may send and the key decides instead: dropped, not refused.
    ignored: ClassVar[frozenset[str]] = OWNER_FIELDS

    @model_validator(mode="before")
    @classmethod
    def _ignore_owner_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items() if k not in cls.ignored or k in cls.model_fields}


class Health(BaseModel):
    """The node answers."""

    status: str
    version: str


#: One report of spec/reports.md in JSON, as the documentation shows it. The route reads each one
#: itself, so that a bad report is rejected with its index and field and the others are stored.
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["report_id", "reported_at", "country"],
    "properties": {
        "report_id": {"type": "string", "maxLength": 200},
        "reported_at": {"type": "string", "description": "ISO 8601 date or date-time"},
        "country": {"type": "string", "description": "ISO 3166-1 alpha-2", "example": "TH"},
        "scam_type": {"type": "string", "enum": [t.value for t in ScamType]},
        "channel": {"type": "string", "enum": [c.value for c in Channel]},
        "loss_amount": {
            "type": ["string", "number"],
            "description": "decimal with '.' as the separator",
            "example": "35000.00",
        },
        "loss_currency": {"type": "string", "description": "ISO 4217, with an amount"},
        "narrative": {"type": "string", "description": "free text in any language"},
        "identifiers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "value"],
                "properties": {
                    "kind": {"type": "string", "enum": [k.value for k in Kind]},
                    "value": {"type": "string"},
                    "role": {"type": "string", "enum": [r.value for r in Role]},
                },
            },
        },
        **{
            column: {"type": "array", "items": {"type": "string"}, "description": f"{kind} values"}
            for column, kind in IDENTIFIER_COLUMNS.items()
        },
    },
    "additionalProperties": {
        "type": ["string", "number"],
        "description": "kept as the report's attributes",
    },
}


class ReportBatch(Body):
    """Reports as in spec/reports.md JSON Lines, with the markings of the whole batch."""

    reports: Annotated[
        list[Any],
        WithJsonSchema({"type": "array", "items": REPORT_SCHEMA, "maxItems": MAX_BATCH}),
    ] = Field(max_length=MAX_BATCH)
    tlp: TLP = TLP.AMBER
    distribution: Distribution = Distribution.ORGANIZATION
    group: str | None = None


class Rejection(BaseModel):
    """A report of the batch that was not stored, and why."""

    index: int
    report_id: str | None
    reason: str
    field: str | None = None


class SubmitResult(BaseModel):
    """received = stored + updated + len(rejected)."""

    received: int
    stored: int
    updated: int
    rejected: list[Rejection]


class IdentifierView(BaseModel):
    """One identifier of a report."""

    kind: str
    canonical: str
    valid: bool
    raw: str
    source: str
    role: str | None


class ReportView(BaseModel):
    """A report as the caller may see it."""

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
    identifiers: list[IdentifierView]
    created_at: datetime
    updated_at: datetime


class ReportPage(BaseModel):
    """One page of reports; pass `next_cursor` as `cursor` for the next."""

    reports: list[ReportView]
    next_cursor: str | None


class Remark(BaseModel):
    """New markings of one report. `org` and `report_id`, when sent, must match the path."""

    model_config = ConfigDict(extra="forbid")

    tlp: TLP | None = None
    distribution: Distribution | None = None
    group: str | None = None
    org: str | None = None
    report_id: str | None = None


class LinkStopAnswer(BaseModel):
    """Why a value does not link the reports that mention it."""

    reason: str = Field(description="pin, warning_list, hub_groups or hub_degree")
    detail: str = Field(description="the warning list's name, the pin's note, or the hub test's")


class LookupAnswer(BaseModel):
    """What the caller may know about one identifier."""

    canonical_kind: str
    canonical: str
    valid: bool
    report_count: int
    organizations: list[str]
    countries: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    networks: list[int]
    links: bool | None = Field(
        None,
        description="Whether the value joins the reports that mention it into networks; false"
        " for shared infrastructure (see stopped), whose networks are only those its reports are"
        " in; null when the caller sees none of its reports.",
    )
    stopped: LinkStopAnswer | None = Field(
        None, description="Why the value does not link (links false); else null."
    )


class LookupQuery(Body):
    """One identifier to look up."""

    kind: Kind
    value: str = Field(min_length=1, max_length=2000)
    country: str | None = Field(default=None, max_length=2)


class BatchLookup(Body):
    """Up to 10,000 identifiers."""

    identifiers: list[LookupQuery] = Field(max_length=MAX_BATCH)


class MatchRequest(Body):
    """Blinded values (hex HMAC-SHA256 under a group's community key)."""

    blinded: list[str] = Field(max_length=MAX_BATCH)
    group: str | None = Field(default=None, min_length=1, max_length=100)


class MatchHit(BaseModel):
    """A blinded value that matches something the caller may see."""

    blinded: str
    report_count: int


class MatchAnswer(BaseModel):
    """Only the matches; nothing about the other values."""

    matches: list[MatchHit]


class AlertIdentifier(BaseModel):
    """The identifier both organizations hold."""

    kind: str
    canonical: str


class AlertReport(BaseModel):
    """The other organization's report that mentions it."""

    org: str
    report_id: str
    country: str
    reported_at: datetime


class AlertView(BaseModel):
    """Another organization reported an identifier the caller holds."""

    id: str
    created_at: datetime
    identifier: AlertIdentifier
    report: AlertReport


class AlertPage(BaseModel):
    """One page of alerts, oldest first."""

    alerts: list[AlertView]
    next_cursor: str | None
    as_of: datetime | None = Field(
        description=(
            "Poll next with since=as_of: every alert not in this answer or earlier pages and"
            " dated at or before it was served; later alerts are dated after it. Null when"
            " there are no reports."
        )
    )


class OrgIn(Body):
    """A new organization (platform admins only)."""

    name: str = Field(min_length=1, max_length=100)
    country: str | None = Field(default=None, max_length=2)
    sector: str | None = None


class OrgView(BaseModel):
    """An organization of the partnership."""

    name: str
    country: str | None
    sector: str | None


class OrgNodeView(OrgView):
    """An organization of the partnership in the directory; a platform admin is also shown
    the node it lives on (`node`: its URL, null for this node's own organizations) and the key
    pinned for that node (`node_key`: the SHA-256 fingerprint, `node_key_pinned_by`: "operator"
    or "first use"; both null while none is pinned). Others get no such fields."""

    node: str | None = None
    node_key: str | None = None
    node_key_pinned_by: str | None = None


class KeyIn(Body):
    """A new API key; `org` defaults to the caller's organization."""

    role: ApiRole = ApiRole.ANALYST
    org: str | None = Field(default=None, min_length=1, max_length=100)
    label: str | None = Field(default=None, max_length=200)
    platform: bool = False


class KeyCreated(BaseModel):
    """The new key, shown this once."""

    id: int
    key: str
    org: str
    role: ApiRole
    platform: bool


class KeyView(BaseModel):
    """What is kept about a key (never the key)."""

    id: int
    org: str
    role: ApiRole
    platform: bool
    prefix: str
    label: str | None
    created_at: datetime
    revoked: bool


class GroupIn(Body):
    """A new sharing group owned by the caller's organization."""

    name: str = Field(min_length=1, max_length=100)
    members: list[str] = Field(default_factory=list, max_length=1000)


class GroupView(BaseModel):
    """A sharing group the caller's organization belongs to."""

    name: str
    owner: str
    members: list[str]


class MemberIn(Body):
    """An organization to add to a group."""

    org: str = Field(min_length=1, max_length=100)


class UserIn(Body):
    """A web user of the caller's organization."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=12, max_length=1000)
    role: ApiRole = ApiRole.ANALYST


class UserView(BaseModel):
    """A web user (never the password hash)."""

    id: int
    username: str
    org: str
    role: ApiRole


class WebhookIn(Body):
    """Where to send the organization's alerts."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)


class WebhookCreated(BaseModel):
    """The webhook and its signing secret, shown this once."""

    id: int
    url: str
    secret: str


class WebhookView(BaseModel):
    """A webhook (never its secret)."""

    id: int
    url: str


class PeerIn(Body):
    """An exact origin (scheme://host:port) outgoing calls may reach though it is private."""

    origin: str = Field(min_length=1, max_length=300)
    note: str | None = Field(default=None, max_length=500)


class PeerView(BaseModel):
    """An allowed peer."""

    origin: str
    note: str | None

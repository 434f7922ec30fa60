"""Lookups: one identifier (GET) or up to 10,000 (POST), counting only what the caller may see.

`GET /api/v1/lookup` is the call a bank makes for every payment it screens. `LookupShortcut`
answers its plainest form without FastAPI's routing, dependency resolution and response
validation, through the same functions as the route (authentication, access level, audit
context, rate limit, lookup, serialization); every other request goes on to the route.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter
from starlette.types import ASGIApp, Receive, Scope, Send

from bigfish.accounts import Principal
from bigfish.api.deps import Access, authenticate, may_call, requires, take_rate_token, tell_audit
from bigfish.api.errors import ApiError, api_error_response
from bigfish.api.schemas import ERRORS, BatchLookup, LinkStopAnswer, LookupAnswer
from bigfish.api.strict import StrictJsonRoute
from bigfish.audit import AuditWriter, listed_entries
from bigfish.errors import InputError
from bigfish.lookup import LookupQuery, LookupResult, lookup_many
from bigfish.models import Kind

router = APIRouter(tags=["lookup"], responses=ERRORS, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]

MAX_VALUE = 2000
MAX_COUNTRY = 2


def answer(result: LookupResult) -> LookupAnswer:
    """The API form of a lookup result."""
    return LookupAnswer(
        canonical_kind=result.canonical_kind,
        canonical=result.canonical,
        valid=result.valid,
        report_count=result.report_count,
        organizations=list(result.organizations),
        countries=list(result.countries),
        first_seen=result.first_seen,
        last_seen=result.last_seen,
        networks=list(result.networks),
        links=result.links,
        stopped=None
        if result.stopped is None
        else LinkStopAnswer(reason=result.stopped.reason, detail=result.stopped.detail),
    )


@router.get("/lookup", response_model=LookupAnswer)
async def lookup_one(
    request: Request,
    principal: Reader,
    kind: Kind,
    value: Annotated[str, Query(min_length=1, max_length=MAX_VALUE)],
    country: Annotated[str | None, Query(max_length=MAX_COUNTRY)] = None,
) -> LookupAnswer:
    """Everything the caller may know about one identifier; for a value the caller may not
    see, exactly the answer for a value nobody reported."""
    # On the event loop: one indexed read costs less than the hop to the thread pool.
    results = lookup_many(
        request.app.state.store, principal.viewer(), [LookupQuery(kind, value, country)]
    )
    return answer(results[0])


#: The JSON of lookup results as they are: the same fields, in the same order, as
#: `LookupAnswer`, without building one (the batch and the shortcut; tests compare the bytes
#: with what FastAPI sends for the route's `LookupAnswer`s).
_RESULT = TypeAdapter(LookupResult)
_RESULTS = TypeAdapter(list[LookupResult])


#: The audit log's action for the rows naming what a batch lookup asked about.
BATCH_AUDIT_ACTION = "POST /api/v1/lookup identifiers"


def record_looked_up(
    request: Request, principal: Principal, action: str, items: Sequence[tuple[int, str, str]]
) -> None:
    """Record in the audit log what PRINCIPAL looked up (ITEMS: index in the request, kind,
    value; many to a row of ACTION) and wait for the commit: a request's own row names only its
    path and query string, and a body must not be a way to look up values unrecorded. ApiError
    503 when they could not be recorded (the answer is then not sent)."""
    writer: AuditWriter | None = getattr(request.app.state, "audit_writer", None)
    if writer is None or not items:  # an application built without the audit log (tests)
        return
    entries = listed_entries(principal.actor, principal.org_name, action, items, 200)
    futures = [writer.submit(entry) for entry in entries]
    try:
        for future in futures:
            future.result()
    except Exception:
        raise ApiError(503, "the lookup could not be recorded; try again") from None


@router.post("/lookup", response_model=list[LookupAnswer])
def lookup_batch(body: BatchLookup, request: Request, principal: Reader) -> Response:
    """The single answers for up to 10,000 identifiers, in the same order. What was looked up
    is recorded in the audit log (rows of action `POST /api/v1/lookup identifiers`)."""
    queries = [LookupQuery(q.kind, q.value, q.country) for q in body.identifiers]
    try:
        results = lookup_many(request.app.state.store, principal.viewer(), queries)
    except InputError as exc:
        if len(queries) != 1 or exc.field is None:
            raise
        # `lookup_many` names the item only in a batch of two or more (one is the GET's).
        raise InputError(exc.message, field=f"identifiers[0].{exc.field}") from None
    looked_up = [(i, r.canonical_kind, r.canonical) for i, r in enumerate(results)]
    record_looked_up(request, principal, BATCH_AUDIT_ACTION, looked_up)
    # The results serialized as they are: building 10,000 `LookupAnswer`s for FastAPI to
    # validate and serialize cost about a fifth of the call at 1,000,000 reports. The bytes are
    # the same (a test compares them); `response_model` still describes them in the OpenAPI
    # document (this docstring is its description).
    return Response(_RESULTS.dump_json(results), media_type="application/json")


_PATH = "/api/v1/lookup"
_KINDS = {kind.value: kind for kind in Kind}
_NAMES = frozenset({"kind", "value", "country"})


def plain_query(query_string: bytes) -> LookupQuery | None:
    """The lookup a query string asks for when the route would accept it as it stands: `kind`
    and `value` once each, `country` at most once, no other name, every value within the
    route's limits and without NUL. None for anything else (the route then answers)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)  # as Starlette
    fields = dict(pairs)
    if len(fields) != len(pairs) or not fields.keys() <= _NAMES:
        return None
    kind = _KINDS.get(fields.get("kind", ""))
    value = fields.get("value", "")
    country = fields.get("country")
    if kind is None or not 1 <= len(value) <= MAX_VALUE or "\x00" in value:
        return None
    if country is not None and (not 1 <= len(country) <= MAX_COUNTRY or "\x00" in country):
        return None
    return LookupQuery(kind, value, country)


def _shortcut_answer(scope: Scope) -> Response | None:
    query = plain_query(scope.get("query_string", b""))
    if query is None:
        return None
    request = Request(scope)
    try:
        principal = authenticate(request)
        tell_audit(request, principal)
        if not may_call(principal, Access.READ):
            return None
        # Looked up before the rate-limit token is taken: whatever fails here is answered by
        # the route, which takes the token itself (one token per request either way).
        result = lookup_many(request.app.state.store, principal.viewer(), [query])[0]
    except Exception:  # the route answers (401, 422, 503, …) exactly as it always does
        return None
    try:
        take_rate_token(request, principal)
    except ApiError as exc:
        return api_error_response(exc)
    # What FastAPI sends for the route's return value: the answer's JSON, application/json.
    return Response(_RESULT.dump_json(result), media_type="application/json")


class LookupShortcut:
    """ASGI middleware answering plain `GET /api/v1/lookup` requests itself (see the module).

    Measured in-process on 1,000,000 reports: FastAPI's routing, dependency resolution and
    response validation were about a third of a lookup's CPU time. The route stays the one the
    OpenAPI document describes and answers everything else; a test compares both answers
    (status, headers, body, audit row) over valid, invalid, refused and rate-limited requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == _PATH and scope["method"] == "GET":
            response = _shortcut_answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""The TAXII 2.1 server, mounted by `bigfish.api.app.create_app` at `/taxii2/`.

Discovery, one API root (`/taxii2/api/`), the caller's collections (`bigfish.interop.feed`),
objects with `limit`/`next`/`more`, `added_after` and `match[type|id|version|spec_version]`,
manifest, versions, POSTed envelopes with their status. Authentication is the API's: an API key
as a bearer token, or as the password of HTTP Basic. Every read goes through the policy.
Every answer is of TAXII's media type, errors as TAXII error messages; an Accept header that
does not admit it is answered 406, a POST sent as another (JSON aside) 415.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bigfish.accounts import Principal
from bigfish.api.deps import Access, hand_off_reports, may_call, once_each, requires
from bigfish.api.errors import ApiError
from bigfish.api.media import acceptable, media_type
from bigfish.api.routes.evidence import data_dir
from bigfish.api.schemas import ERRORS, ErrorDetail
from bigfish.api.strict import DuplicateKey, UnreadableJson
from bigfish.api.strict import loads as strict_json
from bigfish.errors import InputError, NotFound
from bigfish.evidence.custody import NodeKey
from bigfish.evidence.log import signing_key
from bigfish.interop import feed
from bigfish.interop.importer import import_objects, shown_id
from bigfish.interop.stix import timestamp
from bigfish.store import Store
from bigfish.store.schema_interop import taxii_statuses

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
API_ROOT = "api"
DEFAULT_PAGE = 1000


class TaxiiResponse(JSONResponse):
    """Documents the TAXII media type in the OpenAPI description of every TAXII route."""

    media_type = TAXII


class TaxiiErrorMessage(BaseModel):
    """A TAXII 2.1 error message (section 3.6.1), with the API's `error` document inside it
    (`bigfish.api.errors.taxii_error`)."""

    title: str
    description: str
    error_code: str
    http_status: str
    details: dict[str, Any] | None = None
    error: ErrorDetail


#: Errors are TAXII error messages, of the TAXII media type (the routes' response class).
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": TaxiiErrorMessage, "description": spec["description"]}
    for status, spec in ERRORS.items()
}
_ERRORS[406] = {
    "model": TaxiiErrorMessage,
    "description": f"The Accept header asks for none of the server's media types ({TAXII})",
}
_ERRORS[415] = {
    "model": TaxiiErrorMessage,
    "description": f"The body is not sent as {TAXII}",
}


def _is_taxii(kind: str, params: list[tuple[str, str]]) -> bool:
    """Whether the media type KIND with PARAMS is TAXII 2.1's: a version other than 2.1 is not;
    none is the latest the server speaks (TAXII 2.1, 1.6.8)."""
    versions = [value for name, value in params if name == "version"]
    return kind == "application/taxii+json" and all(v == "2.1" for v in versions)


def _negotiate(request: Request) -> None:
    """Refuse what the server cannot answer in TAXII 2.1 (1.6.8): 406 to an Accept header that
    admits none of its media type, 415 to a POSTed envelope sent as neither it nor JSON."""
    if not acceptable(request.headers.get("accept"), TAXII):
        raise ApiError(
            406,
            f"the Accept header admits none of the media types this server answers: send"
            f" Accept: {TAXII}",
            details={"field": "Accept"},
        )
    if request.method == "POST":
        sent = request.headers.get("content-type")
        if sent is None:
            raise ApiError(
                415,
                f"the body has no Content-Type: send an envelope as {TAXII}",
                details={"field": "Content-Type"},
            )
        kind, params = media_type(sent)
        # Plain JSON is what generic clients send (`curl --json`); the envelope is JSON either way.
        if not _is_taxii(kind, params) and kind != "application/json":
            raise ApiError(
                415,
                f"the body is {kind[:100]!r}: send an envelope as {TAXII}",
                details={"field": "Content-Type"},
            )


router = APIRouter(
    tags=["taxii"],
    default_response_class=TaxiiResponse,
    responses=_ERRORS,
    dependencies=[Depends(_negotiate)],
)
Reader = Annotated[Principal | None, Depends(requires(Access.SYNC))]
Writer = Annotated[Principal | None, Depends(requires(Access.WRITE))]


def _principal(principal: Principal | None) -> Principal:
    if principal is None:  # pragma: no cover - SYNC and WRITE always authenticate
        raise ApiError(401, "an API key is required")
    return principal


def _taxii(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(content, status_code=status, media_type=TAXII, headers=headers)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _root(request: Request, api_root: str) -> None:
    if api_root != API_ROOT:
        raise ApiError(404, f"no API root {api_root!r}")


@router.get("/", summary="TAXII discovery")
def discovery(request: Request, principal: Reader) -> Response:
    """The server's API roots."""
    base = str(request.url_for("api_root", api_root=API_ROOT))
    return _taxii(
        {
            "title": "bigfish TAXII 2.1",
            "description": "Scam reports of the partnership, as the caller may see them.",
            "default": base,
            "api_roots": [base],
        }
    )


@router.get("/{api_root}/", name="api_root", summary="TAXII API root")
def api_root_information(request: Request, api_root: str, principal: Reader) -> Response:
    """The API root's information."""
    _root(request, api_root)
    return _taxii(
        {
            "title": "bigfish partnership",
            "versions": [TAXII],
            "max_content_length": request.app.state.settings.max_body_bytes,  # what is enforced
        }
    )


def _collection_body(collection: feed.Collection, principal: Principal | None) -> dict[str, Any]:
    """The TAXII collection resource as PRINCIPAL sees it: writable when the collection takes
    objects and the caller's key may write (a sync or readonly key may not)."""
    writer = principal is not None and may_call(principal, Access.WRITE)
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "can_read": True,
        "can_write": collection.can_write and writer,
        "media_types": [STIX],
    }


@router.get("/{api_root}/collections/", summary="TAXII collections")
def list_collections(request: Request, api_root: str, principal: Reader) -> Response:
    """The collections the caller may read."""
    _root(request, api_root)
    viewer = _principal(principal).viewer()
    with _store(request).connect() as conn:
        found = feed.collections(conn, viewer)
    return _taxii({"collections": [_collection_body(c, principal) for c in found]})


def _collection(
    request: Request, principal: Principal | None, collection_id: str
) -> feed.Collection:
    viewer = _principal(principal).viewer()
    with _store(request).connect() as conn:
        try:
            return feed.find_collection(conn, viewer, collection_id)
        except NotFound:
            raise ApiError(404, f"no collection {collection_id!r}") from None


@router.get("/{api_root}/collections/{collection_id}/", summary="TAXII collection")
def get_collection(
    request: Request, api_root: str, collection_id: str, principal: Reader
) -> Response:
    """One collection."""
    _root(request, api_root)
    return _taxii(_collection_body(_collection(request, principal, collection_id), principal))


class Filters:
    """The query parameters of objects, manifest and versions, each given at most once."""

    def __init__(
        self,
        request: Request,
        added_after: Annotated[str | None, Query()] = None,
        limit: Annotated[int, Query()] = DEFAULT_PAGE,
        next: Annotated[str | None, Query()] = None,
        match_type: Annotated[str | None, Query(alias="match[type]")] = None,
        match_id: Annotated[str | None, Query(alias="match[id]")] = None,
        match_version: Annotated[str | None, Query(alias="match[version]")] = None,
        match_spec_version: Annotated[str | None, Query(alias="match[spec_version]")] = None,
    ) -> None:
        _once_each(request)
        self.added_after = added_after
        self.limit = limit
        self.next = next
        self.types = frozenset(t for t in (match_type or "").split(",") if t)
        self.ids = frozenset(i for i in (match_id or "").split(",") if i)
        self.version = match_version
        self.spec_version = match_spec_version


def _once_each(request: Request) -> None:
    """Refuse a query parameter given twice, 400 naming it, as the API does. Read as its last
    value, `?limit=5&limit=500` served 500 and `?match[type]=a&match[type]=b` only b; TAXII 2.1
    gives a filter's values as one comma-separated list (`match[type]=a,b`) and defines no
    repetition (medallion reads the first value, we read the last: a client meant one of them)."""
    once_each(request)


def _signer(request: Request) -> NodeKey:
    """The node key that signs this node's changes to cooperation requests (the key of the
    chain of custody, under the node's data directory; created on first use, and refused when
    the data directory does not hold the key that signed the custody log)."""
    return signing_key(request.app.state.store, data_dir(request))


def _utc(text: str) -> datetime:
    """The added_after TEXT in UTC; InputError when it is not a time, or (year 1 or 9999 with
    an offset) none in UTC: the database's conversion raised OverflowError, a 500."""
    try:
        return feed.parse_time(text, "added_after").astimezone(UTC)
    except OverflowError:
        raise InputError(f"{text!r} is out of range in UTC", field="added_after") from None


def _page(
    request: Request,
    collection: feed.Collection,
    filters: Filters,
    ids: frozenset[str] | None = None,
) -> feed.Page:
    try:
        added_after = _utc(filters.added_after) if filters.added_after else None
        if filters.spec_version and "2.1" not in filters.spec_version.split(","):
            return feed.Page([], None)
        with _store(request).connect() as conn:
            page = feed.object_page(
                conn,
                collection,
                limit=min(filters.limit, feed.MAX_PAGE) if filters.limit > 0 else 0,
                added_after=added_after,
                next_token=filters.next,
                types=filters.types,
                ids=ids if ids is not None else filters.ids,
                signer=_signer(request) if collection.kind == "requests" else None,
            )
    except InputError as exc:
        raise ApiError(400, exc.message, details={"field": exc.field}) from None
    wanted = set(filters.version.split(",")) if filters.version else set()
    # A collection holds one version of each report, its first and its last: a list that
    # names any of these words asks for every entry (versions it also names add nothing).
    if wanted and not wanted & {"last", "first", "all"}:
        page = feed.Page([e for e in page.entries if _version(e) in wanted], page.next)
    return page


def _version(entry: feed.Entry) -> str:
    modified = entry.object.get("modified")
    return str(modified) if modified else timestamp(entry.date_added)


def _headers(page: feed.Page) -> dict[str, str]:
    if not page.entries:
        return {}
    # Pages are in id order; the headers bound the page's date_added (what a puller keeps).
    stamps = [e.date_added for e in page.entries]
    return {
        "X-TAXII-Date-Added-First": timestamp(min(stamps)),
        "X-TAXII-Date-Added-Last": timestamp(max(stamps)),
    }


def _envelope(page: feed.Page, key: str, items: list[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.next is not None}
    if page.next:
        body["next"] = page.next
    if items:
        body[key] = items
    return body


@router.get("/{api_root}/collections/{collection_id}/objects/", summary="TAXII objects")
def get_objects(
    request: Request,
    api_root: str,
    collection_id: str,
    principal: Reader,
    filters: Annotated[Filters, Depends()],
) -> Response:
    """A page of the collection's objects."""
    _root(request, api_root)
    page = _page(request, _collection(request, principal, collection_id), filters)
    body = _envelope(page, "objects", [e.object for e in page.entries])
    return _taxii(body, headers=_headers(page))


@router.get("/{api_root}/collections/{collection_id}/manifest/", summary="TAXII manifest")
def get_manifest(
    request: Request,
    api_root: str,
    collection_id: str,
    principal: Reader,
    filters: Annotated[Filters, Depends()],
) -> Response:
    """A page of the collection's manifest."""
    _root(request, api_root)
    page = _page(request, _collection(request, principal, collection_id), filters)
    items = [
        {
            "id": e.object["id"],
            "date_added": timestamp(e.date_added),
            "version": _version(e),
            "media_type": STIX,
        }
        for e in page.entries
    ]
    return _taxii(_envelope(page, "objects", items), headers=_headers(page))


def _object_page(
    request: Request,
    api_root: str,
    collection_id: str,
    object_id: str,
    principal: Principal | None,
    filters: Filters,
) -> feed.Page:
    """The page of one object's entries the caller may see; 404 when it sees none at all (the
    filters leaving every version out is an empty page: the object is there)."""
    _root(request, api_root)
    collection = _collection(request, principal, collection_id)
    page = _page(request, collection, filters, frozenset({object_id}))
    if not page.entries and not (_filtered(filters) and _holds(request, collection, object_id)):
        raise ApiError(404, f"no object {object_id!r}")
    return page


def _filtered(filters: Filters) -> bool:
    """Whether FILTERS may leave out entries of an object the collection holds (an unfiltered
    empty page is the answer already: reading the collection again would double a 404's cost)."""
    return bool(
        filters.added_after
        or filters.next
        or filters.types
        or filters.version
        or filters.spec_version
    )


def _holds(request: Request, collection: feed.Collection, object_id: str) -> bool:
    """Whether COLLECTION holds a version of OBJECT_ID for its reader, whatever the filters."""
    signer = _signer(request) if collection.kind == "requests" else None
    with _store(request).connect() as conn:
        page = feed.object_page(
            conn, collection, limit=1, ids=frozenset({object_id}), signer=signer
        )
    return bool(page.entries)


@router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/", summary="TAXII object")
def get_object(
    request: Request,
    api_root: str,
    collection_id: str,
    object_id: str,
    principal: Reader,
    filters: Annotated[Filters, Depends()],
) -> Response:
    """The versions of one object the caller may see (404 when none)."""
    page = _object_page(request, api_root, collection_id, object_id, principal, filters)
    body = _envelope(page, "objects", [e.object for e in page.entries])
    return _taxii(body, headers=_headers(page))


@router.get(
    "/{api_root}/collections/{collection_id}/objects/{object_id}/versions/",
    summary="TAXII object versions",
)
def get_versions(
    request: Request,
    api_root: str,
    collection_id: str,
    object_id: str,
    principal: Reader,
    filters: Annotated[Filters, Depends()],
) -> Response:
    """The versions of one object."""
    page = _object_page(request, api_root, collection_id, object_id, principal, filters)
    versions = sorted({_version(e) for e in page.entries})
    return _taxii(_envelope(page, "versions", versions), headers=_headers(page))


@router.post(
    "/{api_root}/collections/{collection_id}/objects/",
    summary="TAXII add objects",
    status_code=202,
)
async def add_objects(
    request: Request, api_root: str, collection_id: str, principal: Writer
) -> Response:
    """Store an envelope of objects as the caller's organization's reports; answers a status."""
    _root(request, api_root)
    caller = _principal(principal)
    collection = _collection(request, principal, collection_id)
    if not collection.can_write:
        raise ApiError(403, "this collection is read-only; post to your organization's collection")
    body = await request.body()
    try:  # off the event loop: 32 MiB take about a second, every other request would wait
        envelope = await run_in_threadpool(strict_json, body)
    except (DuplicateKey, UnreadableJson) as exc:  # a key twice: which value was meant?
        raise ApiError(400, str(exc.detail), details=exc.details) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(
            400, "the body is not a JSON envelope", details={"field": "objects"}
        ) from None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise ApiError(400, "an envelope needs an objects list", details={"field": "objects"})
    status, written = await run_in_threadpool(_store_envelope, _store(request), caller, objects)
    hand_off_reports(request, written)  # webhooks, as for reports submitted to /api/v1
    return _taxii(status, status=202)


def _store_envelope(
    store: Store, caller: Principal, objects: list[Any]
) -> tuple[dict[str, Any], list[int]]:
    """Import OBJECTS as CALLER's: the TAXII status, and the reports written (for alerts). Run
    again when the database undoes it to end a deadlock (`Store.transaction`)."""
    return store.transaction(lambda conn: _import_envelope(conn, caller, objects))


def _import_envelope(
    conn: sa.Connection, caller: Principal, objects: list[Any]
) -> tuple[dict[str, Any], list[int]]:
    now = datetime.now(UTC)
    outcome = import_objects(
        conn, objects, peer=None, default_org=caller.org_name, owner=caller.org_name
    )
    failed = {ident for ident, _ in outcome.rejections}
    # A status detail has a version (TAXII 2.1 4.3.1): modified, else created, else the
    # request's time, as medallion gives it; a failure takes the first object of its id's.
    versions: dict[str | None, str] = {}
    for o in objects:
        if isinstance(o, dict) and isinstance(o.get("id"), str):
            versions.setdefault(shown_id(o["id"]), _sent_version(o, now))
    status = {
        "id": str(uuid.uuid4()),
        "status": "complete",
        "request_timestamp": timestamp(now),
        "total_count": outcome.received,
        "success_count": outcome.stored,
        "failure_count": outcome.rejected,
        "pending_count": 0,
        "successes": [
            {"id": o["id"], "version": _sent_version(o, now)}
            for o in objects
            if isinstance(o, dict)
            and isinstance(o.get("id"), str)
            and shown_id(o["id"]) not in failed  # as rejections show it: NULs written out
        ],
        "failures": [
            {
                "id": ident or "",
                "version": versions.get(ident, timestamp(now)),
                "message": reason,
            }
            for ident, reason in outcome.rejections
        ],
    }
    conn.execute(
        taxii_statuses.insert().values(
            id=status["id"], org_id=caller.org_id, body=status, created_at=now
        )
    )
    return status, list(outcome.written)


def _sent_version(obj: dict[str, Any], now: datetime) -> str:
    """The version of a POSTed OBJ: its modified, else its created (when text), else NOW."""
    for name in ("modified", "created"):
        if isinstance(obj.get(name), str):
            return str(obj[name])
    return timestamp(now)


@router.get("/{api_root}/status/{status_id}/", summary="TAXII status")
def get_status(request: Request, api_root: str, status_id: str, principal: Reader) -> Response:
    """The status of an envelope the caller's organization posted."""
    _root(request, api_root)
    caller = _principal(principal)
    with _store(request).connect() as conn:
        row = conn.execute(
            sa.select(taxii_statuses.c.body).where(
                taxii_statuses.c.id == status_id, taxii_statuses.c.org_id == caller.org_id
            )
        ).first()
    if row is None:
        raise ApiError(404, f"no status {status_id!r}")
    return _taxii(dict(row.body))

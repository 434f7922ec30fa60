"""`create_app(store, settings)`: the partnership API as one FastAPI application.

Routers are mounted from a registry: the API's own nouns first, then optional routers of other
areas (TAXII, web, evidence, requests, networks, classify) when their modules import. Every route
must declare an access policy (`bigfish.api.deps.requires`); `undeclared_routes` lists those that
do not, and a test keeps that list empty.

Two ASGI middlewares wrap every request: the audit log, which holds each response back until
the request's audit row is committed (a request ending in an unhandled exception is recorded
as 500), and inside it the body-size limit (413). Inside them, `LookupShortcut`
answers plain single lookups (the most frequent call) without FastAPI's per-request machinery,
and `HeadAsGet` answers HEAD on every GET route.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bigfish import __version__
from bigfish.alerts import WebhookDispatcher
from bigfish.api.deps import (
    AUDIT_SCOPE_KEY,
    Access,
    AuditContext,
    RateLimiter,
    requires,
    route_access,
)
from bigfish.api.errors import error_for, install_error_handlers
from bigfish.api.linker import BackgroundLinker
from bigfish.api.routes.lookup import LookupShortcut
from bigfish.audit import AuditEntry, AuditWriter, HeadSigner, redacted_path, redacted_query
from bigfish.store import Store


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Settings of the API, declared once and passed in by `bigfish serve` or a test."""

    max_body_bytes: int = 32 * 1024 * 1024  # a batch of 10,000 lookups is about 1 MB
    rate_limit_per_minute: int = 6000  # per key and per server process; 0 turns it off
    rate_limit_burst: int = 600
    audit: bool = True
    public_check: bool = False  # the optional public "check this number/link" endpoint
    public_check_per_minute: int = 30  # checks per client address and server process
    lookup_shortcut: bool = True  # plain GET /api/v1/lookup without FastAPI's machinery
    link_submitted: bool = False  # link submitted reports in the background (`bigfish serve`)


#: (module, attribute, prefix): routers mounted when their module imports.
ROUTERS: list[tuple[str, str, str]] = [
    ("bigfish.api.routes.health", "router", "/api/v1"),
    ("bigfish.api.routes.reports", "router", "/api/v1"),
    ("bigfish.api.routes.lookup", "router", "/api/v1"),
    ("bigfish.api.routes.match", "router", "/api/v1"),
    ("bigfish.api.routes.alerts", "router", "/api/v1"),
    ("bigfish.api.routes.admin", "router", "/api/v1"),
    ("bigfish.api.routes.networks", "router", "/api/v1"),
    ("bigfish.api.routes.classify", "router", "/api/v1"),
    ("bigfish.api.routes.evidence", "router", "/api/v1"),
    ("bigfish.api.routes.requests", "router", "/api/v1"),
    ("bigfish.api.routes.similar", "router", "/api/v1"),
    ("bigfish.interop.taxii", "router", "/taxii2"),
    ("bigfish.web", "router", ""),
]

#: Routes FastAPI itself adds, public by design (the documentation of the API).
DOCUMENTATION_PATHS = frozenset({"/openapi.json"})

#: Swagger UI at /docs, from the package's vendored copy (no CDN).
_SWAGGER_JS = "/static/vendor/swagger-ui-bundle.js"
_SWAGGER_CSS = "/static/vendor/swagger-ui.css"
_SWAGGER_INIT = "/static/swagger-init.js"  # no inline script: the policy below allows none

#: The web pages' headers (bigfish.web.render): nothing from another origin, no inline script
#: or style, never in a frame. Swagger UI 5 renders under it (its styles are set through the
#: DOM, which the policy allows; checked with headless Chromium).
_DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_NOT_AUDITED = ("/api/v1/health",)
_AUDITED_PREFIXES = ("/api/", "/taxii2")


def _optional_router(module_name: str, attribute: str) -> object | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "bigfish" or exc.name.startswith("bigfish.")):
            return None  # the area (or one it needs) is not there (yet)
        raise
    return getattr(module, attribute, None)


#: The routers of the public check (`ApiSettings.public_check`), as in ROUTERS.
_PUBLIC_CHECK = (
    ("bigfish.api.routes.check", "router", "/api/v1"),
    ("bigfish.web.views_check", "router", ""),
)


@functools.cache
def _included_routes(routers: tuple[tuple[str, str, str], ...]) -> tuple[BaseRoute, ...]:
    """The routes an application gets by including ROUTERS (module, attribute, prefix; a module
    that is not there is left out), included once per process and shared by every application
    create_app makes. FastAPI builds an included route's models (pydantic adapters for its
    parameters and answers) when the first request comes, about 0.25 s for these routers; an
    application answers through the shared routes with its own state, middleware and error
    handlers, since endpoints reach the store through `request.app`."""
    holder = FastAPI()
    own = len(holder.router.routes)
    for module_name, attribute, prefix in routers:
        router = _optional_router(module_name, attribute)
        if router is not None:
            holder.include_router(router, prefix=prefix)  # type: ignore[arg-type]
    return tuple(holder.router.routes[own:])


class BodyLimitMiddleware:
    """Refuse bodies larger than the limit with 413, by header or while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    response = error_for(scope.get("path", ""), 413, self._message())
                    await response(scope, receive, send)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"


#: The scope key `HeadAsGet` sets (True) on the GET it makes of a HEAD: a route whose GET does
#: more than answer (a custody `accessed` record of evidence bytes read) asks `answers_head`.
HEAD_SCOPE_KEY = "bigfish.head"


def answers_head(request: Request) -> bool:
    """True when REQUEST is a HEAD answered as GET: the answer's body is dropped, nothing is
    read by the caller."""
    return bool(request.scope.get(HEAD_SCOPE_KEY, False))


class HeadAsGet:
    """Answer HEAD on every GET route as its GET (RFC 9110 9.3.2): the same status and headers,
    no body. FastAPI routes take only the methods they declare, and declaring HEAD on each would
    give the OpenAPI document a second operation per GET; here the routing sees a GET, marked
    with HEAD_SCOPE_KEY so that a route can leave out what only a read of the body should do. A
    405 whose Allow names GET names HEAD too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": _allow_head(message.get("headers", []))}
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {**message, "body": b""}
            await send(message)

        if head:  # a copy: the audit row (outside) and the server's log keep HEAD
            # Without the extension a file is sent as body messages, which are dropped; with it
            # the server itself would send the file (hypercorn offers it).
            extensions = dict(scope.get("extensions") or {})
            extensions.pop("http.response.pathsend", None)
            scope = {**scope, "method": "GET", "extensions": extensions, HEAD_SCOPE_KEY: True}
        await self.app(scope, receive, answer)


def _allow_head(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """HEADERS, with HEAD in an Allow header that names GET."""
    allowed = []
    for name, value in headers:
        methods = [m.strip() for m in value.split(b",")]
        if name.lower() == b"allow" and b"GET" in methods and b"HEAD" not in methods:
            value = b", ".join([*methods, b"HEAD"])
        allowed.append((name, value))
    return allowed


class AuditMiddleware:
    """Record every API request in the audit log; send the response only once it is recorded."""

    def __init__(self, app: ASGIApp, writer: AuditWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith(_AUDITED_PREFIXES)
            or path in _NOT_AUDITED
        ):
            await self.app(scope, receive, send)
            return
        context = AuditContext()
        scope[AUDIT_SCOPE_KEY] = context
        query = scope.get("query_string", b"").decode("latin-1")
        shown = redacted_path(path)  # a key pasted into the path is not kept either
        target = shown + ("?" + redacted_query(query) if query else "")
        announced = True
        self.writer.announce()  # lets the writer wait for this entry and commit it with others

        def entry_for(status: int) -> AuditEntry:
            return AuditEntry(
                context.actor, context.org, f"{scope['method']} {shown}", target, status
            )

        async def audited_send(message: Message) -> None:
            nonlocal announced
            if message["type"] == "http.response.start":
                entry = entry_for(int(message["status"]))
                try:
                    was_announced, announced = announced, False
                    await self.writer.record(entry, announced=was_announced)
                except Exception:
                    # Not recorded, so not acknowledged: the caller gets 503 instead.
                    failure = error_for(path, 503, "the request could not be recorded; try again")
                    await failure(scope, receive, send)
                    raise _AlreadySent() from None
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except _AlreadySent:
            return
        except Exception:
            # Unhandled: Starlette's outermost ServerErrorMiddleware answers 500 once this
            # re-raises, so the row is written here, before the answer (never instead of it).
            if announced:
                announced = False
                with contextlib.suppress(Exception):
                    await self.writer.record(entry_for(500), announced=True)
            raise
        finally:
            if announced:
                self.writer.withdraw()


class _AlreadySent(Exception):
    """The audit middleware has answered 503 itself."""


def _audit_signer(store: Store, data_dir: Path | None) -> HeadSigner | None:
    """The node key under DATA_DIR, which signs the audit log's head (created on first use, as
    for the chain of custody, and refused when DATA_DIR does not hold the key that signed the
    custody log). Without a data directory (an application built in a test), heads are unsigned."""
    if data_dir is None:
        return None
    from bigfish.evidence.log import signing_key

    return HeadSigner(signing_key(store, data_dir), data_dir)


#: How often the server's background linker runs with nothing submitted (`bigfish.api.linker`).
LINK_EVERY_SECONDS = 3600.0


def create_app(
    store: Store, settings: ApiSettings | None = None, *, data_dir: Path | None = None
) -> FastAPI:
    """The API for STORE: every router of the registry whose module is present. DATA_DIR is the
    node's data directory (evidence files and keys); without it, routes that need one read
    BIGFISH_DATA_DIR."""
    settings = settings or ApiSettings()
    writer = AuditWriter(store, signer=_audit_signer(store, data_dir)) if settings.audit else None
    dispatcher = WebhookDispatcher(store)
    linker = BackgroundLinker(store) if settings.link_submitted else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if linker is not None:
            linker.every(LINK_EVERY_SECONDS)  # growth ages with nothing submitted (linker doc)
        yield
        if linker is not None:
            linker.close()
        dispatcher.close()
        if writer is not None:
            writer.close()

    app = FastAPI(
        title="bigfish partnership API",
        version=__version__,
        description=(
            "Pool scam reports, look up identifiers, match blinded values and receive alerts, "
            "under TLP 2.0 and distribution markings. Authenticate with "
            "`Authorization: Bearer <API key>`."
        ),
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI
        redoc_url=None,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.data_dir = data_dir
    app.state.audit_writer = writer
    app.state.on_reports = dispatcher
    app.state.link_submitted = linker
    app.state.rate_limiter = (
        RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        if settings.rate_limit_per_minute > 0
        else None
    )
    install_error_handlers(app)
    _document(app)
    app.router.routes.extend(_included_routes(tuple(ROUTERS)))
    if settings.public_check:  # off unless the operator turns it on: it answers anyone
        app.router.routes.extend(_included_routes(_PUBLIC_CHECK))
        app.state.public_limiter = RateLimiter(
            settings.public_check_per_minute, max(1, settings.public_check_per_minute // 3)
        )
    app.state.error_page = _optional_router("bigfish.web.render", "error_page")
    app.add_middleware(HeadAsGet)  # innermost: every answer of the application loses its body
    if settings.lookup_shortcut:
        app.add_middleware(LookupShortcut)  # inside the audit middleware: audited as before
    # inside the audit middleware: a body refused 413 is audited too
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if writer is not None:
        app.add_middleware(AuditMiddleware, writer=writer)
    return app


def _document(app: FastAPI) -> None:
    """/docs from the vendored Swagger UI, and the bearer key declared in the OpenAPI document
    for every route that needs one (so that the documentation's "Authorize" sends it)."""

    # The page reads its application from the request, never from this closure: FastAPI keeps
    # every endpoint it has seen in a process-wide cache, which would keep APP (its store, its
    # engine) alive for as long as the process runs.
    @app.get("/docs", include_in_schema=False, dependencies=[Depends(requires(Access.PUBLIC))])
    def docs(request: Request) -> HTMLResponse:
        title = html.escape(f"{request.app.title} — documentation")
        page = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="stylesheet" href="{_SWAGGER_CSS}">'
            '<link rel="icon" href="/static/favicon.svg">'
            f"<title>{title}</title></head>\n<body>"
            '<div id="swagger-ui" data-url="/openapi.json"></div>'
            f'<script src="{_SWAGGER_JS}"></script><script src="{_SWAGGER_INIT}"></script>'
            "</body></html>\n"
        )
        return HTMLResponse(page, headers=_DOCS_HEADERS)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (`bigfish key create`).",
                }
            }
            # By the documented path: `{report_id:path}` is `{report_id}` there.
            keyed = {
                (getattr(route, "path_format", route.path), method.lower()): route_access(route)
                for route in registered_routes(app)
                for method in getattr(route, "methods", None) or ()
            }
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    if keyed.get((path, method)) not in (None, Access.PUBLIC):
                        operation["security"] = [{"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def registered_routes(app: FastAPI) -> list[Any]:
    """Every route APP serves, with routers that FastAPI includes lazily expanded."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI before lazy inclusion
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def undeclared_routes(app: FastAPI) -> list[str]:
    """Routes of APP without a declared access policy (must stay empty)."""
    missing = []
    for route in registered_routes(app):
        path = getattr(route, "path", None)
        if path in DOCUMENTATION_PATHS:
            continue
        if route_access(route) is None:
            methods = getattr(route, "methods", None)
            missing.append(f"{','.join(sorted(methods or ()))} {path}".strip())
    return missing

"""The one error shape of the API, for every error including FastAPI's own 404/405/422:
``{"error": {"code": "...", "message": "...", "details": ...}}``. Under `/taxii2` the same
error is a TAXII 2.1 error message (`taxii_error`), and a web page's error is a page.

Messages never carry secrets: validation details echo the location and the reason, never the
submitted value (which could be a key pasted into the wrong field).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bigfish.errors import (
    AccessDenied,
    BigfishError,
    ConfigError,
    Conflict,
    InputError,
    IntegrityError,
    NotFound,
    PeerError,
    StoreError,
)
from bigfish.fx import RatesError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


class ApiError(Exception):
    """An HTTP answer raised at the boundary (400 bad filter, 401, 429, …)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error document with STATUS."""
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message}}
    body["error"]["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    about_body = any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # A body FastAPI left as bytes was not read as JSON for its media type: a form's (what
    # `curl -d` sends) or none at all, where the route wants JSON. A route that takes a form
    # (an evidence upload) gets the form, never bytes, and is sent one of another media type.
    unread = any(isinstance(e.get("input"), bytes | bytearray) for e in errors)
    body_field = getattr(request.scope.get("route"), "body_field", None)
    if about_body and isinstance(getattr(body_field, "field_info", None), params.Form):
        if media and media not in _FORM_TYPES:
            return error_response(
                415,
                f"the body is {media}; send it as multipart/form-data",
                details={"field": "body"},
            )
    elif about_body and "json" not in media and (unread or (media and media not in _FORM_TYPES)):
        sent = f"the body is {media}" if media else "the body has no Content-Type"
        return error_response(
            415, f"{sent}; send it as application/json", details={"field": "body"}
        )
    broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if broken is not None:
        at = next((p for p in broken.get("loc", ()) if isinstance(p, int)), None)
        why = (broken.get("ctx") or {}).get("error", "invalid JSON")
        where = f" at byte {at}" if at is not None else ""
        return error_response(
            400, f"the body is not valid JSON{where}: {why}", details={"field": "body"}
        )
    details = [
        {"field": _field_of(err.get("loc", ())), "reason": str(err.get("msg", "invalid"))}
        for err in errors
    ]
    first = details[0] if details else {"field": "body", "reason": "invalid"}
    return error_response(422, f"field {first['field']!r}: {first['reason']}", details=details)


#: FastAPI's answer to a body it could not decode at all (bytes that are not UTF-8, say).
_UNPARSED = "There was an error parsing the body"


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
    if message == _UNPARSED:
        return error_response(
            400, "the body is not JSON in UTF-8 (send it as UTF-8)", details={"field": "body"}
        )
    return error_response(
        exc.status_code,
        message,
        details=getattr(exc, "details", None),
        headers=dict(exc.headers) if exc.headers else None,
    )


def api_error_response(exc: ApiError) -> JSONResponse:
    """The answer to EXC, as its handler gives it."""
    return error_response(
        exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


def _api(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


def _bigfish(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, RatesError):  # the operator's file, not the client's input: not shown
        log.error("the node's exchange rates cannot be used: %s", exc)
        return error_response(503, "the node could not complete the request; try again later")
    if isinstance(exc, NotFound):
        return error_response(404, str(exc))
    if isinstance(exc, AccessDenied):
        return error_response(403, str(exc) or "forbidden")
    if isinstance(exc, InputError):
        details = {"field": exc.field} if exc.field else None
        return error_response(422, str(exc), details=details)
    if isinstance(exc, IntegrityError):
        return error_response(409, str(exc), code="integrity_error")
    if isinstance(exc, Conflict):
        return error_response(409, str(exc))
    if isinstance(exc, PeerError):
        return error_response(502, str(exc))
    if isinstance(exc, StoreError | ConfigError):
        return error_response(503, "the node could not complete the request; try again later")
    return error_response(400, str(exc))


def _data_error(_: Request, __: Exception) -> JSONResponse:
    # The database refused a value (a NUL in text, a number out of range): bad input, not a
    # server fault; the message does not echo the value.
    return error_response(400, "a value in the request cannot be stored or searched")


def _unexpected(_: Request, __: Exception) -> JSONResponse:
    return error_response(500, "internal error")


#: Paths that answer errors as the API's JSON document; every other path is a page of the web
#: application, which answers an error as a page (`app.state.error_page`, when it is mounted).
_MACHINE_PATHS = ("/api/", "/taxii2", "/docs", "/openapi.json", "/static/")

#: What the web application renders an error with: (request, status, message) -> a page.
ErrorPage = Callable[[Request, int, str], Response]


#: TAXII 2.1's media type, which its error messages are sent as (`bigfish.interop.taxii`).
TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"


def is_taxii(path: str) -> bool:
    """Whether PATH is the TAXII server's (`/taxii2/…`)."""
    return path == "/taxii2" or path.startswith("/taxii2/")


def taxii_error(response: JSONResponse) -> Response:
    """RESPONSE, an error document, as a TAXII 2.1 error message (section 3.6.1): `title`,
    `description`, `error_code`, `http_status` (text), `details` when they are a dictionary, as
    TAXII clients read them; the `error` member stays, as this node's clients read it. Same
    status and headers (WWW-Authenticate, Retry-After)."""
    error = json.loads(bytes(response.body))["error"]
    status = response.status_code
    try:
        title = HTTPStatus(status).phrase
    except ValueError:  # pragma: no cover - every status answered here is a known one
        title = "Error"
    body: dict[str, Any] = {
        "title": title,
        "description": error["message"],
        "error_code": error["code"],
        "http_status": str(status),
    }
    if isinstance(error.get("details"), dict):
        body["details"] = error["details"]
    body["error"] = error
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in ("content-type", "content-length")
    }
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(content, status_code=status, headers=headers, media_type=TAXII_MEDIA_TYPE)


def error_for(
    path: str, status: int, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    """The error document with STATUS as PATH answers it: a TAXII error message under `/taxii2`
    (for the answers of a middleware, which no exception handler sees)."""
    response = error_response(status, message, headers=headers)
    return taxii_error(response) if is_taxii(path) else response


def _as_page(handler: Callable[[Request, Exception], JSONResponse]) -> Callable[..., Response]:
    """HANDLER, answering a web page's error as a page: the same status, message and headers
    (a sign-in redirect, say) as the JSON document would have; and a TAXII error as a TAXII
    error message."""

    def answer(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if is_taxii(request.url.path) and response.status_code >= 400:
            return taxii_error(response)
        page: ErrorPage | None = getattr(request.app.state, "error_page", None)
        if page is None or request.url.path.startswith(_MACHINE_PATHS):
            return response
        if 300 <= response.status_code < 400:
            return response
        message = json.loads(bytes(response.body))["error"]["message"]
        shown = page(request, response.status_code, str(message))
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                shown.headers[name] = value
        return shown

    return answer


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of APP take the one shape (a page for the web application's pages, a
    TAXII error message for TAXII's)."""
    app.add_exception_handler(RequestValidationError, _as_page(_validation))
    app.add_exception_handler(StarletteHTTPException, _as_page(_http))
    app.add_exception_handler(ApiError, _as_page(_api))
    app.add_exception_handler(BigfishError, _as_page(_bigfish))
    app.add_exception_handler(sqlalchemy.exc.DataError, _as_page(_data_error))
    app.add_exception_handler(OverflowError, _as_page(_data_error))  # an id past 64 bits
    app.add_exception_handler(Exception, _as_page(_unexpected))

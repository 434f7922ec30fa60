"""The rows web pages write to the audit log. The audit middleware records only /api/ and
/taxii2; a page that shows or hands over partners' data (a report, a network, evidence, an
export), and every sign-in and sign-out, records its own row here, in the API's form:
who, for which organization, `METHOD path`, the path with its query string, the status.

A page that shows data waits for the commit and answers 503, showing nothing, when the row
cannot be written (as the API's middleware does); a sign-out is never refused for it."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import HTTPException, Request

from bigfish.audit import AuditEntry, AuditWriter, redacted_path, redacted_query
from bigfish.web.session import WebSession

_log = logging.getLogger(__name__)

#: What a page answers (503) when its row could not be written.
NOT_RECORDED = "the page could not be recorded in the audit log; try again"


def _target(request: Request) -> tuple[str, str]:
    """The request's path and its target (path and query string), credentials redacted."""
    path = redacted_path(request.url.path)
    query = request.url.query
    return path, path + ("?" + redacted_query(query) if query else "")


def _write(request: Request, entry: AuditEntry, *, required: bool) -> None:
    writer: AuditWriter | None = getattr(request.app.state, "audit_writer", None)
    if writer is None:  # an application built without the audit log (tests)
        return
    try:
        writer.submit(entry).result()
    except Exception:
        if required:
            raise HTTPException(503, NOT_RECORDED) from None
        _log.exception("the audit row of %s %s could not be written", entry.actor, entry.action)


def record_view(request: Request, session: WebSession, status: int) -> None:
    """Record that SESSION's user was answered STATUS for this page (200, or 404 for a thing
    hidden or unknown); HTTPException 503 when it could not be recorded."""
    principal = session.principal
    path, target = _target(request)
    entry = AuditEntry(
        principal.actor, principal.org_name, f"{request.method} {path}", target, status
    )
    _write(request, entry, required=True)


def record_signed_in(request: Request, session: WebSession, status: int) -> None:
    """Record a sign-in that succeeded, as the user it signed in; 503 when it could not be."""
    principal = session.principal
    entry = AuditEntry(principal.actor, principal.org_name, "POST /login", "/login", status)
    _write(request, entry, required=True)


def record_sign_in_failed(request: Request, username: str, status: int) -> None:
    """Record a refused sign-in (401: unknown user or wrong password alike; 429: too many) as
    the API records a request without a valid key: `anonymous`, no organization. The name
    tried is in the target (a bigfish key typed there is redacted); never the password, and
    nothing that tells whether the name exists. 503 when it could not be recorded."""
    target = "/login?" + redacted_query("username=" + quote(username.strip(), safe=""))
    entry = AuditEntry("anonymous", None, "POST /login", target, status)
    _write(request, entry, required=True)


def record_signed_out(request: Request, session: WebSession, status: int) -> None:
    """Record a sign-out; the session has ended whether or not the row can be written."""
    principal = session.principal
    entry = AuditEntry(principal.actor, principal.org_name, "POST /logout", "/logout", status)
    _write(request, entry, required=False)

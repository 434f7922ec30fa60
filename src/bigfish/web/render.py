"""The seams every page shares: the signed-in user (a declared access level, like the API's), CSRF
checks, the Jinja2 environment (autoescape on) and the security headers of every response."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bigfish import __version__
from bigfish.api.deps import Access, take_rate_token
from bigfish.api.errors import ApiError
from bigfish.models import ApiRole
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.web.i18n import LANGUAGE_COOKIE, LANGUAGES, N_, page_translator, pick_language
from bigfish.web.session import (
    SESSION_COOKIE,
    WebSession,
    current_session,
    issued_to,
    tokens_match,
)

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.autoescape = True

#: The bidirectional controls that reorder the text after them (embeddings, overrides,
#: isolates): "invoice\u202efdp.exe" reads "invoiceexe.pdf". Shown as their escapes.
REORDERING = {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


class Exact(Markup):
    """HTML to be shown as it is, its controls kept: a form's value sent back as it came, data
    for a script (`verbatim`, `json_attr`)."""


def _visible_controls(value: Any) -> Any:
    """Every value a page shows, its bidirectional controls escaped visibly (a report id, a
    narrative, a custody record, a file name: partners' text, the CLI's way since c55065d);
    HTML (a translated sentence holding such text) too, `Exact` as it is."""
    if isinstance(value, Exact) or not isinstance(value, str):
        return value
    shown = str(value).translate(REORDERING)  # the escapes hold no character HTML reads
    return Markup(shown) if isinstance(value, Markup) else shown  # noqa: S704


def _shown(value: Any) -> str:
    """VALUE on one line, every character that is not printable (controls, line breaks,
    zero-width and direction marks) as its escape, as the CLI prints a file name."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(value)
    )


# Set before any template is compiled: Jinja builds `finalize` into the compiled code.
TEMPLATES.env.finalize = _visible_controls
TEMPLATES.env.filters["shown"] = _shown
# a form's value sent back as it came (a report id to decide on, the text searched for)
TEMPLATES.env.filters["verbatim"] = lambda v: Exact(escape(v))

#: No inline script or style, nothing from another origin, no framing, forms post here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_ROLES: dict[Access, frozenset[ApiRole]] = {
    Access.READ: frozenset({ApiRole.READONLY, ApiRole.ANALYST, ApiRole.ADMIN}),
    Access.WRITE: frozenset({ApiRole.ANALYST, ApiRole.ADMIN}),
    Access.ADMIN: frozenset({ApiRole.ADMIN}),
}


#: What a page refused for the user's role says (one message per level: translated whole).
_NEEDS: dict[Access, str] = {
    Access.READ: N_("this page needs the read access level"),
    Access.WRITE: N_("this page needs the write access level"),
    Access.ADMIN: N_("this page needs the admin access level"),
}


def store_of(request: Request) -> Store:
    """The application's store."""
    store: Store = request.app.state.store
    return store


def data_dir_of(request: Request) -> Path:
    """Where evidence files and keys live: the app factory's data directory, else
    BIGFISH_DATA_DIR, else ./bigfish-data (where the API's evidence routes look too)."""
    configured = getattr(request.app.state, "data_dir", None)
    return Path(configured or os.environ.get("BIGFISH_DATA_DIR", "./bigfish-data"))


def _declared_query(route: Any) -> set[str]:
    """The query parameters ROUTE reads (its own and its dependencies'); none for a route that
    is no page (a mount, a redirect)."""
    dependant = getattr(route, "dependant", None)
    declared: set[str] = set()
    stack = [dependant] if dependant is not None else []
    while stack:
        dep = stack.pop()
        declared.update(p.alias for p in dep.query_params)
        stack.extend(dep.dependencies)
    return declared


def _only_declared(query: str, declared: set[str]) -> str:
    """QUERY keeping, as written, the pairs whose name is in DECLARED."""
    kept = [
        pair
        for pair in query.split("&")
        if pair and unquote_plus(pair.partition("=")[0]) in declared
    ]
    return "&".join(kept)


def _page_route(request: Request, path: str) -> Any:
    """The route of this application that answers GET PATH, None when none does."""
    from bigfish.api.app import registered_routes  # the app imports the pages' modules

    for route in registered_routes(request.app):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and "GET" in (route.methods or ()):
            return route
    return None


def address_of(request: Request, path: str, query: str) -> str:
    """PATH with the parameters of QUERY its page reads: an address to send the browser back to
    (after signing in, after choosing a language), without what a page ignores (`utm_source`
    that an e-mail or chat tool added, an old bookmark's parameter)."""
    route = request.scope.get("route") if path == request.url.path else None
    kept = _only_declared(query, _declared_query(route or _page_route(request, path)))
    return path + ("?" + kept if kept else "")


#: Parameters that e-mail, chat and social tools add to the links they carry (campaign and
#: click ids). A page (GET) ignores them; they name no sort or filter field.
_LINK_DECORATION = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid"}
    | {"mc_cid", "mc_eid", "_ga", "_gl", "si"}
)


def link_decoration(name: str) -> bool:
    """True for a query parameter a tool added to a link (`utm_source`, `fbclid`, …)."""
    return name.startswith("utm_") or name in _LINK_DECORATION


def _check_query(request: Request) -> None:
    """A query parameter its route does not read is refused (400), never silently ignored
    (spec/security-tests.md class 14: `?sort=score` or a misspelt filter would otherwise show
    the page unfiltered as if it were filtered). A page (GET) ignores only what e-mail, chat
    and social tools add to links (`utm_source`, `fbclid`: `link_decoration`); the page is the
    one without them, and none of them is carried into its links or redirects."""
    declared = _declared_query(request.scope.get("route"))
    unknown = sorted(set(request.query_params) - declared)
    if request.method in {"GET", "HEAD"}:
        unknown = [name for name in unknown if not link_decoration(name)]
    if unknown:
        raise HTTPException(400, f"unknown query parameter {unknown[0]!r}")


def _check_nul(request: Request) -> None:
    """A NUL character in a step of the address or a query parameter names nothing and can be
    neither stored nor searched: a 400 naming the parameter, the same on every backend (SQLite
    searched it and answered nothing, PostgreSQL refused it without saying which). A parameter
    the page does not read is ignored, its value with it."""
    declared = _declared_query(request.scope.get("route"))
    read = [(k, v) for k, v in request.query_params.multi_items() if k in declared]
    for name, value in (*request.path_params.items(), *read):
        if isinstance(value, str) and "\x00" in value:
            raise HTTPException(400, f"field {name!r}: a NUL character is not allowed")


def signed_in(level: Access) -> Callable[[Request], WebSession]:
    """The dependency of a page: a signed-in user with a role of LEVEL, else a redirect to sign in
    (or 403). It declares LEVEL for the route registry's access-policy check."""

    def dependency(request: Request) -> WebSession:
        _check_query(request)
        _check_nul(request)
        session = current_session(store_of(request), request.cookies.get(SESSION_COOKIE))
        if session is None:
            target = address_of(request, request.url.path, request.url.query)
            if request.method not in {"GET", "HEAD"}:
                target = _page_of_form(request)
            if is_htmx(request):  # the whole page goes to sign in, not the login into a part
                page_url = urlsplit(request.headers.get("hx-current-url", ""))
                target = address_of(request, page_url.path or "/", page_url.query)
                raise HTTPException(
                    401, "sign in first", headers={"HX-Redirect": "/login?next=" + quote(target)}
                )
            raise HTTPException(
                303, "sign in first", headers={"Location": "/login?next=" + quote(target)}
            )
        if session.principal.role not in _ROLES[level]:
            raise HTTPException(403, _NEEDS[level])
        _take_rate_token(request, session)
        return session

    dependency.bigfish_access = level  # type: ignore[attr-defined]
    dependency.__name__ = f"signed_in_{level.value}"
    return dependency


def _page_of_form(request: Request) -> str:
    """Where a form sent without a session goes back to once signed in: the page of this site
    it was sent from (its Referer, sent in full to this origin: `Referrer-Policy: same-origin`),
    else the page at the form's own address, else the overview; never an address only POST
    answers (signing in led there to "Method Not Allowed")."""
    sent_from = urlsplit(request.headers.get("referer", ""))
    here = request.url
    if (sent_from.scheme, sent_from.netloc) == (here.scheme, here.netloc) and sent_from.path:
        page = _page_route(request, sent_from.path)
        if page is not None:  # its query as that page reads it (not as the form's route does)
            kept = _only_declared(sent_from.query, _declared_query(page))
            return sent_from.path + ("?" + kept if kept else "")
    return here.path if _page_route(request, here.path) is not None else "/"


def _take_rate_token(request: Request, session: WebSession) -> None:
    """One of the signed-in user's requests of the minute (`bigfish serve --rate-limit`, as for
    an API key; counted per user): a page is a lookup or more, and a script holding a session
    cookie is held to the limit a key is held to. 429 with Retry-After when none is left."""
    try:
        take_rate_token(request, session.principal)
    except ApiError as exc:
        raise HTTPException(429, _TOO_MANY, headers=exc.headers) from None


_TOO_MANY = N_("Too many requests from your account: try again in a moment.")


def public_page() -> Callable[[Request], None]:
    """The dependency of a page anyone may open (sign-in, static files)."""

    def dependency(request: Request) -> None:
        _check_query(request)

    dependency.bigfish_access = Access.PUBLIC  # type: ignore[attr-defined]
    dependency.__name__ = "public_page"
    return dependency


#: What a form with another session's token answers: one of a page opened before another tab
#: of the browser signed out, or in again (any value of a token's form reads the same).
STALE_FORM = N_(
    "Not sent: the form is from an earlier session (another tab signed out or in); reload the page."
)
#: The same, for a form shown again filled in (its user's earlier session).
STALE_FORM_KEPT = N_(
    "Not sent: the form is from an earlier session (another tab signed out or in); send it again."
)


class StaleForm(HTTPException):
    """A form whose token is not the signed-in session's (403). `same_user` when the token was
    issued to the signed-in user: what the form was sent with may be shown again, to be sent
    with the session's token; another user's form is never shown to this one."""

    def __init__(self, same_user: bool) -> None:
        super().__init__(403, STALE_FORM)
        self.same_user = same_user


def check_csrf(request: Request, session: WebSession, form_token: str | None) -> None:
    """403 unless the form (or the HTMX header) carries the session's CSRF token: StaleForm for a
    session's token that is not this session's, HTTPException for none or anything else."""
    given = form_token or request.headers.get("x-csrf-token")
    if tokens_match(session.csrf_token, given):
        return
    user = issued_to(given)
    if user is None:
        raise HTTPException(403, N_("the form's CSRF token is missing or wrong; reload the page"))
    raise StaleForm(same_user=user == issued_to(session.csrf_token))


def viewer_of(session: WebSession) -> Viewer:
    """The policy viewer of a signed-in user: its organization and groups, never the operator."""
    return session.principal.viewer()


def language_of(request: Request) -> str:
    """The language of the page."""
    return pick_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def _json_attribute(value: Any) -> Markup:
    """JSON for an HTML attribute value (quotes and angle brackets escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (
        ("&", "&amp;"),
        ('"', "&quot;"),
        ("'", "&#39;"),
        ("<", "&lt;"),
        (">", "&gt;"),
    ):
        text = text.replace(raw, escaped)
    return Exact(text)  # every special character escaped above


TEMPLATES.env.filters["json_attr"] = _json_attribute
TEMPLATES.env.filters["usd"] = lambda v: f"${float(v or 0):,.0f}"
TEMPLATES.env.filters["num"] = lambda v: f"{int(v or 0):,}"
# an exact decimal amount as stated (text), grouped: 12000.50 -> 12,000.50
TEMPLATES.env.filters["amount"] = lambda v: f"{Decimal(v):,f}"
TEMPLATES.env.filters["day"] = lambda v: v.strftime("%Y-%m-%d") if v else ""
TEMPLATES.env.filters["moment"] = lambda v: v.strftime("%Y-%m-%d %H:%M UTC") if v else ""


def _clock_time(moment: datetime) -> str:
    """HH:MM of a UTC MOMENT of today, with its date when it is of another day (figures kept
    in the store from an earlier day)."""
    at = moment.astimezone(UTC)
    return at.strftime("%H:%M" if at.date() == datetime.now(UTC).date() else "%Y-%m-%d %H:%M")


TEMPLATES.env.filters["clock"] = _clock_time


def page(
    request: Request,
    session: WebSession | None,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render TEMPLATE for the signed-in SESSION with the security headers."""
    language = language_of(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "session": session,
            "_": page_translator(language),
            "language": language,
            "languages": LANGUAGES,
            "version": __version__,
            "path": request.url.path,
            "here": address_of(request, request.url.path, request.url.query),
            **context,
        },
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def not_found(request: Request, session: WebSession, message: str) -> HTMLResponse:
    """The page for something that does not exist or that the user may not see: the same.
    MESSAGE is of the catalogue (`N_("No network here.")`), translated by the page."""
    return page(request, session, "error.html", status=404, title=N_("Not found"), message=message)


_TITLES = {
    400: N_("Bad request"),
    401: N_("Sign in"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    422: N_("Bad request"),
    429: N_("Too many requests"),
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error of a web page, as a page (a fragment for HTMX, shown where the answer goes):
    what was wrong in the words of the error (translated when it is a message of the catalogue),
    never a traceback."""
    title = _TITLES.get(status, N_("Error") if status < 500 else N_("Something went wrong"))
    template = "error_fragment.html" if is_htmx(request) else "error.html"
    return page(
        request, _session_of(request), template, status=status, title=title, message=message
    )


def _session_of(request: Request) -> WebSession | None:
    """The signed-in user of a page that answered an error, so that the error page keeps the
    navigation, the language and sign-out (a bad filter or an old link left a page without
    them); None when there is none, or when the store cannot say (an error of the store)."""
    try:
        return current_session(store_of(request), request.cookies.get(SESSION_COOKIE))
    except Exception:  # the error page must still be shown
        return None


def is_htmx(request: Request) -> bool:
    """True for an HTMX request that wants a fragment, not a whole page. Back to an address
    htmx pushed (a filter, a search) asks for it again as an HTMX request: the pages keep no
    snapshot of themselves in the browser (`historyCacheSize` 0 in base.html: a shared computer
    kept the last searches' results after sign-out), and such a request wants the whole page
    (its fragment alone replaced the page's navigation and form)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


# Compiled when the application is loaded (before `bigfish serve` freezes its start-up objects),
# not by the first page that needs one after every restart: 16 templates, about 0.2 s.
for _name in TEMPLATES.env.list_templates(extensions=["html"]):
    TEMPLATES.env.get_template(_name)

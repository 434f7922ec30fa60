"""The analyst pages: sign in, overview, big fish (ranked networks), one network with its graph,
search and lookup, and the static files. Each view calls one library function through the policy.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from bigfish import vocab
from bigfish.api.deps import Access
from bigfish.api.routes.lookup import record_looked_up
from bigfish.errors import InputError, NotFound
from bigfish.identifiers import normalize
from bigfish.identifiers.phone import NEEDS_COUNTRY
from bigfish.linking.detail import get_network
from bigfish.lookup import LookupQuery, lookup_many
from bigfish.models import Kind, ScamType
from bigfish.organizations import list_orgs
from bigfish.reporting.period import parse_period
from bigfish.reports import get_report
from bigfish.web import data
from bigfish.web.audited import (
    record_sign_in_failed,
    record_signed_in,
    record_signed_out,
    record_view,
)
from bigfish.web.i18n import LANGUAGE_COOKIE, LANGUAGES, N_, translator
from bigfish.web.render import (
    HERE,
    SECURITY_HEADERS,
    check_csrf,
    is_htmx,
    language_of,
    not_found,
    page,
    public_page,
    signed_in,
    store_of,
    viewer_of,
)
from bigfish.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    SignInThrottle,
    WebSession,
    current_session,
    is_form_token,
    new_form_token,
    sign_in,
    sign_out,
    tokens_match,
)

router = APIRouter(include_in_schema=False)

Reader = Annotated[WebSession, Depends(signed_in(Access.READ))]
Public = Depends(public_page())
STATIC = (HERE / "static").resolve()
#: The audit rows naming what a web search looked up (`[[index, kind, canonical], …]`).
SEARCH_AUDIT_ACTION = "GET /search identifiers"


def _safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else (another site, a scheme) is `/`."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc or "\\" in target else target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


#: The longest address a form sends the browser back to (`next`, `back`): a page's path and
#: query as the browser escaped it, a search of 2,000 characters up to 12 each (`%F0%9F…`).
RETURN_ADDRESS_MAX = 32_000

#: Failed sign-ins per username and per address (10 and 50 in 15 minutes).
THROTTLE = SignInThrottle()


#: What a sign-in form sent with a form token the browser no longer holds answers, the form kept.
STALE_SIGN_IN = N_(
    "This sign-in form is out of date (another tab signed in or out): enter your password again."
)


def _sign_in_form(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    next: str | None = "/",
) -> Response:
    """The sign-in form with the browser's form token (double-submit CSRF): the one its cookie
    holds, so that the form open in another tab still signs in, else a new one."""
    held = request.cookies.get(LOGIN_CSRF_COOKIE)
    token = held if held is not None and is_form_token(held) else new_form_token()
    response = page(
        request,
        None,
        "login.html",
        status=status,
        csrf=token,
        next=_safe_next(next),
        username=username,
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request)
    )
    return response


@router.get("/login", dependencies=[Public])
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form, with a double-submit CSRF token."""
    return _sign_in_form(request, next=next)


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=RETURN_ADDRESS_MAX)] = "/",
) -> Response:
    """Check the password (argon2) and start a session; the same answer for every failure. A
    form whose token the browser no longer holds (another tab signed in since) comes back with
    its name, its return address and a token that works; nothing is checked or recorded."""
    translate = translator(language_of(request))
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        stale = translate(STALE_SIGN_IN)
        return _sign_in_form(request, status=403, error=stale, username=username, next=next)
    address = request.client.host if request.client else "unknown"
    at = time.monotonic()
    wait = THROTTLE.attempt(username, address, at)  # counted as failed until it succeeds
    token = None if wait else sign_in(store_of(request), username, password)
    if token is None:
        failed = _sign_in_form(
            request,
            status=429 if wait else 401,
            username=username,
            next=next,
            error=(
                translate(N_("Too many failed sign-ins: try again in {minutes} minute(s).")).format(
                    minutes=math.ceil(wait / 60)
                )
                if wait
                else translate(N_("Unknown username or wrong password."))
            ),
        )
        if wait:
            failed.headers["Retry-After"] = str(math.ceil(wait))
        record_sign_in_failed(request, username, failed.status_code)
        return failed
    THROTTLE.succeeded(username, address, at)
    started = current_session(store_of(request), token)
    try:  # a session nobody can account for is not started
        if started is not None:
            record_signed_in(request, started, 303)
    except HTTPException:
        sign_out(store_of(request), token)
        raise
    # The browser's previous session (another user's on a shared computer) ends here too, not
    # only its cookie: a copy of that cookie must not outlive the sign-in that replaced it.
    sign_out(store_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, session: Reader, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """End the session."""
    check_csrf(request, session, csrf_token)
    sign_out(store_of(request), request.cookies.get(SESSION_COOKIE))
    record_signed_out(request, session, 303)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def language(
    request: Request,
    session: Reader,
    lang: Annotated[str, Form(max_length=5)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=RETURN_ADDRESS_MAX)] = "/",
) -> Response:
    """Remember the language of the pages and go back to the page it was chosen on (its query
    kept)."""
    check_csrf(request, session, csrf_token)
    if lang not in LANGUAGES:
        raise InputError(f"unknown language {lang!r} ({', '.join(LANGUAGES)})", field="lang")
    response = RedirectResponse(_safe_next(back), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, lang, samesite="strict", httponly=True, secure=_secure(request)
    )
    return response


@router.get("/")
def overview(request: Request, session: Reader) -> Response:
    """Reports, losses, networks, countries, the monthly trend, and what changed since yesterday."""
    viewer = viewer_of(session)
    store = store_of(request)
    overview = data.overview_statistics(store, viewer)
    top = data.rank_networks(store, viewer, data.NetworkFilters(), limit=5)
    stats = overview.figures
    peak = max((t.reports for t in stats.by_month), default=0)
    moments = [m for m in (overview.as_of, top.as_of) if m is not None]
    return page(
        request,
        session,
        "overview.html",
        stats=stats,
        changes=overview.changes,
        top=top,
        peak=peak,
        as_of=min(moments, default=None),
    )


def _filters(
    country: str | None,
    scam_type: str | None,
    org: str | None,
    period: str | None,
    min_c: int | None,
) -> data.NetworkFilters:
    if scam_type and scam_type not in {t.value for t in ScamType}:
        raise InputError(f"unknown typology {scam_type!r}", field="scam_type")
    country = (country or "").strip()  # a form field may carry spaces
    if country and country.upper() not in vocab.countries():
        raise InputError(f"unknown ISO 3166 country code {country!r}", field="country")
    return data.NetworkFilters(
        country=country.upper() if country else None,
        scam_type=scam_type or None,
        org=org or None,
        period=parse_period(period),
        min_countries=min_c,
    )


def _min_countries(text: str | None) -> int | None:
    """The form's minimum number of countries: empty is no minimum, else 1 to 300."""
    if text is None or not text.strip():
        return None
    if not (text.strip().isascii() and text.strip().isdigit()) or not 1 <= int(text) <= 300:
        raise InputError("a minimum number of countries is 1 to 300", field="min_countries")
    return int(text)


@router.get("/networks")
def networks(
    request: Request,
    session: Reader,
    country: Annotated[str | None, Query(max_length=20)] = None,
    scam_type: Annotated[str | None, Query(max_length=40)] = None,
    org: Annotated[str | None, Query(max_length=100)] = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
    min_countries: Annotated[str | None, Query(max_length=3)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    """The big fish: networks ranked by score, filtered by country, typology, organization,
    period and a minimum number of countries (a field left empty in the form: no filter)."""
    store = store_of(request)
    values = {
        "country": country or "",
        "scam_type": scam_type or "",
        "org": org or "",
        "period": period or "",
        "min_countries": min_countries or "",
    }
    error = None
    orgs = [o.name for o in list_orgs(store)]
    try:
        least = _min_countries(min_countries)
        if org and org not in orgs:  # not "No network matches.": the name is wrong
            raise InputError(f"unknown organization {org!r}", field="org")
        filters = _filters(country, scam_type, org, period, least)
        found = data.rank_networks(store, viewer_of(session), filters, offset=offset)
    except InputError as exc:
        error, found = f"{exc.field}: {exc.message}", data.FilteredNetworks((), None)
    template = "networks_results.html" if is_htmx(request) else "networks.html"
    return page(
        request,
        session,
        template,
        status=400 if error else 200,
        found=found,
        values=values,
        error=error,
        offset=offset,
        scam_types=[t.value for t in ScamType],
        orgs=orgs,
    )


#: Ids are 64-bit integers in the store: a larger one names nothing (and cannot be searched).
_LARGEST_ID = 2**63 - 1


@router.get("/networks/{network_id}")
def network(request: Request, session: Reader, network_id: int) -> Response:
    """One network: the graph, the explanation of every link, key identifiers, timeline, losses."""
    if network_id > _LARGEST_ID:
        return not_found(request, session, N_("No network here."))
    viewer = viewer_of(session)
    store = store_of(request)
    try:
        detail = get_network(store, viewer, network_id)
    except NotFound:
        record_view(request, session, 404)
        return not_found(request, session, N_("No network here."))
    record_view(request, session, 200)
    members = data.member_facts(store, viewer, detail)
    names = {j.identifier_id: j for j in detail.joins}
    return page(
        request,
        session,
        "network.html",
        detail=detail,
        members=members,
        elements=data.graph_elements(detail, members),
        keys=[names[i] for i in detail.key_identifiers if i in names],
        refs=detail.refs,
    )


@router.get("/networks/{network_id}/export/{fmt}")
def network_export(request: Request, session: Reader, network_id: int, fmt: str) -> Response:
    """The network's reports the user may see, as STIX 2.1, MISP, CSV or an Excel workbook
    (a network with a report too long for one: 422, the reason shown, and recorded so)."""
    if fmt not in data.EXPORT_MEDIA_TYPES:
        return not_found(request, session, N_("No export format here."))
    if network_id > _LARGEST_ID:  # names nothing, as on the network's page
        return not_found(request, session, N_("No network here."))
    viewer = viewer_of(session)
    store = store_of(request)
    try:
        detail = get_network(store, viewer, network_id)
    except NotFound:
        record_view(request, session, 404)
        return not_found(request, session, N_("No network here."))
    try:
        body = data.export_network(store, viewer, detail, fmt)
    except InputError as exc:  # a report that does not fit in a workbook
        record_view(request, session, 422)
        raise HTTPException(422, str(exc)) from None
    record_view(request, session, 200)
    extension = {"stix": "json", "misp": "misp.json", "csv": "csv", "xlsx": "xlsx"}[fmt]
    headers = SECURITY_HEADERS | {
        "Content-Disposition": f'attachment; filename="network-{detail.summary.id}.{extension}"'
    }
    return Response(body, media_type=data.EXPORT_MEDIA_TYPES[fmt], headers=headers)


# Under its own prefix: a report id may hold '/' and end in '/graph', and
# /reports/{org}/{id}/graph was that report's page as much as another's graph.
@router.get("/graph/reports/{org}/{report_id:path}")
def report_graph(request: Request, session: Reader, org: str, report_id: str) -> Response:
    """Every identifier of one report (for expanding a report node of the graph), as JSON."""
    try:
        record = get_report(store_of(request), viewer_of(session), org, report_id)
    except NotFound:
        record_view(request, session, 404)
        return JSONResponse({"identifiers": []}, status_code=404, headers=SECURITY_HEADERS)
    record_view(request, session, 200)
    items = [
        {"kind": m.kind, "canonical": m.canonical, "valid": m.valid, "source": m.source}
        for m in record.identifiers
    ]
    return JSONResponse({"identifiers": items}, headers=SECURITY_HEADERS)


@router.get("/search")
def search(
    request: Request,
    session: Reader,
    q: Annotated[str, Query(max_length=2000)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    """Any identifier in any surface form, normalized on the fly, with what the user may see."""
    viewer = viewer_of(session)
    store = store_of(request)
    error = None
    results = []
    if kind and kind not in {k.value for k in Kind}:
        error = f"kind: unknown kind {kind!r}"
    elif q.strip():
        region = country.upper() or None
        try:  # a country that is no ISO 3166 code: said in the form, as a kind is
            meant = data.interpret(q, kind or None, region)
        except InputError as exc:
            meant, error = [], f"{exc.field}: {exc.message}" if exc.field else exc.message
        answers = lookup_many(
            store, viewer, [LookupQuery(i.canonical_kind, i.canonical, region) for i in meant]
        )
        # a search is a lookup: recorded, as the API's, before the answer is shown
        looked_up = [(i, a.canonical_kind, a.canonical) for i, a in enumerate(answers)]
        record_looked_up(request, session.principal, SEARCH_AUDIT_ACTION, looked_up)
        for ident, answer in zip(meant, answers, strict=True):
            seen = data.reports_mentioning(
                store, viewer, answer.canonical_kind, answer.canonical, limit=20
            )
            results.append((ident, answer, seen))
    template = "search_results.html" if is_htmx(request) else "search.html"
    return page(
        request,
        session,
        template,
        status=400 if error else 200,
        q=q,
        kind=kind,
        country=country,
        kinds=[k.value for k in Kind],
        results=results,
        error=error,
        local_number=not (results or error or kind or country) and _local_number(q),
    )


def _local_number(text: str) -> bool:
    """Whether TEXT is a phone number written without its country code, which the search
    finds once the country of a local number is given (as `bigfish lookup` asks --country)."""
    value = text.strip()[:2000]
    return bool(value) and normalize(Kind.PHONE, value, None).error == NEEDS_COUNTRY


@router.get("/static/{path:path}", dependencies=[Public])
def static(path: str) -> Response:
    """The application's CSS, JavaScript and the vendored libraries (no CDN), with the pages'
    security headers (an SVG opened on its own is a document), as is a file that is not there."""
    if "\x00" in path:  # no file has one; `resolve` would raise (a 500)
        raise HTTPException(404, "no such file", headers=SECURITY_HEADERS)
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise HTTPException(404, "no such file", headers=SECURITY_HEADERS)
    media = {
        ".js": "text/javascript",
        ".css": "text/css",
        ".png": "image/png",
        ".svg": "image/svg+xml",
    }.get(Path(path).suffix, "text/plain; charset=utf-8")
    return FileResponse(
        target,
        media_type=media,
        headers=SECURITY_HEADERS | {"Cache-Control": "public, max-age=3600"},
    )

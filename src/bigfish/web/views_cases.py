"""The case-work pages: one report, alerts, cooperation requests (inbox and outbox), evidence with
its custody timeline and a verification, and the administration of organizations and groups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from bigfish.accounts import list_users
from bigfish.alerts import list_alerts
from bigfish.api.deps import Access
from bigfish.cooperation.model import (
    RequestDraft,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
    legal_bases,
)
from bigfish.cooperation.service import create_request, requests_page
from bigfish.errors import AccessDenied, BigfishError, InputError, NotFound
from bigfish.evidence.service import (
    Activity,
    evidence_page,
    get_evidence,
    list_custody,
    list_evidence,
)
from bigfish.memberships import add_member, create_group, groups_of
from bigfish.organizations import list_orgs
from bigfish.reports import get_report
from bigfish.suggestions import decide, suggestions_for
from bigfish.web.audited import record_view
from bigfish.web.i18n import N_, translator
from bigfish.web.render import (
    STALE_FORM_KEPT,
    StaleForm,
    check_csrf,
    data_dir_of,
    language_of,
    not_found,
    page,
    signed_in,
    store_of,
    viewer_of,
)
from bigfish.web.session import WebSession
from bigfish.web.views import router

Reader = Annotated[WebSession, Depends(signed_in(Access.READ))]
Writer = Annotated[WebSession, Depends(signed_in(Access.WRITE))]
Admin = Annotated[WebSession, Depends(signed_in(Access.ADMIN))]
Csrf = Annotated[str, Form(max_length=200)]


#: Same-script suggestions a report page lists at once (a link to the next ones when more).
_SIMILAR_PAGE = 50
#: The longest cursor of a page of suggestions: base64 of the last one's organization (100
#: characters) and report id (200), each character up to 12 in JSON (`\ud83d\ude00`).
_SIMILAR_CURSOR_MAX = 8_000


@router.get("/reports/{org}/{report_id:path}")
def report(
    request: Request,
    session: Reader,
    org: str,
    report_id: str,
    similar_after: Annotated[str | None, Query(max_length=_SIMILAR_CURSOR_MAX)] = None,
) -> Response:
    """One report as the user may see it (404 exactly as for a report that does not exist), with
    a page of its same-script suggestions (after SIMILAR_AFTER, a previous page's cursor)."""
    viewer = viewer_of(session)
    store = store_of(request)
    try:
        record = get_report(store, viewer, org, report_id)
    except NotFound:
        record_view(request, session, 404)
        return not_found(request, session, N_("No report here."))
    record_view(request, session, 200)
    evidence = list_evidence(store, data_dir_of(request), viewer, org=org, report_id=report_id)
    try:
        similar = suggestions_for(
            store, viewer, org, report_id, cursor=similar_after, limit=_SIMILAR_PAGE
        )
    except InputError:  # a cursor of nothing: the first page
        similar = suggestions_for(store, viewer, org, report_id, limit=_SIMILAR_PAGE)
    return page(
        request,
        session,
        "report.html",
        report=record,
        evidence=evidence,
        similar=similar.suggestions,
        similar_next=similar.next_cursor,
        similar_after=similar_after,
    )


@router.post("/similar/decide")
def decide_similar(
    request: Request,
    session: Writer,
    org: Annotated[str, Form(max_length=100)],
    report_id: Annotated[str, Form(max_length=200)],
    other_org: Annotated[str, Form(max_length=100)],
    other_report_id: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=10)],
    csrf_token: Csrf = "",
    similar_after: Annotated[str, Form(max_length=_SIMILAR_CURSOR_MAX)] = "",
) -> Response:
    """Accept or reject a same-script suggestion for the user's organization; back to the
    report's page of suggestions it was on (404 as for a report that does not exist when either
    is hidden)."""
    check_csrf(request, session, csrf_token)
    try:
        decide(
            store_of(request),
            viewer_of(session),
            session.username,
            (org, report_id),
            (other_org, other_report_id),
            decision,
        )
    except NotFound:
        return not_found(request, session, N_("No report here."))
    back = f"/reports/{quote(org, safe='')}/{quote(report_id, safe='')}"
    if similar_after:
        back += f"?similar_after={quote(similar_after, safe='')}"
    return RedirectResponse(back, status_code=303)


@router.get("/alerts")
def alerts(
    request: Request,
    session: Reader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Reports of other organizations that mention identifiers the user's organization holds,
    oldest first, 200 a page (a link to the next page when there are more)."""
    found = list_alerts(store_of(request), viewer_of(session), cursor=cursor, limit=_ALERTS_PAGE)
    return page(request, session, "alerts.html", alerts=found.alerts, next_cursor=found.next_cursor)


_ALERTS_PAGE = 200


def _subject(text: str) -> Subject:
    """`network:12`, `report:ORG/REPORT_ID` or `KIND:CANONICAL` (an identifier)."""
    kind, _, value = text.strip().partition(":")
    if not value.strip():
        raise InputError(
            "a subject is network:ID, report:ORG/REPORT_ID or KIND:VALUE", field="subject"
        )
    if kind == "network":
        return Subject(SubjectKind.NETWORK, value.strip())
    if kind == "report":
        return Subject(SubjectKind.REPORT, value.strip())
    return Subject(SubjectKind.IDENTIFIER, value.strip(), identifier_kind=kind)


#: Requests each box of /requests shows at once, evidence /evidence shows at once (a link to the
#: next ones when more).
_LIST_PAGE = 50


def _href(path: str, params: dict[str, str | None], anchor: str = "") -> str:
    """PATH with the PARAMS that have a value, and ANCHOR."""
    query = urlencode({k: v for k, v in params.items() if v})
    return path + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def _stale_own_form(request: Request, session: WebSession, csrf_token: str) -> str | None:
    """None when the form carries the session's CSRF token. The user's own form from an earlier
    session is shown again, filled in, not sent: the message to show it with. Any other token
    raises, as check_csrf does."""
    try:
        check_csrf(request, session, csrf_token)
    except StaleForm as exc:
        if not exc.same_user:
            raise
        return translator(language_of(request))(STALE_FORM_KEPT)
    return None


def _requests_page(
    request: Request,
    session: WebSession,
    *,
    subject: str = "",
    error: str | None = None,
    network: int | None = None,
    cursors: dict[str, str | None] | None = None,
    form: dict[str, str] | None = None,
    status: int | None = None,
) -> Response:
    """The requests page: a page of each box after its cursor (CURSORS: `inbox_cursor`,
    `outbox_cursor`), with links to the next page and the first of each box that keep the
    other's place; the new request's form filled in with FORM (what a refused one was sent
    with: one bad field must not cost the analyst the others)."""
    store = store_of(request)
    viewer = viewer_of(session)
    places = dict(cursors or {})
    params: dict[str, str | None] = {"network": str(network) if network is not None else None}
    params.update(places)
    boxes = {}
    for box in ("inbox", "outbox"):
        field = f"{box}_cursor"
        try:
            found = requests_page(store, viewer, box, cursor=places.get(field), limit=_LIST_PAGE)
        except InputError as exc:  # named as the address names it
            if exc.field != "cursor":
                raise
            raise InputError(exc.message, field=field) from None
        following = found.next_cursor
        boxes[box] = {
            "rows": found.requests,
            "next": _href("/requests", params | {field: following}, box) if following else None,
            "first": _href("/requests", params | {field: None}, box) if places.get(field) else None,
        }
    return page(
        request,
        session,
        "requests.html",
        status=status or (400 if error else 200),
        inbox=boxes["inbox"],
        outbox=boxes["outbox"],
        subject=subject,
        form=form or {},
        error=error,
        orgs=[o.name for o in list_orgs(store) if o.name != session.principal.org_name],
        request_types=[t.value for t in RequestType],
        urgencies=[u.value for u in Urgency],
        bases=sorted(legal_bases().values(), key=lambda b: b.id),
    )


#: The form's names of the fields `bigfish.cooperation` names otherwise.
_FORM_FIELDS = {"subjects[0]": "subject"}


@router.get("/requests")
def requests(
    request: Request,
    session: Reader,
    network: Annotated[int | None, Query(ge=1)] = None,
    inbox_cursor: Annotated[str | None, Query(max_length=200)] = None,
    outbox_cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Cooperation requests: the inbox (received) and the outbox (sent), newest first, 50 a page
    each (after INBOX_CURSOR, OUTBOX_CURSOR), and a new request (about NETWORK when the network
    page sent the user here)."""
    subject = f"network:{network}" if network is not None else ""
    cursors = {"inbox_cursor": inbox_cursor, "outbox_cursor": outbox_cursor}
    return _requests_page(request, session, subject=subject, network=network, cursors=cursors)


@router.post("/requests")
def new_request(
    request: Request,
    session: Writer,
    to_org: Annotated[str, Form(max_length=100)],
    request_type: Annotated[str, Form(max_length=40)],
    legal_basis: Annotated[str, Form(max_length=100)],
    summary: Annotated[str, Form(max_length=500)],
    subject: Annotated[str, Form(max_length=600)],
    urgency: Annotated[str, Form(max_length=20)] = "routine",
    deadline: Annotated[str, Form(max_length=10)] = "",
    send: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Create a cooperation request from the user's organization (a draft, or sent at once)."""
    typed = {
        "to_org": to_org,
        "request_type": request_type,
        "legal_basis": legal_basis,
        "summary": summary,
        "urgency": urgency,
        "deadline": deadline,
        "send": send,
    }
    kept = _stale_own_form(request, session, csrf_token)
    if kept is not None:
        return _requests_page(request, session, subject=subject, error=kept, form=typed, status=403)
    try:
        try:
            kind = RequestType(request_type)
        except ValueError:
            raise InputError(
                f"unknown request type {request_type!r}", field="request_type"
            ) from None
        try:
            speed = Urgency(urgency)
        except ValueError:
            raise InputError(f"unknown urgency {urgency!r}", field="urgency") from None
        try:
            due = datetime.fromisoformat(deadline).replace(tzinfo=UTC) if deadline else None
        except ValueError:
            raise InputError("a deadline is a date (YYYY-MM-DD)", field="deadline") from None
        draft = RequestDraft(
            to_org=to_org.strip(),
            request_type=kind,
            legal_basis=legal_basis,
            summary=summary,
            subjects=(_subject(subject),),
            urgency=speed,
            deadline=due,
            created_by=session.username,
        )
        create_request(store_of(request), viewer_of(session), draft, send=send == "yes")
    except InputError as exc:  # named as the form names it, once (str(exc) names it too)
        field = _FORM_FIELDS.get(exc.field or "", exc.field)
        message = f"{field}: {exc.message}" if field else exc.message
        return _requests_page(request, session, subject=subject, error=message, form=typed)
    except BigfishError as exc:
        return _requests_page(request, session, subject=subject, error=str(exc), form=typed)
    return RedirectResponse("/requests", status_code=303)


@router.get("/evidence")
def evidence(
    request: Request,
    session: Reader,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Evidence the user may see, with the last integrity check of each piece, in the order it
    was stored, 50 a page (after CURSOR; links to the next page and the first)."""
    try:
        found = evidence_page(
            store_of(request),
            data_dir_of(request),
            viewer_of(session),
            cursor=cursor,
            limit=_LIST_PAGE,
        )
    except InputError:  # a cursor this user was not given: the error page, nothing shown
        record_view(request, session, 422)
        raise
    record_view(request, session, 200)
    following = found.next_cursor
    return page(
        request,
        session,
        "evidence.html",
        items=found.evidence,
        next_href=_href("/evidence", {"cursor": following}) if following else None,
        first_href="/evidence" if cursor else None,
    )


@router.get("/evidence/{evidence_id}")
def evidence_detail(request: Request, session: Reader, evidence_id: str) -> Response:
    """The custody timeline of one piece of evidence."""
    try:
        chain = list_custody(store_of(request), viewer_of(session), evidence_id)
    except NotFound:
        record_view(request, session, 404)
        return not_found(request, session, N_("No evidence here."))
    record_view(request, session, 200)
    return page(
        request, session, "evidence_detail.html", evidence_id=evidence_id, chain=chain, check=None
    )


@router.post("/evidence/{evidence_id}/verify")
def evidence_verify(
    request: Request, session: Reader, evidence_id: str, csrf_token: Csrf = ""
) -> Response:
    """Re-hash the stored bytes against the digest; the access is recorded in the custody log."""
    check_csrf(request, session, csrf_token)
    store = store_of(request)
    viewer = viewer_of(session)
    activity = Activity(
        session.username,
        "verification from the web application",
        "bigfish web",
        org=session.principal.org_name,
    )
    try:
        record = get_evidence(
            store,
            data_dir_of(request),
            viewer,
            evidence_id,
            activity,
            recorded_by=session.principal.actor,
        )
        chain = list_custody(store, viewer, evidence_id)
    except NotFound:
        record_view(request, session, 404)
        return not_found(request, session, N_("No evidence here."))
    record_view(request, session, 200)
    return page(
        request,
        session,
        "evidence_detail.html",
        evidence_id=evidence_id,
        chain=chain,
        check=record.integrity.value,
    )


def _admin_page(
    request: Request,
    session: WebSession,
    *,
    error: str | None = None,
    group_form: dict[str, str] | None = None,
    status: int | None = None,
) -> Response:
    """The organizations page; the new group's form filled in with GROUP_FORM (what a refused
    one was sent with)."""
    store = store_of(request)
    principal = session.principal
    try:
        people = list_users(store, principal)
    except AccessDenied:
        people = []
    return page(
        request,
        session,
        "organizations.html",
        status=status or (400 if error else 200),
        orgs=list_orgs(store),
        groups=groups_of(store, principal),
        users=people,
        error=error,
        group_form=group_form or {},
    )


@router.get("/organizations")
def organizations(request: Request, session: Reader) -> Response:
    """The organizations of the partnership, the user's groups and (for admins) its users."""
    return _admin_page(request, session)


@router.post("/organizations/groups")
def new_group(
    request: Request,
    session: Admin,
    name: Annotated[str, Form(max_length=100)],
    members: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Create a sharing group owned by the admin's organization."""
    typed = {"name": name, "members": members}
    kept = _stale_own_form(request, session, csrf_token)
    if kept is not None:
        return _admin_page(request, session, error=kept, group_form=typed, status=403)
    names = [m.strip() for m in members.replace(",", " ").split() if m.strip()]
    try:
        create_group(store_of(request), session.principal, name.strip(), names)
    except BigfishError as exc:
        return _admin_page(request, session, error=str(exc), group_form=typed)
    return RedirectResponse("/organizations", status_code=303)


@router.post("/organizations/members")
def new_member(
    request: Request,
    session: Admin,
    group: Annotated[str, Form(max_length=100)],
    org: Annotated[str, Form(max_length=100)],
    csrf_token: Csrf = "",
) -> Response:
    """Add an organization to a group the admin's organization owns. The group's name is a
    field, not a step of the address: a name may hold '/' and '..', which a browser resolves
    (the form of group 'x/../mekong' added the organization to 'mekong')."""
    check_csrf(request, session, csrf_token)
    try:
        add_member(store_of(request), session.principal, group, org.strip())
    except BigfishError as exc:
        return _admin_page(request, session, error=str(exc))
    return RedirectResponse("/organizations", status_code=303)

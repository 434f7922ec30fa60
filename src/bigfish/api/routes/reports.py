"""Reports: submit a batch, get one, list, re-mark, delete — every read through the policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from bigfish.accounts import Principal
from bigfish.api.deps import Access, hand_off_reports, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import (
    CONFLICT,
    ERRORS,
    IdentifierView,
    Rejection,
    Remark,
    ReportBatch,
    ReportPage,
    ReportView,
    SubmitResult,
)
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.models import TLP, Distribution, Marking
from bigfish.reports import (
    ReportRecord,
    delete_report,
    get_report,
    list_reports,
    remark_report,
    submit_reports,
)
from bigfish.store import Store

router = APIRouter(tags=["reports"], responses=ERRORS, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]
Writer = Annotated[Principal, Depends(requires(Access.WRITE))]


def check_marking(distribution: Distribution, group: str | None) -> None:
    """The group goes with distribution 'group' and nothing else; an empty or zero group is
    refused (400), never read as "no restriction"."""
    if group is not None and group.strip() in ("", "0", "null"):
        raise ApiError(400, "group must name a sharing group", details={"field": "group"})
    if distribution is Distribution.GROUP and group is None:
        raise ApiError(400, "distribution 'group' needs a group", details={"field": "group"})
    if distribution is not Distribution.GROUP and group is not None:
        raise ApiError(
            400,
            "group is only given with distribution 'group'",
            details={"field": "group"},
        )


def report_view(record: ReportRecord) -> ReportView:
    """The API form of a stored report."""
    return ReportView(
        org=record.org,
        report_id=record.report_id,
        reported_at=record.reported_at,
        country=record.country,
        scam_type=record.scam_type,
        channel=record.channel,
        loss_amount=record.loss_amount,
        loss_currency=record.loss_currency,
        loss_usd=record.loss_usd,
        narrative=record.narrative,
        attributes=record.attributes,
        tlp=record.tlp,
        distribution=record.distribution,
        group=record.group,
        identifiers=[
            IdentifierView(
                kind=m.kind,
                canonical=m.canonical,
                valid=m.valid,
                raw=m.raw,
                source=m.source,
                role=m.role,
            )
            for m in record.identifiers
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.post("/reports", response_model=SubmitResult)
def submit(body: ReportBatch, request: Request, principal: Writer) -> SubmitResult:
    """Store a batch of reports as the caller's organization's, with the batch's markings.

    Defaults keep everything inside the organization (`tlp: amber`, `distribution:
    organization`). Owner fields in the body are ignored: the key decides."""
    check_marking(body.distribution, body.group)
    marking = Marking(body.tlp, body.distribution, body.group)
    store: Store = request.app.state.store
    result = submit_reports(store, principal.viewer(), body.reports, marking)
    hand_off_reports(request, result.report_pks)
    link = getattr(request.app.state, "link_submitted", None)
    if link is not None and (result.stored or result.updated):
        link()
    return SubmitResult(
        received=result.received,
        stored=result.stored,
        updated=result.updated,
        rejected=[
            Rejection(index=r.index, report_id=r.report_id, reason=r.reason, field=r.field)
            for r in result.rejected
        ],
    )


@router.get("/reports", response_model=ReportPage)
def list_(
    request: Request,
    principal: Reader,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    scam_type: Annotated[str | None, Query(max_length=40)] = None,
    org: Annotated[str | None, Query(max_length=100)] = None,
    sort: Annotated[str, Query(max_length=40)] = "-reported_at",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ReportPage:
    """Reports the caller may see; `sort` is `reported_at` or `-reported_at`."""
    try:
        page = list_reports(
            request.app.state.store,
            principal.viewer(),
            country=country,
            scam_type=scam_type,
            org=org,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
    except InputError as exc:
        raise ApiError(400, str(exc), details={"field": exc.field}) from None
    return ReportPage(reports=[report_view(r) for r in page.reports], next_cursor=page.next_cursor)


@router.get("/reports/{org}/{report_id:path}", response_model=ReportView)
def get(org: str, report_id: str, request: Request, principal: Reader) -> ReportView:
    """One report as the caller may see it; 404 when it does not exist or is not visible."""
    return report_view(get_report(request.app.state.store, principal.viewer(), org, report_id))


@router.patch("/reports/{org}/{report_id:path}", response_model=ReportView)
def remark(
    org: str, report_id: str, body: Remark, request: Request, principal: Writer
) -> ReportView:
    """New markings for one of the caller's reports; others' reports answer 403 or 404.

    A re-marking that changes the marking hands the report to the webhooks, as a submission
    does: its alerts are dated anew (`updated_at`), so a poll serves them, and the delivery
    sends them to the holders that may see the report now (ones it was narrowed away from get
    nothing; ones that still may see it get them again, at least once, as a poll serves them
    again). One that changes nothing hands off nothing: nobody's view of the report changed."""
    if (body.org is not None and body.org != org) or (
        body.report_id is not None and body.report_id != report_id
    ):
        raise ApiError(403, "the body names another report than the path")
    store: Store = request.app.state.store
    viewer = principal.viewer()
    current = get_report(store, viewer, org, report_id)
    distribution = body.distribution or Distribution(current.distribution)
    group = body.group
    if group is None and body.distribution is None and distribution is Distribution.GROUP:
        group = current.group
    check_marking(distribution, group)
    marking = Marking(body.tlp or TLP(current.tlp), distribution, group)
    remarked = remark_report(store, viewer, org, report_id, marking)
    if _marking_of(remarked) != _marking_of(current):
        hand_off_reports(request, [remarked.pk])
    return report_view(remarked)


def _marking_of(record: ReportRecord) -> tuple[str, str, str | None]:
    """The marking RECORD is shared under: TLP, distribution and group (by name)."""
    return record.tlp, record.distribution, record.group


@router.delete("/reports/{org}/{report_id:path}", status_code=204, responses=CONFLICT)
def delete(org: str, report_id: str, request: Request, principal: Writer) -> Response:
    """Delete one of the caller's reports; its network shrinks, splits or dissolves in the
    background, as submitted reports join theirs (`bigfish serve`)."""
    delete_report(request.app.state.store, principal.viewer(), org, report_id)
    link = getattr(request.app.state, "link_submitted", None)
    if link is not None:
        link()
    return Response(status_code=204)

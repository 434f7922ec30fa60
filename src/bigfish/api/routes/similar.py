"""Same-script suggestions (`bigfish.suggestions`): `GET /api/v1/similar` lists the reports whose
narratives may tell the same script as one report, with a score, among what the caller may see;
`POST /api/v1/similar/decisions` records the caller's organization's decision on one. They are
possible links, never merged into a network."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import ERRORS, Body
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.suggestions import decide, suggestions_for

router = APIRouter(tags=["same-script suggestions"], responses=ERRORS, route_class=StrictJsonRoute)


class SuggestionView(BaseModel):
    """Another report that may tell the same script."""

    org: str
    report_id: str
    score: float
    method: str
    decision: str | None


class SuggestionList(BaseModel):
    """A page of the suggestions of one report, best first; pass `next_cursor` as `cursor` for
    the next (None at the end)."""

    suggestions: list[SuggestionView]
    next_cursor: str | None = None


class DecisionIn(Body):
    """The caller's organization's word on the suggestion joining two reports (a field it does
    not have is refused, as in every body of the API)."""

    org: str = Field(max_length=100)
    report_id: str = Field(max_length=200)
    other_org: str = Field(max_length=100)
    other_report_id: str = Field(max_length=200)
    decision: Literal["accepted", "rejected"]


@router.get("/similar", response_model=SuggestionList)
def similar(
    request: Request,
    principal: Annotated[Principal, Depends(requires(Access.READ))],
    org: Annotated[str, Query(max_length=100)],
    report_id: Annotated[str, Query(max_length=200)],
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> SuggestionList:
    """Reports whose narratives may tell the same script as ORG/REPORT_ID (possible links with a
    score, both reports visible to the caller), with the caller's organization's decisions:
    best first, then by organization and report id, `limit` a page (a campaign's first report
    may be chosen by thousands of copies)."""
    try:
        page = suggestions_for(
            request.app.state.store,
            principal.viewer(),
            org,
            report_id,
            cursor=cursor,
            limit=limit,
        )
    except InputError as exc:
        raise ApiError(400, str(exc), details={"field": exc.field}) from None
    return SuggestionList(
        suggestions=[SuggestionView(**s.to_json()) for s in page.suggestions],
        next_cursor=page.next_cursor,
    )


@router.post("/similar/decisions", response_model=SuggestionView)
def decision(
    body: DecisionIn,
    request: Request,
    principal: Annotated[Principal, Depends(requires(Access.WRITE))],
) -> SuggestionView:
    """Accept or reject a suggestion for the caller's organization (analysts and admins)."""
    kept = decide(
        request.app.state.store,
        principal.viewer(),
        principal.actor,
        (body.org, body.report_id),
        (body.other_org, body.other_report_id),
        body.decision,
    )
    return SuggestionView(**kept.to_json())

"""`POST /api/v1/match`: blinded values in, only the matches out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.routes.lookup import record_looked_up
from bigfish.api.schemas import ERRORS, MatchAnswer, MatchHit, MatchRequest
from bigfish.api.strict import StrictJsonRoute
from bigfish.matching import match_blinded

#: The audit log's action for the rows naming the blinded values a match found.
MATCH_AUDIT_ACTION = "POST /api/v1/match matches"

router = APIRouter(tags=["match"], responses=ERRORS, route_class=StrictJsonRoute)


@router.post("/match", response_model=MatchAnswer)
def match(
    body: MatchRequest,
    request: Request,
    principal: Annotated[Principal, Depends(requires(Access.READ))],
) -> MatchAnswer:
    """The blinded values (HMAC-SHA256 under the community key of `group`, or of any group the
    caller belongs to) that match reports the caller may see, with counts; nothing else. The
    audit log keeps the values that matched (rows of action `POST /api/v1/match matches`),
    never the others: the node holds the key, and a kept blinded value could be undone."""
    found = match_blinded(request.app.state.store, principal.viewer(), body.blinded, body.group)
    first: dict[str, int] = {}
    for index, value in enumerate(body.blinded):
        first.setdefault(value.strip().lower(), index)
    matched = [(first[m.blinded], "blinded", m.blinded) for m in found]
    record_looked_up(request, principal, MATCH_AUDIT_ACTION, matched)
    return MatchAnswer(
        matches=[MatchHit(blinded=m.blinded, report_count=m.report_count) for m in found]
    )

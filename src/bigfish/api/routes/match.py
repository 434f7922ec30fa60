"""`POST /api/v1/match`: blinded values in, only the matches out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.schemas import ERRORS, MatchAnswer, MatchHit, MatchRequest
from bigfish.api.strict import StrictJsonRoute
from bigfish.matching import match_blinded

router = APIRouter(tags=["match"], responses=ERRORS, route_class=StrictJsonRoute)


@router.post("/match", response_model=MatchAnswer)
def match(
    body: MatchRequest,
    request: Request,
    principal: Annotated[Principal, Depends(requires(Access.READ))],
) -> MatchAnswer:
    """The blinded values (HMAC-SHA256 under the community key of `group`, or of any group the
    caller belongs to) that match reports the caller may see, with counts; nothing else."""
    found = match_blinded(request.app.state.store, principal.viewer(), body.blinded, body.group)
    return MatchAnswer(
        matches=[MatchHit(blinded=m.blinded, report_count=m.report_count) for m in found]
    )

"""Networks as the caller may see them (the linking engine's views, through the policy)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import ERRORS, DbId
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.linking.detail import get_network
from bigfish.linking.views import list_networks

router = APIRouter(tags=["networks"], responses=ERRORS, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]


class NetworkReport(BaseModel):
    """A member report."""

    org: str
    report_id: str


class NetworkIdentifier(BaseModel):
    """An identifier the member reports share."""

    kind: str
    canonical: str
    report_count: int


class NetworkView(BaseModel):
    """One ranked network (the shape of `bigfish networks --json`)."""

    id: int
    score: float
    reports: list[NetworkReport]
    report_count: int
    countries: list[str]
    organizations: list[str]
    total_loss_usd: float
    first_seen: str
    last_seen: str
    identifiers: list[NetworkIdentifier]


class NetworkList(BaseModel):
    """A page of the ranking."""

    networks: list[NetworkView]
    next_cursor: str | None = None


@router.get("/networks", response_model=NetworkList)
def networks(
    request: Request,
    principal: Reader,
    top: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    min_countries: Annotated[int | None, Query(ge=1, le=300)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> NetworkList:
    """Networks ranked by score, restricted to the reports the caller may see."""
    try:
        page = list_networks(
            request.app.state.store,
            principal.viewer(),
            top=top,
            min_countries=min_countries,
            cursor=cursor,
            limit=limit,
        )
    except InputError as exc:
        raise ApiError(400, str(exc), details={"field": exc.field}) from None
    return NetworkList.model_validate(page.to_json() | {"next_cursor": page.next_cursor})


@router.get("/networks/{network_id}", response_model=dict[str, Any])
def network(network_id: DbId, request: Request, principal: Reader) -> dict[str, Any]:
    """One network with the explanation of every link; 404 unless the caller may see two or
    more of its reports."""
    detail = get_network(request.app.state.store, principal.viewer(), network_id)
    return detail.to_json()

"""`GET /api/v1/health`: is the node up (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bigfish import __version__
from bigfish.api.deps import Access, requires
from bigfish.api.schemas import ERRORS, Health
from bigfish.api.strict import StrictJsonRoute

router = APIRouter(tags=["health"], route_class=StrictJsonRoute)


@router.get(
    "/health",
    response_model=Health,
    dependencies=[Depends(requires(Access.PUBLIC))],
    responses={400: ERRORS[400]},  # an unknown query parameter, as on every route
)
def health() -> Health:
    """The node answers; its version."""
    return Health(status="ok", version=__version__)

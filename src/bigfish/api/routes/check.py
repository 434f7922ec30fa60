"""`GET /api/v1/check`: the optional public check — "has this number or link been reported?" —
for anyone, without a key (`bigfish serve --public-check`). It reveals only what partners marked
TLP:CLEAR for the partnership (`bigfish.public_check`), and each address may ask
`ApiSettings.public_check_per_minute` times a minute."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bigfish import vocab
from bigfish.api.deps import Access, RateLimiter, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import ERRORS
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.linking.warninglists import WarningLists, load_warning_lists, operator_list_dirs
from bigfish.public_check import MAX_TEXT, check, values_to_check

router = APIRouter(tags=["public check"], responses=ERRORS, route_class=StrictJsonRoute)


class CheckedValue(BaseModel):
    """One value as the public may know it."""

    kind: str
    canonical: str
    valid: bool
    reported: bool
    report_count: int
    scam_types: list[str]
    countries: list[str]
    first_reported: str | None
    last_reported: str | None
    shared_infrastructure: bool


class CheckAnswer(BaseModel):
    """Every value checked, in the order found."""

    checked: list[CheckedValue]
    note: str


NOTE = (
    "Counts only reports that partners published (TLP:CLEAR). Not reported does not mean safe; "
    "shared_infrastructure means reports mention it (a bank's hotline, a platform) without it "
    "being a sign of a scam."
)


@cache
def public_lists() -> WarningLists:
    """The warning lists the public check reads (shipped and the operator's), loaded once."""
    return load_warning_lists(operator_list_dirs())


def take_public_token(request: Request) -> None:
    """Take one check of the caller's address, or ApiError 429 with Retry-After."""
    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    address = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(f"public:{address}") if limiter is not None else 0
    if wait:
        raise ApiError(429, "too many checks from this address", headers={"Retry-After": str(wait)})


@router.get("/check", response_model=CheckAnswer, dependencies=[Depends(requires(Access.PUBLIC))])
async def public_check(
    request: Request,
    value: Annotated[str, Query(max_length=MAX_TEXT)],
    kind: Annotated[str | None, Query(max_length=20)] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
) -> CheckAnswer:
    """Has this value been reported? VALUE is a number, a link, an account — or a whole message,
    whose every identifier is checked when KIND is not given. No key needed."""
    # checked before a check of the minute is spent, as the web page does (`views_check`)
    if country is not None and country.upper() not in vocab.countries():
        raise ApiError(
            400, "country must be an ISO 3166-1 alpha-2 code", details={"field": "country"}
        )
    take_public_token(request)
    try:
        values = values_to_check(value, kind, country)
    except InputError as exc:
        raise ApiError(400, exc.message, details={"field": exc.field or "value"}) from None
    answers = await run_in_threadpool(check, request.app.state.store, values, public_lists())
    return CheckAnswer(
        checked=[CheckedValue.model_validate(a.to_json()) for a in answers], note=NOTE
    )

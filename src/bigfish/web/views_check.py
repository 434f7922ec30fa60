"""The public check as a page (`GET /check`), for anyone, without signing in: mounted only with
`bigfish serve --public-check`, beside `GET /api/v1/check`, and answering from the same
`bigfish.public_check` under the same limit per address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bigfish import vocab
from bigfish.api.errors import ApiError
from bigfish.api.routes.check import public_lists, take_public_token
from bigfish.errors import InputError
from bigfish.public_check import MAX_TEXT, PublicAnswer, check, values_to_check
from bigfish.web.i18n import N_
from bigfish.web.render import page, public_page, store_of

router = APIRouter()

_NOTHING_FOUND = N_(
    "No phone number, link, email address, bank account, wallet or handle found in it."
)
_TOO_MANY = N_("Too many checks from this address: try again in a minute.")
_COUNTRY = N_("A country is two letters, such as TH.")


@router.get("/check", dependencies=[Depends(public_page())])
async def check_page(
    request: Request,
    value: Annotated[str, Query(max_length=MAX_TEXT)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    """The form, and what the public may know of each value found in VALUE."""

    def answer(
        answers: list[PublicAnswer], message: str | None = None, status: int = 200
    ) -> Response:
        return page(
            request,
            None,
            "check.html",
            status=status,
            answers=answers,
            message=message,
            value=value,
            country=country,
        )

    if not value.strip():
        return answer([])
    # an ISO 3166 code, checked before a check of the minute is spent: any other two letters
    # made every value unreadable, answered as "nothing found in it"
    if country and country.upper() not in vocab.countries():
        return answer([], _COUNTRY, 400)
    try:
        take_public_token(request)
        values = values_to_check(value, None, country.upper() or None)
    except ApiError:
        return answer([], _TOO_MANY, 429)
    except InputError:
        return answer([], _NOTHING_FOUND, 400)
    return answer(await run_in_threadpool(check, store_of(request), values, public_lists()))

"""Lookups: one identifier (GET) or up to 10,000 (POST), counting only what the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.schemas import ERRORS, BatchLookup, LookupAnswer
from bigfish.lookup import LookupQuery, LookupResult, lookup_many
from bigfish.models import Kind

router = APIRouter(tags=["lookup"], responses=ERRORS)

Reader = Annotated[Principal, Depends(requires(Access.READ))]


def answer(result: LookupResult) -> LookupAnswer:
    """The API form of a lookup result."""
    return LookupAnswer(
        canonical_kind=result.canonical_kind,
        canonical=result.canonical,
        valid=result.valid,
        report_count=result.report_count,
        organizations=list(result.organizations),
        countries=list(result.countries),
        first_seen=result.first_seen,
        last_seen=result.last_seen,
        networks=list(result.networks),
    )


@router.get("/lookup", response_model=LookupAnswer)
async def lookup_one(
    request: Request,
    principal: Reader,
    kind: Kind,
    value: Annotated[str, Query(min_length=1, max_length=2000)],
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> LookupAnswer:
    """Everything the caller may know about one identifier; for a value the caller may not
    see, exactly the answer for a value nobody reported."""
    # On the event loop: one indexed read costs less than the hop to the thread pool.
    results = lookup_many(
        request.app.state.store, principal.viewer(), [LookupQuery(kind, value, country)]
    )
    return answer(results[0])


@router.post("/lookup", response_model=list[LookupAnswer])
def lookup_batch(body: BatchLookup, request: Request, principal: Reader) -> list[LookupAnswer]:
    """The single answers for up to 10,000 identifiers, in the same order."""
    queries = [LookupQuery(q.kind, q.value, q.country) for q in body.identifiers]
    return [answer(r) for r in lookup_many(request.app.state.store, principal.viewer(), queries)]

"""`POST /api/v1/classify`: scam classification of messages by the shipped model."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bigfish.accounts import Principal
from bigfish.api.deps import Access, requires
from bigfish.api.schemas import ERRORS, Body
from bigfish.api.strict import StrictJsonRoute
from bigfish.ml import Classifier, load_classifier

router = APIRouter(tags=["classify"], responses=ERRORS, route_class=StrictJsonRoute)


class ClassifyIn(Body):
    """Texts to classify (up to 1,000, each up to 100,000 characters)."""

    texts: list[Annotated[str, Field(max_length=100_000)]] = Field(max_length=1000)


class ClassifyResult(BaseModel):
    """What the model says about one text."""

    label: str
    scam_probability: float
    scam_type: str | None


class ClassifyOut(BaseModel):
    """One result per text, in order."""

    results: list[ClassifyResult]


@cache
def _classifier() -> Classifier:
    return load_classifier()


@router.post("/classify", response_model=ClassifyOut)
def classify(
    body: ClassifyIn, principal: Annotated[Principal, Depends(requires(Access.READ))]
) -> ClassifyOut:
    """`label` (scam, spam, legit), `scam_probability` and `scam_type` of every text."""
    found = _classifier().classify_batch(body.texts)
    return ClassifyOut(
        results=[
            ClassifyResult(
                label=c.label, scam_probability=c.scam_probability, scam_type=c.scam_type
            )
            for c in found
        ]
    )

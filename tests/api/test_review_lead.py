"""Cooperation requests, contacts and classification refuse a field they do not have (422
naming it), as the other request bodies do (51a487f): a misspelt `urgency` sent an emergency as
routine, a misspelt `deadline` sent it without one. A `from_org` is ignored: the key decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership


@pytest.fixture
def api(sqlite_store: Store) -> Iterator[Partnership]:
    yield from build_partnership(sqlite_store)


BODY: dict[str, Any] = {
    "to_org": "C",
    "type": "takedown",
    "legal_basis": "national-law",
    "summary": "Take down the phishing domain",
    "subjects": [{"kind": "identifier", "identifier_kind": "url", "value": "https://x.example/"}],
}


def _refused(answer: Any, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert field in answer.text


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"urgncy": "emergency"}, "urgncy"),
        ({"deadlne": "2026-12-01T00:00:00Z"}, "deadlne"),
        (
            {"subjects": [{"kind": "identifier", "value": "x", "identifer_kind": "url"}]},
            "identifer_kind",
        ),
    ],
)
def test_a_request_with_a_field_it_does_not_have_is_refused(
    api: Partnership, extra: dict[str, Any], field: str
) -> None:
    answer = api.client.post("/api/v1/requests", json={**BODY, **extra}, headers=api.headers("A"))
    _refused(answer, field)


def test_a_request_ignores_from_org(api: Partnership) -> None:
    answer = api.client.post(
        "/api/v1/requests", json={**BODY, "from_org": "B"}, headers=api.headers("A")
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["from_org"] == "A"


def test_status_contacts_and_classify_refuse_a_field_they_do_not_have(api: Partnership) -> None:
    created = api.client.post("/api/v1/requests", json=BODY, headers=api.headers("A"))
    rid = created.json()["request_id"]
    status = api.client.post(
        f"/api/v1/requests/{rid}/status",
        json={"status": "withdrawn", "nte": "sent by mistake"},
        headers=api.headers("A"),
    )
    _refused(status, "nte")
    contact = api.client.post(
        "/api/v1/contacts",
        json={"name": "Duty", "role": "24/7", "always_avalable": True},
        headers=api.headers("A"),
    )
    _refused(contact, "always_avalable")
    classify = api.client.post(
        "/api/v1/classify", json={"texts": ["hello"], "langauge": "th"}, headers=api.headers("A")
    )
    _refused(classify, "langauge")

"""A cursor of `GET /api/v1/alerts` that decodes but holds an id no database keeps (past 64
bits) or a time with no UTC form is a 400 naming the field `cursor`, as any other cursor that
is not one of the alerts': it was a 500 (an OverflowError from the driver or the time zone)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    yield from build_partnership(store)


def _cursor(at: str, pk: object, ident: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, pk, ident]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("2025-03-01T08:00:00+00:00", 10**30, 1),
        _cursor("2025-03-01T08:00:00+00:00", 1, -(10**30)),
        _cursor("2025-03-01T08:00:00+00:00", 2**63, 1),
        _cursor("9999-12-31T23:59:59.999999-05:00", 1, 1),
        _cursor("2025-03-01T08:00:00+00:00", True, 1),
    ],
)
def test_a_cursor_out_of_range_is_a_400_naming_the_field(
    partnership: Partnership, cursor: str
) -> None:
    phone = "+66811130001"
    partnership.submit("A", [report("a1", phone=phone)], distribution="partnership", tlp="green")
    partnership.submit("B", [report("b1", phone=phone)], distribution="partnership", tlp="green")
    got = partnership.client.get(
        "/api/v1/alerts", params={"cursor": cursor}, headers=partnership.headers("A")
    )
    assert got.status_code == 400, got.text
    assert got.json()["error"]["details"] == {"field": "cursor"}, got.text


def test_a_cursor_the_node_gave_still_pages(partnership: Partnership) -> None:
    phone = "+66811130002"
    partnership.submit("A", [report("a1", phone=phone)], distribution="partnership", tlp="green")
    for n in range(3):
        partnership.submit(
            "B", [report(f"b{n}", phone=phone)], distribution="partnership", tlp="green"
        )
    headers = partnership.headers("A")
    first = partnership.client.get("/api/v1/alerts", params={"limit": 2}, headers=headers).json()
    following = partnership.client.get(
        "/api/v1/alerts", params={"cursor": first["next_cursor"]}, headers=headers
    ).json()
    ids = [a["id"] for a in first["alerts"] + following["alerts"]]
    assert len(ids) == len(set(ids)) == 3

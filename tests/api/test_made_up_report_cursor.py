"""A made-up reports cursor is refused naming `cursor`, whatever it holds."""

from __future__ import annotations

import base64
import json

import pytest

from tests.api.helpers import Partnership, report


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("-reported_at", "2025-10-01T00:00:00+00:00", 2**63),  # no row id is that large
        _cursor("-reported_at", "2025-10-01T00:00:00+00:00", -1),
        _cursor("-reported_at", "2025-10-01T00:00:00+00:00", True),
        _cursor("-reported_at", "9999-12-31T23:00:00-05:00", 1),  # no time in UTC
        _cursor("-reported_at", "2025-10-01T00:00:00", 1),  # no time zone: which time?
    ],
    ids=["id-over-2**63", "negative-id", "id-true", "no-utc-time", "naive-time"],
)
def test_a_made_up_cursor_is_refused_naming_it(
    sqlite_partnership: Partnership, cursor: str
) -> None:
    sqlite_partnership.submit("A", [report("r1"), report("r2")])
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    response = c.get("/api/v1/reports", params={"limit": 1, "cursor": cursor}, headers=h)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"] == {"field": "cursor"}


def test_the_cursor_it_gave_still_pages(sqlite_partnership: Partnership) -> None:
    sqlite_partnership.submit("A", [report(f"r{i}") for i in range(3)])
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    first = c.get("/api/v1/reports", params={"limit": 2}, headers=h).json()
    rest = c.get(
        "/api/v1/reports", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h
    ).json()
    seen = [r["report_id"] for r in first["reports"] + rest["reports"]]
    assert sorted(seen) == ["r0", "r1", "r2"] and rest["next_cursor"] is None

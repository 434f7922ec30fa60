"""The API's contract at the boundary: errors, limits, pagination, health, OpenAPI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from bigfish.api import ApiSettings
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def tight(sqlite_store: Store) -> Iterator[Partnership]:
    settings = ApiSettings(rate_limit_per_minute=60, rate_limit_burst=3, max_body_bytes=2000)
    yield from build_partnership(sqlite_store, settings)


def test_health_needs_no_key_and_openapi_is_served(sqlite_partnership: Partnership) -> None:
    c = sqlite_partnership.client
    assert c.get("/api/v1/health").json() == {"status": "ok", "version": "0.1.0"}
    paths = c.get("/openapi.json").json()["paths"]
    assert {"/api/v1/lookup", "/api/v1/reports", "/api/v1/match", "/api/v1/alerts"} <= set(paths)
    docs = c.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href|url)\s*[:=]\s*["\']([^"\']+)', docs.text)
    assert "/static/vendor/swagger-ui-bundle.js" in sources and "/openapi.json" in sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources  # no CDN
    for source in sources:
        assert c.get(source).status_code == 200, source
    document = c.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert document["paths"]["/api/v1/reports"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in document["paths"]["/api/v1/health"]["get"]
    assert c.get("/redoc").status_code == 404
    batch = document["components"]["schemas"]["ReportBatch"]["properties"]["reports"]
    report = batch["items"]
    assert report["required"] == ["report_id", "reported_at", "country"]
    assert "investment" in report["properties"]["scam_type"]["enum"]
    assert (
        "crypto_wallet"
        in report["properties"]["identifiers"]["items"]["properties"]["kind"]["enum"]
    )


def test_errors_have_one_shape(sqlite_partnership: Partnership) -> None:
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    for response, status in (
        (c.get("/api/v1/reports"), 401),
        (c.get("/api/v1/nowhere", headers=h), 404),
        (c.put("/api/v1/lookup", headers=h), 405),
        (c.get("/api/v1/lookup", params={"kind": "fax", "value": "1"}, headers=h), 422),
    ):
        assert response.status_code == status
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message", "details"}
    unauthorized = c.get("/api/v1/reports")
    assert "Bearer" in unauthorized.headers["WWW-Authenticate"]


def test_a_body_that_is_not_json_says_so(sqlite_partnership: Partnership) -> None:
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    as_json = {**h, "Content-Type": "application/json"}
    cut = c.post("/api/v1/reports", content='{"reports": [', headers=as_json)
    assert cut.status_code == 400
    assert cut.json()["error"]["message"].startswith("the body is not valid JSON at byte 13")
    text = c.post(
        "/api/v1/reports", content='{"reports": []}', headers={**h, "Content-Type": "text/plain"}
    )
    assert text.status_code == 415 and "application/json" in text.json()["error"]["message"]
    latin = c.post(
        "/api/v1/reports", content='{"r": "caf\u00e9"}'.encode("latin-1"), headers=as_json
    )
    assert latin.status_code == 400 and "UTF-8" in latin.json()["error"]["message"]
    fine = c.post("/api/v1/reports", content='{"reports": []}', headers=as_json)
    assert fine.status_code == 200


def test_validation_names_the_field(sqlite_partnership: Partnership) -> None:
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    bad = c.post("/api/v1/lookup", json={"identifiers": [{"kind": "phone"}]}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "identifiers.0.value"
    country = c.get(
        "/api/v1/lookup", params={"kind": "phone", "value": "1", "country": "1x"}, headers=h
    )
    assert country.status_code == 422 and "country" in country.json()["error"]["message"]


def test_rate_limit_answers_429_with_retry_after(tight: Partnership) -> None:
    c, h = tight.client, tight.headers("A")
    statuses = [c.get("/api/v1/reports", headers=h).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    limited = c.get("/api/v1/reports", headers=h)
    assert int(limited.headers["Retry-After"]) >= 1
    assert c.get("/api/v1/reports", headers=tight.headers("B")).status_code == 200  # per key


def test_large_bodies_get_413(tight: Partnership) -> None:
    big = {"identifiers": [{"kind": "phone", "value": "+6681234567"}] * 100}
    response = tight.client.post("/api/v1/lookup", json=big, headers=tight.headers("A"))
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


def test_reports_are_paged_with_a_cursor(sqlite_partnership: Partnership) -> None:
    reports = [report(f"r{i}", reported_at=f"2025-10-{i + 1:02d}T00:00:00Z") for i in range(7)]
    sqlite_partnership.submit("A", reports)
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "sort": "reported_at"} | ({"cursor": cursor} if cursor else {})
        page = c.get("/api/v1/reports", params=params, headers=h).json()
        seen += [r["report_id"] for r in page["reports"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"r{i}" for i in range(7)]


def test_batch_lookup_keeps_order_and_limit(sqlite_partnership: Partnership) -> None:
    sqlite_partnership.submit("A", [report("r1")])
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    items = [
        {"kind": "url", "value": "nothing.example"},
        {"kind": "phone", "value": "081 234 5678", "country": "TH"},
    ]
    answers = c.post("/api/v1/lookup", json={"identifiers": items}, headers=h).json()
    assert [a["report_count"] for a in answers] == [0, 1]
    assert answers[1]["canonical"] == "+66812345678"
    too_many = c.post("/api/v1/lookup", json={"identifiers": [items[0]] * 10_001}, headers=h)
    assert too_many.status_code in (413, 422)


def test_alerts_reach_the_holder_when_markings_allow(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    p.submit("C", [report("c1")])
    p.submit("A", [report("r1")], distribution="group", group="mekong", tlp="amber")
    alerts = p.client.get("/api/v1/alerts", headers=p.headers("C")).json()["alerts"]
    assert [(a["report"]["org"], a["identifier"]["canonical"]) for a in alerts] == [
        ("A", "+66812345678")
    ]
    later = p.client.get(
        "/api/v1/alerts", params={"since": "2999-01-01T00:00:00Z"}, headers=p.headers("C")
    )
    assert later.json()["alerts"] == []
    assert p.client.get("/api/v1/alerts", headers=p.headers("B")).json()["alerts"] == []


def test_match_finds_what_a_group_member_may_see(sqlite_partnership: Partnership) -> None:
    import hashlib
    import hmac

    from bigfish.matching import community_key

    p = sqlite_partnership
    p.submit("A", [report("r1")], distribution="group", group="mekong")
    key = community_key(p.store, "mekong").key
    value = hmac.new(key, b"v1|phone|+66812345678", hashlib.sha256).hexdigest()
    other = hmac.new(key, b"v1|phone|+66800000000", hashlib.sha256).hexdigest()
    found = p.client.post(
        "/api/v1/match",
        json={"blinded": [other, value.upper()], "group": "mekong"},
        headers=p.headers("C"),
    )
    assert found.json() == {"matches": [{"blinded": value, "report_count": 1}]}
    bad = p.client.post("/api/v1/match", json={"blinded": ["zz"]}, headers=p.headers("C"))
    assert bad.status_code == 422


def test_alert_pages_cover_every_alert_once(partnership: Partnership) -> None:
    p = partnership
    p.submit("C", [report("c1"), report("c2", phone="+66812345679")])
    shared = [report(f"a{i}", phone="+66812345678" if i % 2 else "+66812345679") for i in range(7)]
    p.submit("A", shared, distribution="partnership", tlp="green")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = p.client.get("/api/v1/alerts", params=params, headers=p.headers("C")).json()
        seen += [a["id"] for a in page["alerts"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7


def test_a_key_given_twice_refuses_the_body_and_stores_nothing(
    sqlite_partnership: Partnership,
) -> None:
    """`{"tlp": "red", "tlp": "clear"}` was read as its last value: a marking widened silently."""
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    one = json.dumps(report("twice-1"))
    bodies = {
        "tlp": '{"reports": [' + one + '], "tlp": "red", "tlp": "clear"}',
        "loss_amount": '{"reports": [' + one[:-1] + ', "loss_amount": "9"}]}',
    }
    for key, body in bodies.items():
        answer = c.post(
            "/api/v1/reports", content=body, headers=h | {"Content-Type": "application/json"}
        )
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["details"] == {"field": key}
        assert repr(key) in error["message"] and "more than once" in error["message"]
    assert c.get("/api/v1/reports", headers=h).json()["reports"] == []
    # a key given once in each of two objects is no repetition
    assert sqlite_partnership.submit("A", [report("once-1"), report("once-2")])["stored"] == 2


def test_an_amount_sent_as_a_json_number_is_kept_exactly(sqlite_partnership: Partnership) -> None:
    """A JSON number went through a float: 12345678901234567.89 was stored rounded."""
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    body = json.dumps({"reports": [report("exact-1", loss_amount="AMOUNT")]})
    body = body.replace('"AMOUNT"', "12345678901234567.89")
    answer = c.post(
        "/api/v1/reports", content=body, headers=h | {"Content-Type": "application/json"}
    )
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    stored = c.get("/api/v1/reports/A/exact-1", headers=h).json()
    assert stored["loss_amount"] == "12345678901234567.89"


def test_a_group_name_that_cannot_be_addressed_in_a_path_is_refused(
    sqlite_partnership: Partnership,
) -> None:
    """`/groups/{name}/members` cannot reach a group named 'x/y' (a %2F is decoded before the
    route is matched), and a browser resolves 'x/../mekong' to mekong."""
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A-admin")
    for name in ("archive/../mekong", "east/west", "..", ".", "tab\there"):
        answer = c.post("/api/v1/groups", json={"name": name, "members": []}, headers=h)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"]["field"] == "name"
    made = c.post("/api/v1/groups", json={"name": "Mekong east 2", "members": ["C"]}, headers=h)
    assert made.status_code == 201, made.text
    added = c.post("/api/v1/groups/Mekong east 2/members", json={"org": "B"}, headers=h)
    assert added.status_code == 200 and added.json()["members"] == ["A", "B", "C"], added.text

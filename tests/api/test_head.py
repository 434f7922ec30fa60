"""HEAD on every GET route (RFC 9110 9.3.2): the GET's status and headers, and no body."""

from __future__ import annotations

from bigfish.api import create_app
from tests.api.helpers import Partnership, TestClient, last_audit_row, report


def _taxii_objects(p: Partnership) -> str:
    listing = p.client.get("/taxii2/api/collections/", headers=p.headers("A-sync")).json()
    own = next(c for c in listing["collections"] if c["title"] == "Organization A")
    return f"/taxii2/api/collections/{own['id']}/objects/?limit=1"


def test_head_answers_every_kind_of_get_route_as_get_without_a_body(
    sqlite_partnership: Partnership,
) -> None:
    """HEAD was 405 on every route: FastAPI routes take only the methods they declare. A health
    check by HEAD (load balancers, uptime monitors) saw a node down."""
    p = sqlite_partnership
    p.submit("A", [report("r1")])
    gets = {
        "/api/v1/health": {},
        "/api/v1/lookup?kind=phone&value=%2B66812345678&country=TH": p.headers("A"),
        "/api/v1/lookup?kind=phone&value=nothing": p.headers("A"),  # 422
        "/api/v1/networks": p.headers("A"),
        "/api/v1/reports/A/r1": p.headers("A"),
        "/api/v1/reports/A/r1?": p.headers("B"),  # 404: not visible
        "/api/v1/alerts": {},  # 401
        "/taxii2/": p.headers("A-sync"),
        _taxii_objects(p): p.headers("A-sync"),  # X-TAXII-Date-Added-First/Last
        "/openapi.json": {},
        "/docs": {},
        "/login": {},
        "/static/favicon.svg": {},
        "/nowhere": {},  # a page's 404
    }
    for path, headers in gets.items():
        first, again = p.client.get(path, headers=headers), p.client.get(path, headers=headers)
        head = p.client.head(path, headers=headers)
        assert first.content and head.status_code == first.status_code, (path, head.text)
        assert head.content == b"", path
        varying = {k for k in first.headers if again.headers.get(k) != first.headers[k]}
        assert {k: v for k, v in head.headers.items() if k not in varying} == {
            k: v for k, v in first.headers.items() if k not in varying
        }, path
        assert "content-length" in varying or "content-length" in head.headers, path
    assert (
        "x-taxii-date-added-first"
        in p.client.head(_taxii_objects(p), headers=p.headers("A-sync")).headers
    )
    p.client.head("/api/v1/networks", headers=p.headers("A"))
    assert last_audit_row(p.store)[2] == "HEAD /api/v1/networks"  # audited as what it was


def test_head_is_405_where_get_is_and_allow_names_head_where_get_is_allowed(
    sqlite_partnership: Partnership,
) -> None:
    p = sqlite_partnership
    refused = p.client.head("/api/v1/match", headers=p.headers("A"))
    assert refused.status_code == 405 and refused.content == b""
    assert "HEAD" not in refused.headers["allow"]
    deleted = p.client.delete("/api/v1/health")
    assert deleted.status_code == 405
    assert {m.strip() for m in deleted.headers["allow"].split(",")} == {"GET", "HEAD"}


def test_the_openapi_document_lists_no_head_operation(sqlite_partnership: Partnership) -> None:
    """HEAD is answered, not documented: each GET operation once, no duplicated operation id."""
    document = TestClient(create_app(sqlite_partnership.store)).get("/openapi.json").json()
    methods = {m for operations in document["paths"].values() for m in operations}
    assert "get" in methods and "head" not in methods

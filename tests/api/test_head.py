"""HEAD on every GET route (RFC 9110 9.3.2): the GET's status and headers, and no body."""

from __future__ import annotations

import asyncio

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


def test_head_of_a_file_sends_no_path_to_a_server_that_could_send_it(
    sqlite_partnership: Partnership,
) -> None:
    """A server that offers `http.response.pathsend` (hypercorn) is handed a file's path to send
    by FileResponse; for a HEAD answered as GET that would be the file's bytes. The extension
    is hidden from a HEAD's GET, whose body messages are dropped."""
    app = create_app(sqlite_partnership.store)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "HEAD",
        "scheme": "http",
        "path": "/static/favicon.svg",
        "raw_path": b"/static/favicon.svg",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "extensions": {"http.response.pathsend": {}},
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert [m["type"] for m in sent[1:]] == ["http.response.body"]
    assert sent[1]["body"] == b""

"""A fresh look at the API's boundary: the OpenAPI document against the routes' real answers,
and error answers a partner's client meets first."""

from __future__ import annotations

from tests.api.helpers import Partnership

#: Operations anyone may call (no key): the documentation says so by declaring no security.
_PUBLIC = {("/api/v1/health", "get")}


def test_every_keyed_operation_declares_the_key(sqlite_partnership: Partnership) -> None:
    # A route with a path parameter read as a path (`{report_id:path}`) is documented without
    # the converter: it was looked up by its raw path, found no access level and was shown as
    # needing no key, so Swagger's "Authorize" did not send one (401 from "Try it out").
    document = sqlite_partnership.client.get("/openapi.json").json()
    unkeyed = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if (path, method) not in _PUBLIC and operation.get("security") != [{"apiKey": []}]
    ]
    assert unkeyed == []
    report = document["paths"]["/api/v1/reports/{org}/{report_id}"]
    assert all(report[m]["security"] == [{"apiKey": []}] for m in ("get", "patch", "delete"))
    c = sqlite_partnership.client
    assert c.get("/api/v1/reports/A/r1").status_code == 401  # what the document now says

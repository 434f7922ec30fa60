"""A fresh look at the API's boundary: the OpenAPI document against the routes' real answers,
and error answers a partner's client meets first."""

from __future__ import annotations

from typing import Any

import pytest

from bigfish.api import strict
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


def test_a_json_body_sent_as_a_form_or_untyped_answers_415(sqlite_partnership: Partnership) -> None:
    # `curl -d '{"reports": […]}'` sends application/x-www-form-urlencoded and many clients send
    # no Content-Type at all: both were answered 422 "field 'body': Input should be a valid
    # dictionary or object to extract fields from", which does not say what to change.
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    body = b'{"reports": []}'
    for path in ("/api/v1/reports", "/api/v1/lookup", "/api/v1/match"):
        for media in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
            headers = h if media is None else {**h, "Content-Type": media}
            answer = c.post(path, content=body, headers=headers)
            assert answer.status_code == 415, (path, media, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "unsupported_media_type"
            assert "application/json" in error["message"]
            assert error["details"] == {"field": "body"}
    # The same bytes as JSON are fine, and a JSON body that misses a field is still a 422.
    as_json = {**h, "Content-Type": "application/json"}
    assert c.post("/api/v1/reports", content=body, headers=as_json).status_code == 200
    missing = c.post("/api/v1/lookup", content=b"{}", headers=as_json)
    assert missing.status_code == 422 and missing.json()["error"]["details"][0]["field"] == (
        "identifiers"
    )
    # No body at all stays a 422 naming the body (nothing was sent in another form).
    assert c.post("/api/v1/lookup", headers=h).status_code == 422


def test_the_key_is_checked_before_the_body_is_read(
    sqlite_partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI reads and parses a JSON body before it runs the route's dependencies, so a caller
    # without a key (or with a role that may not write) had a body of up to 32 MB parsed on the
    # event loop (about a second of every other request's time) and was told what was wrong
    # with its JSON (400) instead of 401/403.
    c = sqlite_partnership.client
    parsed: list[int] = []
    real = strict.loads

    def counted(body: bytes | str) -> object:
        parsed.append(len(body))
        return real(body)

    monkeypatch.setattr(strict, "loads", counted)
    as_json = {"Content-Type": "application/json"}
    for body in (b"{bad", b'{"a": 1, "a": 2}', '{"r": "caf\u00e9"}'.encode("latin-1")):
        anonymous = c.post("/api/v1/reports", content=body, headers=as_json)
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.json()["error"]["code"] == "unauthorized"
        revoked = c.post(
            "/api/v1/lookup", content=body, headers={**as_json, "Authorization": "Bearer bf_x"}
        )
        assert revoked.status_code == 401
        reader = {**as_json, **sqlite_partnership.headers("A-readonly")}
        refused = c.post("/api/v1/reports", content=body, headers=reader)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    big = b'{"reports": [' + b",".join([b'{"report_id": "x"}'] * 1000) + b"]}"
    assert c.post("/api/v1/reports", content=big, headers=as_json).status_code == 401
    assert parsed == []  # no body was read for anyone who may not send it
    # With a key that may write, the body is read once and its faults are told as before.
    writer = {**as_json, **sqlite_partnership.headers("A")}
    bad = c.post("/api/v1/reports", content=b"{bad", headers=writer)
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    fine = c.post("/api/v1/reports", content=b'{"reports": []}', headers=writer)
    assert fine.status_code == 200 and len(parsed) == 2


def _documented(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def test_the_document_lists_the_statuses_routes_answer(sqlite_partnership: Partnership) -> None:
    # A client generated from the document had no answer declared for these (spec/api.md:
    # 409 is one of the API's statuses; 503 is what every audited route answers when its
    # request cannot be recorded, and any route when the database cannot complete it).
    c = sqlite_partnership.client
    document = c.get("/openapi.json").json()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDocument"}}}
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/") or path == "/api/v1/health":
            continue
        for method in operations:
            assert _documented(document, path, method)["503"]["content"] == error, (path, method)
    # A report that holds evidence is not deleted (409); evidence disposed of is not released,
    # and a custody log that does not verify answers 409 integrity_error.
    report = _documented(document, "/api/v1/reports/{org}/{report_id}", "delete")
    assert report["409"]["content"] == error
    for path, method in (
        ("/api/v1/evidence/{evidence_id}/content", "get"),
        ("/api/v1/reports/{org}/{report_id}/evidence/package", "post"),
        ("/api/v1/reports/{org}/{report_id}/evidence", "post"),
    ):
        assert _documented(document, path, method)["409"]["content"] == error, path
    assert "409" not in _documented(document, "/api/v1/lookup", "get")
    # The health check answers an unknown query parameter 400, as every route does.
    health = _documented(document, "/api/v1/health", "get")
    assert health["400"]["content"] == error
    answer = c.get("/api/v1/health", params={"verbose": "1"})
    assert answer.status_code == 400 and answer.json()["error"]["details"]["field"] == "verbose"


@pytest.mark.parametrize("since", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_a_since_beyond_the_calendar_in_utc_is_refused_naming_it(
    sqlite_partnership: Partnership, since: str
) -> None:
    # No time in UTC: an OverflowError, answered 400 "a value in the request cannot be stored
    # or searched", naming nothing (as a request's deadline was, tests/requests/test_review_h93).
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    answer = c.get("/api/v1/alerts", params={"since": since}, headers=h)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["details"] == {"field": "since"} and "since" in error["message"]
    for edge in ("9999-12-31T23:00:00Z", "0001-01-01T00:30:00Z"):
        assert c.get("/api/v1/alerts", params={"since": edge}, headers=h).status_code == 200


def test_a_decision_with_a_field_it_does_not_have_is_refused(
    sqlite_partnership: Partnership,
) -> None:
    # Every other body of the API refuses a field it does not have (bigfish.api.schemas.Body):
    # a decision on a suggestion dropped it without a word and went on.
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    decision = {
        "org": "A",
        "report_id": "r1",
        "other_org": "A",
        "other_report_id": "r2",
        "decision": "rejected",
    }
    answer = c.post("/api/v1/similar/decisions", json={**decision, "note": "x"}, headers=h)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["field"] == "note"
    # Without it, the decision goes on to the reports (neither exists here: 404).
    assert c.post("/api/v1/similar/decisions", json=decision, headers=h).status_code == 404


def test_a_batch_of_one_names_the_item_of_a_bad_field(sqlite_partnership: Partnership) -> None:
    # A batch of two named `identifiers[1].country`; a batch of one named `country`, so a
    # client finding the item by the field's index found none.
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    bad = {"kind": "phone", "value": "0812345678", "country": "ZZ"}
    for identifiers, field in (
        ([bad], "identifiers[0].country"),
        ([{"kind": "phone", "value": "1"}, bad], "identifiers[1].country"),
    ):
        answer = c.post("/api/v1/lookup", json={"identifiers": identifiers}, headers=h)
        assert answer.status_code == 422
        assert answer.json()["error"]["details"] == {"field": field}
        assert field in answer.json()["error"]["message"]
    # The single lookup has no items: the field is the query parameter.
    single = c.get("/api/v1/lookup", params=bad, headers=h)
    assert single.status_code == 422 and single.json()["error"]["details"] == {"field": "country"}


def test_an_upload_sent_as_another_media_type_is_told_to_send_a_form(
    sqlite_partnership: Partnership,
) -> None:
    # Evidence is uploaded as multipart/form-data: a text/plain body was told "send it as
    # application/json", which the route refuses too; a JSON body was told that the file,
    # source and method are missing.
    c, h = sqlite_partnership.client, sqlite_partnership.headers("A")
    path = "/api/v1/reports/A/r1/evidence"
    for answer in (
        c.post(path, content=b"abc", headers={**h, "Content-Type": "text/plain"}),
        c.post(path, json={"source": "phone", "method": "screenshot"}, headers=h),
    ):
        assert answer.status_code == 415, answer.text
        error = answer.json()["error"]
        assert "multipart/form-data" in error["message"]
        assert "application/json" not in error["message"].split(";")[1]
        assert error["details"] == {"field": "body"}
    # A form that misses fields still names them.
    form = c.post(path, data={"source": "phone"}, files={"x": ("a", b"1")}, headers=h)
    assert form.status_code == 422
    assert {d["field"] for d in form.json()["error"]["details"]} == {"file", "method"}

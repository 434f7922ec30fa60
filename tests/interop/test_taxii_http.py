"""HTTP details of the TAXII 2.1 server: its error messages, content negotiation and HEAD."""

from __future__ import annotations

from pathlib import Path

from bigfish.api.app import ApiSettings, create_app
from bigfish.store import Store
from tests.api.helpers import TestClient
from tests.interop.builders import bank_b_objects_url, partnership

TAXII = "application/taxii+json;version=2.1"


def test_every_taxii_error_is_a_taxii_error_message(sqlite_store: Store, tmp_path: Path) -> None:
    """TAXII 2.1 (3.6.1): an error is an error message (`title`, `description`, `http_status` as
    text) of the TAXII media type. They were the API's `{"error": …}` as application/json, which
    a TAXII client reads as no error message at all; the `error` member stays for this node's
    own clients."""
    partnership(sqlite_store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(sqlite_store)
    small = TestClient(create_app(sqlite_store, ApiSettings(max_body_bytes=100)))
    answers = {
        "no key": (client.get("/taxii2/"), 401),
        "no collection": (
            client.get("/taxii2/api/collections/nope/objects/", headers=headers),
            404,
        ),
        "no API root": (client.get("/taxii2/nope/", headers=headers), 404),
        "no such path": (client.get("/taxii2/api/nowhere/", headers=headers), 404),
        "bad limit": (client.get(objects_url, params={"limit": "0"}, headers=headers), 400),
        "not a number": (client.get(objects_url, params={"limit": "x"}, headers=headers), 422),
        "no DELETE": (client.delete(objects_url, headers=headers), 405),
        "too large": (
            small.post(
                objects_url,
                content=b'{"objects": [' + b" " * 200 + b"]}",
                headers=headers | {"Content-Type": TAXII},
            ),
            413,
        ),
    }
    for case, (answer, status) in answers.items():
        assert answer.status_code == status, (case, answer.text)
        assert answer.headers["content-type"] == TAXII, case
        body = answer.json()
        assert body["http_status"] == str(status), case
        assert isinstance(body["title"], str) and body["title"], case
        assert body["description"] == body["error"]["message"], case
        assert body["error_code"] == body["error"]["code"], case
    assert answers["no key"][0].headers["www-authenticate"]
    assert answers["bad limit"][0].json()["details"] == {"field": "limit"}
    # The API's own errors keep their one shape.
    api = client.get("/api/v1/reports/nope/nope", headers=headers)
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    assert set(api.json()) == {"error"}


def test_the_openapi_document_gives_taxii_errors_their_media_type(sqlite_store: Store) -> None:
    """What the answers say (above) is what the document says, for every TAXII operation."""
    document = TestClient(create_app(sqlite_store)).get("/openapi.json").json()
    taxii = {p: ops for p, ops in document["paths"].items() if p.startswith("/taxii2")}
    assert len(taxii) >= 8
    for path, operations in taxii.items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == [TAXII], (path, method, status)

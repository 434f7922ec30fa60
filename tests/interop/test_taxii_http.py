"""HTTP details of the TAXII 2.1 server: its error messages, content negotiation and HEAD."""

from __future__ import annotations

from pathlib import Path

from taxii2client.v21 import Server

from bigfish.accounts import create_key
from bigfish.api.app import ApiSettings, create_app
from bigfish.models import ApiRole
from bigfish.store import Store
from tests.api.helpers import TestClient
from tests.interop.builders import bank_b_objects_url, partnership
from tests.interop.servers import bigfish_server

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


ACCEPTED = (
    None,
    "",
    TAXII,
    "application/taxii+json",
    "application/taxii+json; version=2.1",
    'Application/TAXII+JSON;Version="2.1"',
    "*/*",
    "application/*",
    "text/html, application/taxii+json;version=2.1;q=0.5",
    "application/taxii+json;version=2.0, */*;q=0.1",
    "application/json;q=0.9, application/taxii+json;q=0.2",
)
REFUSED = (
    "application/json",
    "application/stix+json;version=2.1",  # TAXII 2.1 answers envelopes, not bundles
    "application/taxii+json;version=2.0",
    "application/vnd.oasis.taxii+json",  # TAXII 2.0's
    "text/html",
    "application/taxii+json;q=0",
    "*/*;q=0",
    "application/taxii+json;q=0, */*",  # the most specific range decides
    "*/*;q=nonsense",
)


def test_taxii_answers_406_to_an_accept_header_it_cannot_satisfy(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """TAXII 2.1 (1.6.8) and RFC 9110 (12.5.1): a server that has none of the media types the
    Accept header asks for answers 406. Every Accept header was answered 200 with the TAXII
    media type, whatever the client said it could read."""
    partnership(sqlite_store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(sqlite_store)
    collection = objects_url.removesuffix("objects/")
    urls = ("/taxii2/", "/taxii2/api/", "/taxii2/api/collections/", collection, objects_url)
    urls += (f"{collection}manifest/",)
    for url in urls:
        for accept in ACCEPTED:
            sent = headers if accept is None else headers | {"Accept": accept}
            answer = client.get(url, headers=sent)
            assert answer.status_code == 200, (url, accept, answer.text)
            assert answer.headers["content-type"] == TAXII
        for accept in REFUSED:
            answer = client.get(url, headers=headers | {"Accept": accept})
            assert answer.status_code == 406, (url, accept, answer.text)
            assert answer.headers["content-type"] == TAXII
            body = answer.json()
            assert body["http_status"] == "406" and TAXII in body["description"]
            assert body["error_code"] == body["error"]["code"] == "not_acceptable"
            assert body["details"] == {"field": "Accept"}


def test_taxii_post_answers_415_to_a_body_not_sent_as_taxii(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """TAXII 2.1 (5.4): an envelope is POSTed as application/taxii+json;version=2.1, and a
    server answers 415 to a Content-Type it does not support. Any Content-Type (none, a form,
    a STIX bundle's, TAXII 2.0's) was read as an envelope. Plain JSON is taken too."""
    partnership(sqlite_store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(sqlite_store)
    envelope = b'{"objects": []}'
    for content_type in (
        TAXII,
        "application/taxii+json",
        "application/taxii+json; charset=utf-8",
        "application/json",  # what generic clients send (curl --json): the envelope is JSON
    ):
        answer = client.post(
            objects_url, content=envelope, headers=headers | {"Content-Type": content_type}
        )
        assert answer.status_code == 202, (content_type, answer.text)
    for content_type in (
        None,
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.0",
        "application/vnd.oasis.taxii+json; version=2.0",
    ):
        sent = headers if content_type is None else headers | {"Content-Type": content_type}
        answer = client.post(objects_url, content=envelope, headers=sent)
        assert answer.status_code == 415, (content_type, answer.text)
        assert answer.headers["content-type"] == TAXII
        body = answer.json()
        assert body["http_status"] == "415" and TAXII in body["description"]
        assert body["details"] == {"field": "Content-Type"}
    refused = client.post(
        objects_url,
        content=envelope,
        headers=headers | {"Content-Type": TAXII, "Accept": "application/json"},
    )
    assert refused.status_code == 406, refused.text


def test_taxii2_client_still_reads_and_writes_after_negotiation(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The OASIS client sends its own Accept and Content-Type headers: served as before."""
    partnership(sqlite_store, tmp_path)
    key = create_key(sqlite_store, org="TH-AOC", role=ApiRole.ANALYST).secret
    with bigfish_server(sqlite_store) as base:
        server = Server(f"{base}/taxii2/", user="analyst", password=key)
        [root] = server.api_roots
        own = next(c for c in root.collections if c.title == "Organization TH-AOC")
        shared = next(c for c in root.collections if c.title == "Partnership")
        objects = shared.get_objects()["objects"]
        assert shared.get_manifest()["objects"]
        status = own.add_objects({"objects": objects})
        assert status.success_count == len(objects)
        assert root.get_status(status.id).status == "complete"


def test_the_api_root_states_the_body_limit_the_node_enforces(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """TAXII 2.1 (4.2.1): max_content_length is the largest body the API root accepts. It said
    32 MiB whatever the node's limit (ApiSettings.max_body_bytes), so a client sized its POSTs
    by it and was refused 413."""
    partnership(sqlite_store, tmp_path)
    key = create_key(sqlite_store, org="BANK-B", role=ApiRole.ANALYST).secret
    headers = {"Authorization": f"Bearer {key}"}
    for limit in (4096, 64 * 1024 * 1024):
        client = TestClient(create_app(sqlite_store, ApiSettings(max_body_bytes=limit)))
        root = client.get("/taxii2/api/", headers=headers).json()
        assert root["max_content_length"] == limit

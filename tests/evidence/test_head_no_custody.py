"""HEAD of an evidence item's content answers as its GET (status and headers) but is no read of
the bytes: the chain of custody records no `accessed` for it. `HeadAsGet` answered HEAD as a
GET the route could not tell apart, so each HEAD signed an `accessed` record, which
`verify-log` then found without an audit row (the API's row keeps method HEAD)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.files import blob_path
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, record_custody_event
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, last_audit_row, report

CONTENT = b"transfer 5000 THB to 123-4-56789-0"


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def _acquire(api: Partnership) -> tuple[str, str]:
    """A's report R-1 with one piece of evidence: (its id, its sha256)."""
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(CONTENT), "text/plain")},
        data={"source": "victim", "method": "photo of the slip"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    return str(upload.json()["evidence_id"]), str(upload.json()["sha256"])


def _events(api: Partnership, evidence_id: str) -> list[str]:
    chain = api.client.get(f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A"))
    assert chain.status_code == 200, chain.text
    return [str(r["event"]) for r in chain.json()["custody"]]


def _same_answer(head: httpx.Response, get: httpx.Response) -> None:
    assert head.status_code == get.status_code, head.text
    assert head.content == b"" and get.content
    assert dict(head.headers) == dict(get.headers)


def test_head_of_the_content_answers_as_get_and_records_no_access(
    api: Partnership, tmp_path: Path
) -> None:
    evidence_id, sha256 = _acquire(api)
    path = f"/api/v1/evidence/{evidence_id}/content"
    assert _events(api, evidence_id) == ["acquired"]

    head = api.client.head(path, headers=api.headers("A"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(CONTENT))
    assert head.headers["digest"] == f"sha-256={sha256}"
    assert last_audit_row(api.store)[2] == f"HEAD {path}"  # the API's row keeps HEAD
    assert _events(api, evidence_id) == ["acquired"]  # no bytes left: no access

    get = api.client.get(path, headers=api.headers("A"))
    assert get.content == CONTENT
    _same_answer(head, get)
    assert {"etag", "last-modified", "content-disposition"} <= set(get.headers)
    assert _events(api, evidence_id) == ["acquired", "accessed"]  # a real read is recorded

    check = verify_custody_log(api.store, tmp_path / "data")
    assert check.ok, check.problem
    assert check.without_audit_row == ()  # every record has its action's row


def test_head_refused_or_failed_as_get_is_and_records_nothing(
    api: Partnership, tmp_path: Path
) -> None:
    """Each refusal of the GET (not visible, a purpose too long, changed bytes, disposed of) is
    the HEAD's, with the same headers; a GET of changed bytes records its access, a HEAD not."""
    evidence_id, sha256 = _acquire(api)
    path = f"/api/v1/evidence/{evidence_id}/content"
    cases = [
        (path, "B", 404),
        (f"{path}?purpose={'x' * 501}", "A", 422),
        ("/api/v1/evidence/ev-nothing/content", "A", 404),
    ]
    for url, who, status in cases:
        head = api.client.head(url, headers=api.headers(who))
        _same_answer(head, api.client.get(url, headers=api.headers(who)))
        assert head.status_code == status, url
    assert _events(api, evidence_id) == ["acquired"]

    blob = blob_path(tmp_path / "data", sha256)
    os.chmod(blob, 0o644)
    blob.write_bytes(b"changed")
    head = api.client.head(path, headers=api.headers("A"))
    assert head.status_code == 409
    assert _events(api, evidence_id) == ["acquired"]
    _same_answer(head, api.client.get(path, headers=api.headers("A")))
    assert _events(api, evidence_id) == ["acquired", "accessed"]  # the GET's look is recorded
    blob.write_bytes(CONTENT)

    record_custody_event(
        api.store,
        tmp_path / "data",
        Viewer.node_operator(),
        evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "court order", org="A"),
        Party(None, None),
    )
    head = api.client.head(path, headers=api.headers("A"))
    assert head.status_code == 409
    _same_answer(head, api.client.get(path, headers=api.headers("A")))
    assert _events(api, evidence_id) == ["acquired", "accessed", "disposed"]


def test_head_of_the_record_answers_as_get_and_records_no_access(
    api: Partnership, tmp_path: Path
) -> None:
    """GET /api/v1/evidence/{id} re-hashes the bytes and logs the look; its HEAD shows nothing
    and logs nothing, with the GET's status and headers (Content-Length of the same record,
    integrity and disposal included)."""
    evidence_id, _ = _acquire(api)
    path = f"/api/v1/evidence/{evidence_id}"
    for who, status in (("B", 404), ("A", 200)):
        head = api.client.head(path, headers=api.headers(who))
        assert head.status_code == status and head.content == b""
        assert last_audit_row(api.store)[2] == f"HEAD {path}"
        assert _events(api, evidence_id) == ["acquired"]
        _same_answer(head, api.client.get(path, headers=api.headers(who)))
    assert _events(api, evidence_id) == ["acquired", "accessed"]

    record_custody_event(
        api.store,
        tmp_path / "data",
        Viewer.node_operator(),
        evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "court order", org="A"),
        Party(None, None),
    )
    head = api.client.head(path, headers=api.headers("A"))
    assert _events(api, evidence_id) == ["acquired", "accessed", "disposed"]
    get = api.client.get(path, headers=api.headers("A"))
    assert get.json()["disposed"] is not None
    _same_answer(head, get)
    assert _events(api, evidence_id) == ["acquired", "accessed", "disposed", "accessed"]

"""Through the API, custody records sign the caller's key ("key:<id>", as the audit log names
it) beside the acquirer the caller states."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.evidence.package import verify_package
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, last_audit_row, report


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def test_upload_show_and_package_sign_the_callers_key(api: Partnership, tmp_path: Path) -> None:
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(b"transfer 5000 THB"), "text/plain")},
        data={"source": "victim", "method": "photo", "acquired_by": "Somchai P."},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    key = last_audit_row(api.store)[0]  # the audit log's actor of the upload
    assert key.startswith("key:")
    evidence_id = upload.json()["evidence_id"]
    shown = api.client.get(f"/api/v1/evidence/{evidence_id}", headers=api.headers("A"))
    assert shown.status_code == 200, shown.text
    packaged = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert packaged.status_code == 200, packaged.text
    assert last_audit_row(api.store)[0] == key
    chain = api.client.get(f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A"))
    records = chain.json()["custody"]
    assert [(r["event"], r.get("recorded_by")) for r in records] == [
        ("acquired", key),
        ("accessed", key),
        ("exported", key),
    ]
    assert records[0]["received_by"]["person"] == "Somchai P."  # what the caller stated
    package = tmp_path / "case.zip"
    package.write_bytes(packaged.content)
    check = verify_package(package, packaged.headers["X-Bigfish-Key-Fingerprint"])
    assert check.ok, check.problem
    assert [(a.acquired_by, a.recorded_by) for a in check.acquired] == [("Somchai P.", key)]
    with zipfile.ZipFile(package) as zf:
        assert f'"recorded_by":"{key}"'.encode() in zf.read("custody.jsonl")

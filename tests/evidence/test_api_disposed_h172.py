"""POST /api/v1/reports/{org}/{report_id}/evidence/package goes through the same export: a report
with a disposed file gives a package that holds the others and the disposal; a report whose
evidence was all disposed of is a 409 saying so."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.package import verify_package
from bigfish.evidence.service import Activity, record_custody_event
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def _upload(api: Partnership, content: bytes, name: str) -> str:
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": (name, io.BytesIO(content), "text/plain")},
        data={"source": "victim", "method": "photo"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    return str(upload.json()["evidence_id"])


def _dispose(
    api: Partnership,
    tmp_path: Path,
    evidence_id: str,
    why: str = "destroyed per court order 17/2025",
) -> None:
    record_custody_event(
        api.store,
        tmp_path / "data",
        Viewer.node_operator(),
        evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", why),
        Party(None, None),
    )


def test_the_package_route_exports_a_report_with_a_disposed_file(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    kept = _upload(api, b"chat export", "chat.txt")
    gone = _upload(api, b"photo of the slip", "slip.txt")
    _dispose(api, tmp_path, gone)
    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    # Before: 409 {"error": "evidence ev-… was disposed of (custody record seq 3); it cannot be
    # exported"}
    assert package.status_code == 200, package.text
    out = tmp_path / "p.zip"
    out.write_bytes(package.content)
    check = verify_package(out, package.headers["X-Bigfish-Key-Fingerprint"])
    assert check.ok, check.problem
    assert check.files == 1 and [d.evidence_id for d in check.disposed] == [gone]
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert {e["evidence_id"]: e.get("disposed", False) for e in manifest["evidence"]} == {
        kept: False,
        gone: True,
    }
    chain = api.client.get(f"/api/v1/evidence/{gone}/custody", headers=api.headers("A"))
    assert [c["event"] for c in chain.json()["custody"]] == ["acquired", "disposed"]


def test_the_package_route_refuses_a_report_whose_evidence_is_all_disposed(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    gone = _upload(api, b"photo of the slip", "slip.txt")
    _dispose(api, tmp_path, gone)
    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert package.status_code == 409
    assert "A/R-1: all of its evidence was disposed of (1 item; " in package.text
    assert "there is no file left to release" in package.text

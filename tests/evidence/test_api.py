"""Evidence through the HTTP API: upload, list, download, package — and B gets nothing."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bigfish.api.routes.evidence import download_name
from bigfish.evidence.package import verify_package
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.evidence.conftest import BIG, evidence_rows, stored_files


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def test_acl_evidence_api_gives_b_nothing_and_a_a_verifiable_package(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={
            "file": ("slip.txt", io.BytesIO(b"transfer 5000 THB to 123-4-56789-0"), "text/plain")
        },
        data={"source": "victim", "method": "photo of the slip"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    assert upload.json()["integrity"] == "match"
    # B: 404 for direct fetches, zero rows elsewhere, 404 (not 403) on upload to A's report.
    for path in (
        f"/api/v1/evidence/{evidence_id}",
        f"/api/v1/evidence/{evidence_id}/custody",
        f"/api/v1/evidence/{evidence_id}/content",
    ):
        assert api.client.get(path, headers=api.headers("B")).status_code == 404, path
    assert api.client.get("/api/v1/evidence", headers=api.headers("B")).json() == {
        "evidence": [],
        "next_cursor": None,
    }
    assert (
        api.client.post(
            "/api/v1/reports/A/R-1/evidence/package", headers=api.headers("B")
        ).status_code
        == 404
    )
    b_upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("x", io.BytesIO(b"x"))},
        data={"source": "s", "method": "m"},
        headers=api.headers("B"),
    )
    assert b_upload.status_code == 404
    content = api.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=api.headers("A"))
    assert content.status_code == 200 and content.content == b"transfer 5000 THB to 123-4-56789-0"
    custody = api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A")
    ).json()["custody"]
    assert [c["event"] for c in custody] == ["acquired", "accessed"]
    package = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert package.status_code == 200
    out = tmp_path / "p.zip"
    out.write_bytes(package.content)
    check = verify_package(out, package.headers["X-Bigfish-Key-Fingerprint"])
    assert check.ok, check.problem


def test_a_report_id_with_slashes_is_reachable_everywhere(api: Partnership, tmp_path: Path) -> None:
    """Case numbers such as CASE/2025/001 are stored as sent; every route of a report reaches
    them (the path is decoded before routing, so %2F arrives as "/")."""
    for report_id in ("CASE/2025/001", "..x/y..", "a/evidence"):  # ".." steps are refused
        api.submit("A", [report(report_id)])
        path = "/api/v1/reports/A/" + quote(report_id, safe="")
        got = api.client.get(path, headers=api.headers("A"))
        assert got.status_code == 200 and got.json()["report_id"] == report_id
        assert api.client.get(path, headers=api.headers("B")).status_code == 404
        upload = api.client.post(
            path + "/evidence",
            files={"file": ("slip.txt", io.BytesIO(report_id.encode()), "text/plain")},
            data={"source": "victim", "method": "photo"},
            headers=api.headers("A"),
        )
        assert upload.status_code == 201, upload.text
        assert upload.json()["report_id"] == report_id
        package = api.client.post(path + "/evidence/package", headers=api.headers("A"))
        assert package.status_code == 200, package.text
        assert "/" not in package.headers["content-disposition"].split("filename=")[1]
        out = tmp_path / "p.zip"
        out.write_bytes(package.content)
        assert verify_package(out, package.headers["X-Bigfish-Key-Fingerprint"]).ok
        remark = api.client.patch(
            path, json={"tlp": "green", "distribution": "partnership"}, headers=api.headers("A")
        )
        assert remark.status_code == 200, remark.text
        assert api.client.get(path, headers=api.headers("B")).status_code == 200
    assert not list((tmp_path.parent).glob("x*evidence.zip"))  # no file written outside
    held = api.client.delete("/api/v1/reports/A/CASE%2F2025%2F001", headers=api.headers("A"))
    assert held.status_code == 409 and "evidence" in held.json()["error"]["message"]
    assert api.client.get(
        "/api/v1/reports/A/CASE%2F2025%2F001", headers=api.headers("A")
    ).is_success
    api.submit("A", [report("plain/one")])
    gone = api.client.delete("/api/v1/reports/A/plain%2Fone", headers=api.headers("A"))
    assert gone.status_code == 204
    assert (
        api.client.get("/api/v1/reports/A/plain%2Fone", headers=api.headers("A")).status_code == 404
    )


def test_api_upload_on_a_full_disk_is_not_acknowledged(
    api: Partnership, tmp_path: Path, full_disk: str
) -> None:
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("full.bin", io.BytesIO(os.urandom(BIG)), "application/octet-stream")},
        data={"source": "victim", "method": "upload"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 503, upload.text
    assert "error" in upload.json()
    assert evidence_rows(api.store) == (0, 0)
    assert stored_files(tmp_path / "data") == []


def test_api_download_offers_a_plain_bounded_file_name(api: Partnership) -> None:
    api.submit("A", [report("R-1")])
    long_name = "chat-" + "x" * 300 + ".txt"
    for uploaded, offered in (
        ("../../../etc/passwd", "passwd"),
        (long_name, long_name[: 200 - 4] + ".txt"),
    ):
        upload = api.client.post(
            "/api/v1/reports/A/R-1/evidence",
            files={"file": (uploaded, io.BytesIO(uploaded.encode()), "text/plain")},
            data={"source": "victim", "method": "upload"},
            headers=api.headers("A"),
        )
        assert upload.status_code == 201, upload.text
        assert upload.json()["file_name"] == uploaded  # kept as evidence metadata
        content = api.client.get(
            f"/api/v1/evidence/{upload.json()['evidence_id']}/content", headers=api.headers("A")
        )
        assert content.status_code == 200
        assert content.headers["content-disposition"] == f'attachment; filename="{offered}"'
    too_long = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("y" * 600, io.BytesIO(b"y"), "text/plain")},
        data={"source": "victim", "method": "upload"},
        headers=api.headers("A"),
    )
    assert too_long.status_code == 422 and "file_name" in too_long.text
    assert download_name("C:\\Users\\lan\\slip.pdf", "d") == "slip.pdf"
    assert download_name("..", "digest") == download_name(None, "digest") == "digest"
    assert download_name("a\r\nb.txt", "d") == "ab.txt"


def test_acl_a_partner_reads_shared_evidence_as_itself_and_cannot_release_it(
    api: Partnership,
) -> None:
    """B may read evidence A shared (each access logged as B's); it may not export a package of
    it, which would add a release to A's custody chain (class 7). Records named B's key as a
    person of A."""
    api.submit("A", [report("S-1")], distribution="partnership", tlp="green")
    upload = api.client.post(
        "/api/v1/reports/A/S-1/evidence",
        files={"file": ("chat.txt", io.BytesIO(b"the scammer's chat"), "text/plain")},
        data={"source": "victim", "method": "export"},
        headers=api.headers("A"),
    )
    evidence_id = upload.json()["evidence_id"]
    read = api.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=api.headers("B"))
    assert read.status_code == 200
    refused = api.client.post("/api/v1/reports/A/S-1/evidence/package", headers=api.headers("B"))
    assert refused.status_code == 403
    custody = api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A")
    ).json()["custody"]
    assert [c["event"] for c in custody] == ["acquired", "accessed"]
    assert custody[1]["released_by"]["organization"] == "B"
    own = api.client.post("/api/v1/reports/A/S-1/evidence/package", headers=api.headers("A"))
    assert own.status_code == 200


def test_the_evidence_list_comes_a_page_at_a_time(api: Partnership) -> None:
    api.submit("A", [report("R-7")])
    for i in range(3):
        added = api.client.post(
            "/api/v1/reports/A/R-7/evidence",
            files={"file": (f"f{i}.txt", io.BytesIO(f"file {i}".encode()), "text/plain")},
            data={"source": "victim", "method": "copy"},
            headers=api.headers("A"),
        )
        assert added.status_code == 201, added.text
    first = api.client.get("/api/v1/evidence?limit=2", headers=api.headers("A")).json()
    assert len(first["evidence"]) == 2 and first["next_cursor"] is not None
    rest = api.client.get(
        "/api/v1/evidence",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=api.headers("A"),
    ).json()
    assert len(rest["evidence"]) == 1 and rest["next_cursor"] is None
    names = {e["file_name"] for e in first["evidence"] + rest["evidence"]}
    assert names == {"f0.txt", "f1.txt", "f2.txt"}


def test_the_same_bytes_again_answer_200_with_the_record_that_stands(api: Partnership) -> None:
    """It answered 201 Created with the old record, as if the new acquisition were recorded."""
    api.submit("A", [report("R-8")])

    def add(source: str) -> Any:
        return api.client.post(
            "/api/v1/reports/A/R-8/evidence",
            files={"file": ("same.txt", io.BytesIO(b"the same bytes"), "text/plain")},
            data={"source": source, "method": "copy"},
            headers=api.headers("A"),
        )

    first, second = add("victim"), add("bank")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["evidence_id"] == first.json()["evidence_id"]
    assert second.json()["source"] == "victim"

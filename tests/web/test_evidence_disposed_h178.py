"""The web's evidence pages say when an item was disposed of: the list marks it, the custody
timeline opens with who disposed of it, for which organization, when, why and in which record."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.service import Activity, record_custody_event
from bigfish.sharing.policy import Viewer
from tests.web.conftest import WebPartnership


def _upload(web: WebPartnership, content: bytes, name: str) -> str:
    upload = web.api.client.post(
        "/api/v1/reports/A/a-1/evidence",
        headers=web.api.headers("A"),
        files={"file": (name, content, "text/plain")},
        data={"source": "the victim's phone", "method": "copy", "acquired_by": "Somchai"},
    )
    assert upload.status_code == 201, upload.text
    return str(upload.json()["evidence_id"])


def kept_and_disposed(web: WebPartnership, data_dir: Path) -> tuple[str, str]:
    """Two items of A's report a-1, the second disposed of (court order 17/2025, by Somchai)."""
    kept = _upload(web, b"chat export", "chat.txt")
    gone = _upload(web, b"photo of the slip", "slip.txt")
    record_custody_event(
        web.store,
        data_dir,
        Viewer.node_operator(),
        gone,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "court order 17/2025", org="A"),
        Party(None, None),
    )
    return kept, gone


def test_the_evidence_pages_say_an_item_was_disposed_of(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    kept, gone = kept_and_disposed(web, tmp_path / "node")
    alice = web.clients["A"]
    detail = alice.get(f"/evidence/{gone}").text
    # Before: only the timeline's last line read 'disposed'
    assert '<p class="disposed" role="status">Disposed of by Somchai (A) on ' in detail
    assert "custody record 3, purpose: court order 17/2025." in detail
    assert 'class="disposed"' not in alice.get(f"/evidence/{kept}").text
    listing = alice.get("/evidence").text
    row = next(r for r in listing.split("<tr>") if f"/evidence/{gone}" in r)
    assert '<span class="disposed">disposed of ' in row
    other = next(r for r in listing.split("<tr>") if f"/evidence/{kept}" in r)
    assert "disposed" not in other
    report_page = alice.get("/reports/A/a-1").text
    assert '<span class="disposed">disposed of ' in report_page

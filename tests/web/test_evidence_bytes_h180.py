"""The web's page of an item disposed of says its bytes are no longer released (the web offers
no download of them); the item can still be verified there, and that look is logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.service import Activity, list_custody, record_custody_event
from bigfish.sharing.policy import Viewer
from tests.web.conftest import WebPartnership, csrf_of

SENTENCE = "Its bytes are no longer released."


def _upload(web: WebPartnership, content: bytes, name: str) -> str:
    upload = web.api.client.post(
        "/api/v1/reports/A/a-1/evidence",
        headers=web.api.headers("A"),
        files={"file": (name, content, "text/plain")},
        data={"source": "the victim's phone", "method": "copy", "acquired_by": "Somchai"},
    )
    assert upload.status_code == 201, upload.text
    return str(upload.json()["evidence_id"])


def test_a_disposed_items_page_says_its_bytes_are_no_longer_released(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    kept = _upload(web, b"chat export", "chat.txt")
    gone = _upload(web, b"photo of the slip", "slip.txt")
    record_custody_event(
        web.store,
        tmp_path / "node",
        Viewer.node_operator(),
        gone,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "court order 17/2025", org="A"),
        Party(None, None),
    )
    alice = web.clients["A"]
    detail = alice.get(f"/evidence/{gone}").text
    # Before: the page said nothing of its bytes
    assert (
        "purpose: court order 17/2025. Nothing can be transferred, sealed or exported after "
        f"it. {SENTENCE}</p>" in detail
    )
    assert "/content" not in detail
    assert SENTENCE not in alice.get(f"/evidence/{kept}").text
    # Looking at it (the re-hash) stays possible and is logged.
    checked = alice.post(f"/evidence/{gone}/verify", data={"csrf_token": csrf_of(alice)})
    assert checked.status_code == 200
    assert "Verification: match" in checked.text and SENTENCE in checked.text
    chain = list_custody(web.store, Viewer.node_operator(), gone)
    assert [r.draft.event.value for r in chain] == ["acquired", "disposed", "accessed"]
    # The web session is no key to the API's download.
    assert alice.get(f"/api/v1/evidence/{gone}/content").status_code == 401

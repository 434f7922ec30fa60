"""The web's page of an item disposed of says its bytes are no longer released (the web offers
no download of them); the item can still be verified there, and that look is logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigfish.evidence.service import list_custody
from bigfish.sharing.policy import Viewer
from tests.web.conftest import WebPartnership, csrf_of
from tests.web.test_evidence_disposed_h178 import kept_and_disposed

SENTENCE = "Its bytes are no longer released."


def test_a_disposed_items_page_says_its_bytes_are_no_longer_released(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    kept, gone = kept_and_disposed(web, tmp_path / "node")
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
    # Disposal deleted its bytes (no other item holds them): the re-hash says so, as a note.
    assert SENTENCE in checked.text
    assert (
        '<p class="result-check note" role="status">Verification: missing Its bytes were'
        " deleted when it was disposed of.</p>" in checked.text
    )
    chain = list_custody(web.store, Viewer.node_operator(), gone)
    assert [r.draft.event.value for r in chain] == ["acquired", "disposed", "accessed"]
    # The web session is no key to the API's download.
    assert alice.get(f"/api/v1/evidence/{gone}/content").status_code == 401

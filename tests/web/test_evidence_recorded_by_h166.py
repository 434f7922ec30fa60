"""The web's verification of evidence signs the signed-in user ("user:alice", as the audit log
names her), and the custody timeline shows the account of each record that signs one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import WebPartnership, csrf_of


def test_verifying_in_the_browser_signs_the_user_and_the_timeline_shows_accounts(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    upload = web.api.client.post(
        "/api/v1/reports/A/a-1/evidence",
        headers=web.api.headers("A"),
        files={"file": ("chat.png", b"a screenshot of the chat", "image/png")},
        data={"source": "the victim's phone", "method": "screenshot", "acquired_by": "Somchai"},
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    alice = web.clients["A"]
    checked = alice.post(f"/evidence/{evidence_id}/verify", data={"csrf_token": csrf_of(alice)})
    assert checked.status_code == 200
    records = web.api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=web.api.headers("A")
    ).json()["custody"]
    assert [r["event"] for r in records] == ["acquired", "accessed"]
    assert records[1]["recorded_by"] == "user:alice"
    api_key = records[0]["recorded_by"]
    assert api_key.startswith("key:")
    page = alice.get(f"/evidence/{evidence_id}").text
    assert f'<span class="recorded-by">recorded by {api_key}</span>' in page
    assert '<span class="recorded-by">recorded by user:alice</span>' in page

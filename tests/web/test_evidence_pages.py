"""The evidence pages read the files where the API wrote them, and show partners' file names
as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.conftest import WebPartnership, csrf_of

HOSTILE_NAME = "<img src=x onerror=alert(1)>.png"


def _upload(web: WebPartnership, report_id: str) -> str:
    answer = web.api.client.post(
        f"/api/v1/reports/A/{report_id}/evidence",
        headers=web.api.headers("A"),
        files={"file": (HOSTILE_NAME, b"a screenshot of the chat", "image/png")},
        data={"source": "the victim's phone", "method": "screenshot"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_id"])


def test_the_pages_find_evidence_in_the_data_directory_of_the_api(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An application made without a data directory reads BIGFISH_DATA_DIR, the API and the
    pages alike: the pages looked in ./bigfish-data, called every file missing, and a
    verification there signed the custody log with a key of another directory."""
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)  # where ./bigfish-data would be: not the checkout
    evidence_id = _upload(web, "a-1")
    alice = web.clients["A"]
    listed = alice.get("/evidence").text
    row = listed.split(f'href="/evidence/{evidence_id}"', 1)[1].split("</tr>", 1)[0]
    assert "missing" not in row
    checked = alice.post(f"/evidence/{evidence_id}/verify", data={"csrf_token": csrf_of(alice)})
    assert checked.status_code == 200
    assert re.search(r"Verification: match<", checked.text), checked.text
    assert not (tmp_path / "bigfish-data").exists()


def test_a_file_name_is_text_and_others_see_no_evidence_of_a_private_report(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    evidence_id = _upload(web, "a-1")
    for path in ("/evidence", "/reports/A/a-1"):
        page = web.clients["A"].get(path).text
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in page
    bob = web.clients["B"]
    assert evidence_id not in bob.get("/evidence").text
    assert bob.get(f"/evidence/{evidence_id}").status_code == 404
    refused = bob.post(f"/evidence/{evidence_id}/verify", data={"csrf_token": csrf_of(bob)})
    assert refused.status_code == 404 and evidence_id in refused.text  # the id it was given
    assert "onerror" not in refused.text

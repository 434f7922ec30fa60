"""Partners' text with bidirectional controls (helper 159): a file name, a narrative or a custody
record shows its controls as escapes, as the CLI does (c55065d), so "invoice<U+202E>fdp.exe"
cannot read "invoiceexe.pdf"; a form sends back what it was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.helpers import report
from tests.web.conftest import WebPartnership

RLO = "\u202e"
FILE_NAME = f"invoice{RLO}fdp.exe"
SHOWN = "invoice\\u202efdp.exe"


def _upload(web: WebPartnership) -> str:
    answer = web.api.client.post(
        "/api/v1/reports/A/a-1/evidence",
        headers=web.api.headers("A"),
        files={"file": (FILE_NAME, b"MZ not a pdf", "application/pdf")},
        data={"source": f"the victim{RLO}'s phone", "method": "download"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_id"])


def test_a_file_name_with_a_bidi_override_is_shown_escaped(
    web: WebPartnership, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the page held the override itself, and a browser showed invoiceexe.pdf."""
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)
    evidence_id = _upload(web)
    alice = web.clients["A"]
    for path in ("/evidence", "/reports/A/a-1", f"/evidence/{evidence_id}"):
        page = alice.get(path)
        assert page.status_code == 200
        assert RLO not in page.text, path
    assert SHOWN in alice.get("/evidence").text
    assert SHOWN in alice.get("/reports/A/a-1").text


def test_a_narrative_shows_its_controls_and_a_form_keeps_them(web: WebPartnership) -> None:
    web.api.submit("A", [report("a-9", phone="+66833333333", narrative=f"paid to {RLO}gnap")])
    alice = web.clients["A"]
    page = alice.get("/reports/A/a-9")
    assert page.status_code == 200
    assert RLO not in page.text and "paid to \\u202egnap" in page.text
    # the text searched for goes back into the search box as typed, not as its escape
    searched = alice.get("/search", params={"q": f"gnap{RLO}"})
    assert f'value="gnap{RLO}"' in searched.text

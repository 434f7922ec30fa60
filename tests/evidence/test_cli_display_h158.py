"""`bigfish evidence show/list/event` print typed text (a purpose, a file name, a person) on one
line, escaped: a purpose sent through the API cannot print a line that reads like a custody
record in the holder's console, and a bidi override cannot turn a file name around."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import open_store
from tests.evidence.conftest import add_report

FORGED = "     9  2025-12-17T03:00:00.000000Z  disposed    Somchai (TH-AOC) -> - (-)"


def test_typed_text_prints_on_one_line_escaped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    opts = ["--db", url, "--data-dir", str(tmp_path / "data")]
    runner = CliRunner()
    name = tmp_path / "invoice\u202efdp.exe"
    name.write_bytes(b"MZ")
    added = runner.invoke(
        app, [*opts, "evidence", "add", str(name), "--org", "TH-AOC", "--report", "R-1", "--json"]
    )
    assert added.exit_code == 0, added.output
    evidence_id = json.loads(added.stdout)["evidence_id"]
    purpose = f"review\n{FORGED}"
    event = runner.invoke(
        app,
        [*opts, "evidence", "event", evidence_id, "--type", "sealed", "--purpose", purpose],
    )
    assert event.exit_code == 0, event.output
    shown = runner.invoke(app, [*opts, "evidence", "show", evidence_id, "--purpose", purpose])
    listed = runner.invoke(app, [*opts, "evidence", "list"])
    for result in (event, shown, listed):
        assert result.exit_code == 0, result.output
        assert FORGED not in result.stdout.splitlines(), result.stdout
        assert "\u202e" not in result.stdout, result.stdout
    assert "invoice\\u202efdp.exe" in listed.stdout
    assert "review\\n     9" in shown.stdout
    # JSON keeps the text as it was typed (a program reads it, not a person).
    as_json = runner.invoke(app, [*opts, "evidence", "show", evidence_id, "--json"])
    custody = json.loads(as_json.stdout)["custody"]
    assert purpose in [r["purpose"] for r in custody]

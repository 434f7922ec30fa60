"""`bigfish evidence export` and `verify` at the console name a file disposed of, which the
package carries without its bytes (helper 172's export; the console's words here)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from tests.evidence.test_cli import _node


def _add(runner: CliRunner, opts: list[str], path: Path) -> str:
    added = runner.invoke(
        app, [*opts, "evidence", "add", str(path), "--org", "TH-AOC", "--report", "R-1", "--json"]
    )
    assert added.exit_code == 0, added.output
    return str(json.loads(added.stdout)["evidence_id"])


def test_export_and_verify_name_the_disposed_file(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    (tmp_path / "chat.txt").write_text("send 5000 baht\n")
    (tmp_path / "slip.txt").write_text("transfer slip\n")
    kept = _add(runner, opts, tmp_path / "chat.txt")
    gone = _add(runner, opts, tmp_path / "slip.txt")
    disposed = runner.invoke(
        app,
        [*opts, "evidence", "event", gone, "--type", "disposed", "--purpose", "court order 17"],
    )
    assert disposed.exit_code == 0, disposed.output

    package = tmp_path / "case.zip"
    text = runner.invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(package)]
    )
    assert text.exit_code == 0, text.output
    assert f"1 file and 1 item disposed of, carried without its file ({gone})" in text.stdout
    again = tmp_path / "again.zip"
    as_json = runner.invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(again), "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["evidence"] == 1 and doc["disposed"] == [gone]

    checked = runner.invoke(app, ["evidence", "verify", str(again), "--json"])
    assert checked.exit_code == 0, checked.output
    result = json.loads(checked.stdout)
    assert result["ok"] is True and result["files"] == 1
    assert [(d["evidence_id"], d["purpose"]) for d in result["disposed"]] == [
        (gone, "court order 17")
    ]
    assert kept not in {d["evidence_id"] for d in result["disposed"]}

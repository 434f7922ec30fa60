"""`bigfish ingest --json` printed a line for each file it read and nothing for a file it could
not read (empty, missing, not the format): that file was named on stderr only, so a program
reading the JSON lines could not tell which of the files it gave were refused, nor why. Each
refused file now has its line too, with `file`, `org` and `error` (what it committed before a
failure, if anything, is in `bigfish ingest --runs`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()

_REPORT = {"report_id": "a1", "reported_at": "2025-01-01", "country": "TH", "narrative": "x"}


def test_every_file_given_has_its_json_line(tmp_path: Path) -> None:
    """Before: assert ['ok.jsonl'] == ['empty.jsonl', 'ok.jsonl', 'missing.csv']."""
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "ok.jsonl").write_text(json.dumps(_REPORT) + "\n", encoding="utf-8")
    files = [str(tmp_path / name) for name in ("empty.jsonl", "ok.jsonl", "missing.csv")]
    db = f"sqlite:///{tmp_path / 'node.db'}"
    args = ["--db", db, "ingest", *files, "--org", "th-aoc", "--json", "--no-webhooks"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(line["file"]).name for line in lines] == ["empty.jsonl", "ok.jsonl", "missing.csv"]
    empty, ok, missing = lines
    assert ok["stored"] == 1 and "error" not in ok
    assert set(empty) == set(missing) == {"file", "org", "error"}
    assert empty["org"] == missing["org"] == "th-aoc"
    assert "the file is empty" in empty["error"]
    assert "missing.csv" in missing["error"]
    assert "1 of 3 files" not in result.stdout  # the summary stays on stderr

"""Review h167 (README "The analyst web application": file names are shown "with every
unprintable character escaped as the CLI does"). `bigfish ingest` printed a file's name as it
was: an escape sequence in it (ESC, a partner's attachment saved under its name) went to the
operator's terminal, and a direction override (U+202E) turned the rest of the line around, in
the per-file line, its errors and `ingest --runs`. They are now escaped as `evidence` does."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from tests.intake.conftest import csv_text, row

runner = CliRunner()

#: An override, and an escape sequence that sets the terminal's title (click strips only
#: colour codes, and only when not writing to a terminal).
NAME = "evil\u202evsc\x1b]0;pwn\x07.csv"
SHOWN = "evil\\u202evsc\\x1b]0;pwn\\x07.csv"


def test_a_file_name_is_printed_escaped(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text(csv_text([row("r1")]), encoding="utf-8")
    result = runner.invoke(app, ["--db", store_url, "ingest", str(path), "--org", "A"])
    assert result.exit_code == 0, result.output
    assert SHOWN in result.stdout and "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    runs = runner.invoke(app, ["--db", store_url, "ingest", "--runs"])
    assert runs.exit_code == 0, runs.output
    assert SHOWN in runs.stdout and "\x1b" not in runs.stdout


def test_a_refused_file_is_named_escaped(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / NAME
    path.write_text("", encoding="utf-8")  # empty: refused, naming the file
    result = runner.invoke(app, ["--db", store_url, "ingest", str(path), "--org", "A"])
    assert result.exit_code == 1
    assert SHOWN in result.stderr and "\x1b" not in result.stderr

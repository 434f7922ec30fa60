"""`bigfish ingest` says how many of the reports it counts `updated` were sent again with the
same content and so left as they were (`unchanged`), in --json and on the human line; the counts
of spec/cli.md (received / stored / updated / rejected) stay as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bigfish.cli import app
from tests.intake.conftest import csv_text, row

runner = CliRunner()

ROWS = [row("r1"), row("r2", phones="081-999-0000"), row("r3", loss_amount="200")]


def _ingest(url: str, path: Path, rows: list[dict[str, str]], *options: str) -> str:
    path.write_text(csv_text(rows), encoding="utf-8")
    result = runner.invoke(app, ["--db", url, "ingest", str(path), "--org", "A", *options])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def _counts(url: str, path: Path, rows: list[dict[str, str]]) -> dict[str, Any]:
    counts: dict[str, Any] = json.loads(_ingest(url, path, rows, "--json"))
    return counts


def test_a_file_sent_again_is_counted_unchanged(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    first = _counts(store_url, path, ROWS)
    assert (first["stored"], first["updated"], first["unchanged"]) == (3, 0, 0)
    again = _counts(store_url, path, ROWS)
    assert (again["received"], again["stored"], again["updated"], again["rejected"]) == (3, 0, 3, 0)
    assert again["unchanged"] == 3
    changed = [ROWS[0], ROWS[1] | {"loss_amount": "99"}, ROWS[2]]
    then = _counts(store_url, path, changed)
    assert (then["stored"], then["updated"], then["unchanged"]) == (0, 3, 2)


def test_the_human_line_says_how_many_were_unchanged(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    first = _ingest(store_url, path, ROWS)
    assert "stored 3 / updated 0 / rejected 0" in first
    again = _ingest(store_url, path, [ROWS[0], ROWS[1], ROWS[2] | {"narrative": "new"}])
    assert "stored 0 / updated 3 (2 unchanged) / rejected 0" in again

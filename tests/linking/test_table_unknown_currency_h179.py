"""`bigfish networks` (the table) says when a network's loss in USD leaves out losses in a
currency with no exchange rate: they are reported, never guessed, and never silently dropped
from the ranked list (a ring whose victims lost pesos read "0" there)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import open_store
from tests.linking.conftest import Ingest, report

runner = CliRunner()


def _table(tmp_path: Path, ingest: Ingest, currency: str) -> list[str]:
    url = f"sqlite:///{tmp_path / f'{currency}.db'}"
    store = open_store(url)
    ingest(
        store,
        "th-aoc",
        [
            report("r1", ("phone", "+66812345678"), loss="1000", currency="USD"),
            report("r2", ("phone", "+66812345678"), loss="250000", currency=currency),
        ],
    )
    store.close()
    assert runner.invoke(app, ["--db", url, "link"]).exit_code == 0
    result = runner.invoke(app, ["--db", url, "networks"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_a_loss_with_no_rate_is_marked_in_the_table(tmp_path: Path, ingest: Ingest) -> None:
    _header, _, row, *notes = _table(tmp_path, ingest, "ARS")
    assert "1,000+" in row.split()  # the dollars counted, and more not counted
    assert notes == [
        "+ also losses in a currency with no exchange rate, not in the total:"
        " `bigfish network ID` names them"
    ]


def test_every_loss_with_a_rate_is_not_marked(tmp_path: Path, ingest: Ingest) -> None:
    _header, _, row, *notes = _table(tmp_path, ingest, "THB")
    assert "8,463" in row.split() and notes == []

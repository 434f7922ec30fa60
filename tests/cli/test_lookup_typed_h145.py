"""`bigfish lookup VALUE` without --kind looks up the one identifier it finds in VALUE (helper
145's review): it found the phone in `081 234 5678 (mobile)` or `โทร0812345678 ครับ`, then
looked the whole text up as a phone, invalid, and answered "0 reports" for a number the node
holds — as the web search (`interpret`) would not."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from tests.cli.lookup_json import lookup_json as _lookup
from tests.intake.conftest import csv_text, row

runner = CliRunner()


@pytest.fixture
def node_url(store_url: str, tmp_path: Path) -> str:
    path = tmp_path / "a.csv"
    path.write_text(csv_text([row("r1", phones="081-234-5678")]), encoding="utf-8")
    result = runner.invoke(app, ["--db", store_url, "ingest", str(path), "--org", "A"])
    assert result.exit_code == 0, (result.output, result.exception)
    return store_url


@pytest.mark.parametrize("typed", ["081 234 5678 (mobile)", "โทร0812345678 ครับ", "Tel: 0812345678"])
def test_the_one_identifier_in_a_typed_text_is_looked_up(node_url: str, typed: str) -> None:
    answer = _lookup(node_url, typed, "--country", "TH")
    assert (answer["canonical_kind"], answer["canonical"], answer["valid"]) == (
        "phone",
        "+66812345678",
        True,
    )
    assert answer["report_count"] == 1
    assert answer == _lookup(node_url, "0812345678", "--kind", "phone", "--country", "TH")

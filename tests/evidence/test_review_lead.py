"""Errors name what exists: an export of a report without evidence names its organization even
when the command was not given one, and an ingest of a directory says it is a directory."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import open_store
from tests.evidence.conftest import add_report


def test_an_export_without_evidence_names_the_reports_organization(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    opts = ["--db", url, "--data-dir", str(tmp_path / "data")]
    out = tmp_path / "p.zip"
    empty = CliRunner().invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(out)]
    )
    assert empty.exit_code == 1
    assert "report TH-AOC/R-1 has no evidence" in empty.stderr
    assert "None" not in empty.stderr
    assert not out.exists()


def test_an_ingest_of_a_directory_says_it_is_one(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    url = f"sqlite:///{tmp_path / 'node.db'}"
    answer = CliRunner().invoke(app, ["--db", url, "ingest", str(folder), "--org", "TH-AOC"])
    assert answer.exit_code == 1
    assert f"{folder}" in answer.stderr and "is a directory" in answer.stderr
    assert "no such file" not in answer.stderr

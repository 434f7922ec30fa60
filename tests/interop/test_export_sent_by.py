"""`bigfish export FORMAT --sent-by ORG`: only the reports ORG sent (spec/cli.md's export, with
one option added). A node-wide export mixes every organization's reports, and an organization's
rows ingest again only under `--org` of that organization: an organization moving to another
node, or keeping its own submissions, needs its own reports alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()

ROWS = (
    "report_id,reported_at,country,phones\n"
    "{org}-1,2025-03-01,TH,+66812345678\n"
    "{org}-2,2025-03-02,TH,+66812345679\n"
)


def _node(tmp_path: Path) -> list[str]:
    """A node where a sent 2 reports shared with the partnership and b 2 kept to itself."""
    options = ["--db", f"sqlite:///{tmp_path / 'n.db'}", "--data-dir", str(tmp_path / "data")]
    for org, distribution in (("a", "partnership"), ("b", "organization")):
        path = tmp_path / f"{org}.csv"
        path.write_text(ROWS.format(org=org), encoding="utf-8")
        args = ["ingest", str(path), "--org", org, "--tlp", "green"]
        result = runner.invoke(app, [*options, *args, "--distribution", distribution])
        assert result.exit_code == 0, result.output
    return options


def _export(options: list[str], out: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, [*options, "export", *args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.output)
    return doc


def test_only_the_reports_the_organization_sent(tmp_path: Path) -> None:
    options = _node(tmp_path)
    out = tmp_path / "b.csv"
    assert _export(options, out, "csv", "--sent-by", "b")["reports"] == 2
    with out.open(encoding="utf-8") as f:
        assert {(r["org"], r["report_id"]) for r in csv.DictReader(f)} == {
            ("b", "b-1"),
            ("b", "b-2"),
        }
    assert _export(options, tmp_path / "all.csv", "csv")["reports"] == 4
    for fmt in ("stix", "misp"):
        assert _export(options, tmp_path / f"a.{fmt}.json", fmt, "--sent-by", "a")["reports"] == 2


def test_with_as_org_what_that_organization_may_see_of_them(tmp_path: Path) -> None:
    """b kept its reports to itself: a sees none of them, and all of its own."""
    options = _node(tmp_path)
    assert (
        _export(options, tmp_path / "x.csv", "csv", "--as-org", "a", "--sent-by", "b")["reports"]
        == 0
    )
    assert (
        _export(options, tmp_path / "y.csv", "csv", "--as-org", "b", "--sent-by", "a")["reports"]
        == 2
    )


def test_an_organization_the_node_does_not_know_is_named_and_no_file_is_written(
    tmp_path: Path,
) -> None:
    options = _node(tmp_path)
    out = tmp_path / "x.csv"
    result = runner.invoke(app, [*options, "export", "csv", "--out", str(out), "--sent-by", "zz"])
    assert result.exit_code == 1
    assert "'zz'" in result.output and "bigfish org list" in result.output
    assert not out.exists()

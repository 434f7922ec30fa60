"""Review h168: `bigfish export misp --out FILE --sent-by ORG` is for ingesting ORG's reports
again elsewhere (README: "in any format … read back the same reports and attributes"). A
network whose every report ORG sent went out as one network event holding the network's
identifiers, in place of its reports' events: ingested again, the two reports of a ring came
back as one report named by the network event's uuid, without their narratives, dates or
attributes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()

#: Two reports of one ring (the same wallet), and one on its own; columns the format does not
#: name are kept as attributes.
ROWS = (
    "report_id,reported_at,country,narrative,crypto_wallets,branch\n"
    "r1,2025-03-01,TH,first victim paid the wallet,TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa,Silom\n"
    "r2,2025-03-02,TH,second victim paid the wallet,TA3gSXihmPNe19VbwVfuqXg4p3vqmbXeaa,Sathorn\n"
    "r3,2025-03-03,TH,a lone scam,,Bangrak\n"
)


def _run(options: list[str], *args: str) -> str:
    result = runner.invoke(app, [*options, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _reports(options: list[str], out: Path) -> dict[str, tuple[str, str]]:
    """Report id -> (narrative, reported day) of every report of org a, through the CSV export."""
    _run(options, "export", "csv", "--out", str(out), "--sent-by", "a")
    with out.open(encoding="utf-8") as f:
        return {r["report_id"]: (r["narrative"], r["reported_at"][:10]) for r in csv.DictReader(f)}


def test_an_organizations_misp_export_ingests_again_as_the_same_reports(tmp_path: Path) -> None:
    node = ["--db", f"sqlite:///{tmp_path / 'n.db'}", "--data-dir", str(tmp_path / "data")]
    source = tmp_path / "a.csv"
    source.write_text(ROWS, encoding="utf-8")
    _run(node, "ingest", str(source), "--org", "a")
    networks = json.loads(_run(node, "networks", "--json"))
    assert len(networks) == 1  # r1 and r2 are one ring, all of it a's

    exported = tmp_path / "a.misp.json"
    _run(node, "export", "misp", "--out", str(exported), "--sent-by", "a")
    other = ["--db", f"sqlite:///{tmp_path / 'o.db'}", "--data-dir", str(tmp_path / "odata")]
    _run(other, "ingest", str(exported), "--org", "a", "--format", "misp")

    assert _reports(other, tmp_path / "o.csv") == _reports(node, tmp_path / "n.csv")

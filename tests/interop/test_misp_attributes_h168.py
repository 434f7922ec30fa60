"""Review h168: the MISP export left out the attributes a partner sent that MISP has no type for
(a CSV's other columns, kept as report attributes): only those a MISP event had brought
(`misp_*`) went out, so `bigfish export misp --sent-by ORG` ingested again lost them (README:
"in any format … read back the same reports and attributes"). Each now goes out as a `text`
attribute commented `attribute:NAME`, which import reads back as the attribute NAME; a name
that is one of the report's own fields or markings, or `info` (the event's title), is
refused, naming where it was."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.intake.readers import Row, Unreadable
from bigfish.interop.misp import event_records

runner = CliRunner()

ROWS = (
    "report_id,reported_at,country,narrative,branch,Case officer,org\n"
    'r1,2025-03-01,TH,paid the wallet,Silom,"Somchai, desk 4",Kasikorn HQ\n'
    "r2,2025-03-02,TH,a lone scam,,,\n"
)


def _run(options: list[str], *args: str) -> str:
    result = runner.invoke(app, [*options, *args])
    assert result.exit_code == 0, result.output
    return result.output


def _attributes(options: list[str], out: Path) -> dict[str, dict[str, str]]:
    """Report id -> the attribute columns of the CSV export that are filled, but `info`."""
    _run(options, "export", "csv", "--out", str(out), "--sent-by", "a")
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    attributes = ("branch", "Case officer", "org.2")
    return {r["report_id"]: {k: r[k] for k in attributes if r.get(k)} for r in rows}


def test_attributes_travel_in_the_misp_export_and_are_read_back(tmp_path: Path) -> None:
    node = ["--db", f"sqlite:///{tmp_path / 'n.db'}", "--data-dir", str(tmp_path / "data")]
    source = tmp_path / "a.csv"
    source.write_text(ROWS, encoding="utf-8")
    _run(node, "ingest", str(source), "--org", "a")
    exported = tmp_path / "a.misp.json"
    _run(node, "export", "misp", "--out", str(exported), "--sent-by", "a")
    other = ["--db", f"sqlite:///{tmp_path / 'o.db'}", "--data-dir", str(tmp_path / "odata")]
    _run(other, "ingest", str(exported), "--org", "a", "--format", "misp")

    before = _attributes(node, tmp_path / "n.csv")
    assert before["r1"] == {
        "branch": "Silom",
        "Case officer": "Somchai, desk 4",
        "org.2": "Kasikorn HQ",
    }
    assert _attributes(other, tmp_path / "o.csv") == before


def _event(comment: str) -> dict[str, object]:
    return {
        "uuid": "8c3b6d0e-1f2a-4b5c-9d8e-7f6a5b4c3d2e",
        "info": "a title",
        "date": "2025-03-01",
        "Tag": [{"name": 'bigfish:country="TH"'}],
        "Attribute": [
            {"type": "text", "value": "a lone scam", "comment": "narrative"},
            {"type": "text", "value": "clear", "comment": comment},
        ],
    }


def test_an_attribute_named_as_a_field_a_marking_or_the_title_is_refused_naming_it() -> None:
    for name in ("tlp", "country", "phones", "narrative", "info"):
        records = event_records(1, _event(f"attribute:{name}"))
        problems = [r for r in records if isinstance(r, Unreadable)]
        assert [p.field for p in problems] == ["Attribute[1].comment"], name
        assert "not a name an attribute may have" in problems[0].reason
        row = records[-1]
        assert isinstance(row, Row)
        assert "clear" not in row.fields.values(), name
        assert (row.fields["country"], row.fields["info"]) == ("TH", "a title")

"""`bigfish export xlsx` (helper 164): the intake CSV's rows as an Excel workbook whose every cell
is text. A CSV opened in a spreadsheet runs a cell starting with = + - @ (the CSV export puts a
quote before one, which the analyst then sees); in the workbook no cell is a formula, a cell
holds its text as it is, and a phone or an account stays the text it was. Ingested again, the
workbook gives back the same reports as the CSV."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from bigfish.accounts import viewer_as
from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.interop import FORMATS, export_csv, export_xlsx
from bigfish.interop import export as export_module
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HYPERLINK = '=HYPERLINK("http://evil","x")'
CMD = "+cmd|' /C calc'!A0"

#: What partner a sent, as JSON Lines (keys kept as sent): cells a spreadsheet would run, a
#: phone and accounts with leading zeros, a text starting with a quote and a formula character,
#: Excel's text formula, line breaks (CR LF, a lone CR), control characters, a text that reads
#: as Excel's escape of one, and attributes whose names would run.
SENT = [
    {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "narrative": HYPERLINK,
        "phones": "+66812345678",
        "bank_accounts": "0012345678",
        "note": CMD,
        "memo": "@SUM(A1)",
        "=cmd": "-2+3",
    },
    {
        "report_id": "-r2",
        "reported_at": "2025-03-02",
        "country": "TH",
        "narrative": "line one\r\nline two\rthree\x07bell\x0bvt _x000D_ '=x",
        "loss_amount": "007",
        "loss_currency": "THB",
        "memo": "''+66 call",
    },
    {
        "report_id": "r3",
        "reported_at": "2025-03-03",
        "country": "TH",
        "narrative": "''+66812345678 called",
        "urls": "bad.example/login;jsessionid=AB12",
        "note": '="0812345678"',
        "memo": "_x005F_x000D_ tab\there",
    },
]


def _sent(tmp_path: Path, store: Store, rows: list[dict[str, str]], org: str = "a") -> None:
    path = tmp_path / f"{org}-sent.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    marking = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    result = ingest_file(store, path, org=org, marking=marking, workers=0, classify=False)
    assert (result.stored, result.rejected) == (len(rows), 0)


def _csv(store: Store, viewer: Viewer | None = None) -> bytes:
    out = io.StringIO()
    export_csv(store, viewer or Viewer.node_operator(), out)
    return out.getvalue().encode()


def _xlsx(store: Store, viewer: Viewer | None = None) -> bytes:
    out = io.BytesIO()
    result = export_xlsx(store, viewer or Viewer.node_operator(), out)
    assert result.format == "xlsx"
    return out.getvalue()


def _sheet(data: bytes) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))


def formulas(data: bytes) -> list[str]:
    """The formulas of the workbook DATA's sheet (the text of each <f>)."""
    return [f.text or "" for f in _sheet(data).iter(f"{_MAIN}f")]


def cells(data: bytes) -> list[dict[str, tuple[str | None, str]]]:
    """Each row of the sheet under its header's texts: each cell's type (t) and its text as
    the XML holds it (an inline string's <t>, else its <v>)."""
    rows = []
    for row in _sheet(data).iter(f"{_MAIN}row"):
        rows.append(
            [
                (c.get("r", "").rstrip("0123456789"), c.get("t"), c.findtext(f".//{_MAIN}t"))
                for c in row
            ]
        )
    header = {column: text for column, _, text in rows[0]}
    return [{header[col]: (kind, text or "") for col, kind, text in row} for row in rows[1:]]


def test_xlsx_is_an_export_format() -> None:
    """Before: FORMATS was ('stix', 'misp', 'csv') and export_xlsx did not exist."""
    assert FORMATS == ("stix", "misp", "csv", "xlsx")


def test_no_cell_is_a_formula_and_each_holds_its_text(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        add_org(store, "a", country="TH")
        _sent(tmp_path, store, SENT)
        data = _xlsx(store)
    finally:
        store.close()
    assert formulas(data) == []
    rows = {row["report_id"][1]: row for row in cells(data)}
    assert set(rows) == {"r1", "-r2", "r3"}
    for row in rows.values():
        assert {kind for kind, _ in row.values()} == {"inlineStr"}, row
    r1 = rows["r1"]
    assert r1["narrative"] == ("inlineStr", HYPERLINK)
    assert r1["note"] == ("inlineStr", CMD)
    assert r1["memo"] == ("inlineStr", "@SUM(A1)")
    assert r1["=cmd"] == ("inlineStr", "-2+3")  # the header's name too
    assert r1["phones"] == ("inlineStr", "+66812345678")
    assert r1["bank_accounts"] == ("inlineStr", "0012345678")
    assert rows["r3"]["note"] == ("inlineStr", '="0812345678"')
    # A text starting with quotes and a formula character keeps one more quote, as in the CSV:
    # intake takes one off such a cell. Control characters and CR are Excel's escapes.
    assert rows["-r2"]["memo"] == ("inlineStr", "'''+66 call")
    assert rows["-r2"]["narrative"] == (
        "inlineStr",
        "line one_x000D_\nline two_x000D_three_x0007_bell_x000B_vt _x005F_x000D_ '=x",
    )


def test_the_check_finds_the_formulas_of_a_workbook_written_the_naive_way() -> None:
    """openpyxl writes a text starting with = as a formula unless told it is text: `formulas`
    finds it, so the test above would fail on such a workbook."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("reports")
    sheet.append(["report_id", "narrative"])
    sheet.append(["r1", HYPERLINK])
    out = io.BytesIO()
    book.save(out)
    assert formulas(out.getvalue()) == [HYPERLINK[1:]]


def test_ingested_again_it_gives_the_same_reports(store: Store, tmp_path: Path) -> None:
    """Export xlsx, ingest it into a fresh store: that store's CSV export is the first's, to
    the byte (and its xlsx export the first's sheet)."""
    add_org(store, "a", country="TH")
    _sent(tmp_path, store, SENT)
    workbook = tmp_path / "a.xlsx"
    workbook.write_bytes(_xlsx(store))
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        add_org(fresh, "a", country="TH")
        marking = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
        result = ingest_file(fresh, workbook, org="a", marking=marking, workers=0, classify=False)
        assert (result.stored, result.rejected) == (len(SENT), 0)
        assert _csv(fresh) == _csv(store)
        assert cells(_xlsx(fresh)) == cells(workbook.read_bytes())
    finally:
        fresh.close()


def test_an_organization_s_workbook_holds_only_what_it_may_see(
    store: Store, tmp_path: Path
) -> None:
    add_org(store, "a", country="TH")
    add_org(store, "b", country="VN")
    _sent(tmp_path, store, SENT[:1])
    kept = tmp_path / "b-kept.csv"
    kept.write_text("report_id,reported_at,country,narrative\nb-1,2025-03-01,VN,mine\n")
    marking = Marking(TLP.RED, Distribution.ORGANIZATION)
    assert ingest_file(store, kept, org="b", marking=marking, workers=0).stored == 1
    shared = tmp_path / "b-shared.csv"
    shared.write_text("report_id,reported_at,country,narrative\nb-2,2025-03-02,VN,ours\n")
    marking = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    assert ingest_file(store, shared, org="b", marking=marking, workers=0).stored == 1

    def seen(data: bytes) -> set[tuple[str, str]]:
        return {(row["org"][1], row["report_id"][1]) for row in cells(data)}

    as_a = viewer_as(store, "a")
    assert seen(_xlsx(store, as_a)) == {("a", "r1"), ("b", "b-2")}
    assert seen(_xlsx(store, viewer_as(store, "b"))) == {("a", "r1"), ("b", "b-1"), ("b", "b-2")}
    assert b"mine" not in _csv(store, as_a)  # as the CSV


def _files(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory temporary files are made in while the test runs."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


class _Broken(io.BytesIO):
    """A file whose disk fills up."""

    def write(self, data: Any) -> int:
        raise OSError(28, "No space left on device")


def test_no_temporary_file_is_left_behind(tmp_path: Path, temp_dir: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        add_org(store, "a", country="TH")
        _sent(tmp_path, store, SENT)
        assert _xlsx(store) and _files(temp_dir) == []
        broken: IO[bytes] = _Broken()
        with pytest.raises(OSError, match="No space left"):
            export_xlsx(store, Viewer.node_operator(), broken)
        assert _files(temp_dir) == []
    finally:
        store.close()


def test_a_cell_longer_than_excel_holds_is_refused_naming_the_report(
    tmp_path: Path, temp_dir: Path
) -> None:
    """openpyxl cuts a text at 32,767 characters without a word: the export refuses instead,
    before it writes anything, and says the CSV holds it."""
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        add_org(store, "a", country="TH")
        long = {**SENT[0], "report_id": "long", "narrative": "x" * 32_768}
        _sent(tmp_path, store, [SENT[2], long])
        out = io.BytesIO()
        with pytest.raises(InputError) as caught:
            export_xlsx(store, Viewer.node_operator(), out)
        assert caught.value.field == "narrative"
        assert "report a/long: 32,768 characters, more than the 32,767" in str(caught.value)
        assert "export it as csv" in str(caught.value)
        assert out.getvalue() == b"" and _files(temp_dir) == []
    finally:
        store.close()


def test_more_reports_than_a_sheet_has_rows_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        add_org(store, "a", country="TH")
        _sent(tmp_path, store, SENT)
        monkeypatch.setattr(export_module, "MAX_SHEET_ROWS", 4)  # the header and 3 reports
        assert len(cells(_xlsx(store))) == 3
        monkeypatch.setattr(export_module, "MAX_SHEET_ROWS", 3)
        with pytest.raises(InputError, match="3 reports are more than an Excel sheet holds"):
            _xlsx(store)
    finally:
        store.close()


runner = CliRunner()


def test_the_command_writes_the_workbook(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    store = open_store(db)
    try:
        add_org(store, "a", country="TH")
        _sent(tmp_path, store, SENT)
    finally:
        store.close()
    options = ["--db", db, "--data-dir", str(tmp_path / "data")]
    out = tmp_path / "a.xlsx"
    args = [*options, "export", "xlsx", "--out", str(out), "--as-org", "a", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "format": "xlsx",
        "reports": 3,
        "objects": 3,
        "out": str(out),
    }
    assert formulas(out.read_bytes()) == [] and len(cells(out.read_bytes())) == 3
    result = runner.invoke(app, [*options, "export", "xlsx", "--out", str(out)])
    assert result.exit_code == 0 and result.output.strip() == f"{out}: 3 reports, 3 rows"


def test_the_command_leaves_no_workbook_it_could_not_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    store = open_store(db)
    try:
        add_org(store, "a", country="TH")
        _sent(tmp_path, store, SENT)
    finally:
        store.close()
    monkeypatch.setattr(export_module, "MAX_SHEET_CELL", 10)
    out = tmp_path / "a.xlsx"
    args = ["--db", db, "--data-dir", str(tmp_path / "data"), "export", "xlsx", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "more than the 10 an Excel cell holds" in result.output
    assert not out.exists()


def test_the_help_names_xlsx() -> None:
    result = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "stix, misp, csv or xlsx" in result.output
    assert "bigfish export xlsx --out th-aoc.xlsx" in result.output

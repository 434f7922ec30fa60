"""Review h110: what a sender hid on the sheet that is read (rows filtered out or hidden, hidden
columns) is not taken in unseen, and a formula saved without its value is not stored as its
text; each is named in FILE.rejects.jsonl with its sheet, row or column, and nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import reports

from .conftest import HEADER, row, stored_ids
from .test_crafted_files import inline, workbook


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _ingest(store: Store, path: Path) -> tuple[int, int, int]:
    result = ingest_file(store, path, org="th-kbank", workers=0, classify=False)
    assert result.received == result.stored + result.updated + result.rejected
    return result.received, result.stored, result.rejected


def _reports(book: Workbook, ids: list[str]) -> None:
    book.active.title = "Reports"
    book.active.append(HEADER)
    for report_id in ids:
        book.active.append(list(row(report_id).values()))


# --- hidden rows ------------------------------------------------------------------------------


@pytest.mark.parametrize("filtered", [False, True])
def test_a_hidden_row_is_rejected_naming_sheet_and_row(
    sqlite_store: Store, tmp_path: Path, filtered: bool
) -> None:
    """A row filtered out by an autofilter, or hidden by hand, was read and stored as if in
    view: the analyst took in a report the partner had hidden, neither of them knowing."""
    book = Workbook()
    _reports(book, ["r1", "r2", "r3"])
    book.active.append([None] * len(HEADER))  # row 5: hidden, empty: nothing to lose
    book.active.append(list(row("r4").values()))
    for number in (3, 5):
        book.active.row_dimensions[number].hidden = True
    if filtered:
        book.active.auto_filter.ref = "A1:N6"
    path = tmp_path / "filtered.xlsx"
    book.save(path)
    assert _ingest(sqlite_store, path) == (4, 3, 1)
    assert stored_ids(sqlite_store) == ["r1", "r3", "r4"]
    [reject] = _rejects(path)
    assert (reject["file"], reject["line"], reject["report_id"]) == (str(path), 3, "r2")
    assert str(reject["reason"]).startswith("row 3 of sheet 'Reports' is hidden")
    assert "unhide" in str(reject["reason"])
    book.active.row_dimensions[3].hidden = False  # shown, it is read
    book.save(path)
    assert _ingest(sqlite_store, path) == (4, 1, 0)  # r2; the others unchanged
    assert stored_ids(sqlite_store) == ["r1", "r2", "r3", "r4"]


# --- hidden columns ---------------------------------------------------------------------------


def _with_hidden_column(values: list[object], title: str | None = "internal_note") -> Workbook:
    """Reports r1 and r2 with a hidden column O (right of the 14 of HEADER) holding VALUES."""
    book = Workbook()
    _reports(book, ["r1", "r2"])
    sheet = book.active
    sheet["O1"] = title
    for number, value in enumerate(values, start=2):
        sheet.cell(number, 15, value)
    sheet.column_dimensions["O"].hidden = True
    return book


def _attributes(store: Store) -> list[object]:
    with store.connect() as conn:
        query = sa.select(reports.c.attributes).order_by(reports.c.report_id)
        return list(conn.execute(query).scalars())


def test_a_hidden_columns_values_are_not_read_and_the_column_is_named(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A hidden column's values (a note the partner hid before sending) were stored with the
    reports as their attributes, shared with partners who would see what the sender did not."""
    path = tmp_path / "notes.xlsx"
    _with_hidden_column(["victim ID 3-1234-56789-01-2", "call back"]).save(path)
    assert _ingest(sqlite_store, path) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["r1", "r2"]
    assert all("victim ID" not in json.dumps(a) for a in _attributes(sqlite_store))
    [reject] = _rejects(path)
    assert (reject["line"], reject["field"]) == (1, "internal_note")
    reason = str(reject["reason"])
    assert "column O ('internal_note') of sheet 'Reports' is hidden" in reason
    assert "2 rows (2 to 3)" in reason
    assert "unhide" in reason


def test_a_hidden_helper_column_of_formulas_costs_no_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A template's hidden helper column of formulas (saved without values, by a program
    that computes none) leaves every report stored, the column named as not read."""
    path = tmp_path / "template.xlsx"
    _with_hidden_column(["=A2&B2", "=A3&B3"], title="key").save(path)
    assert _ingest(sqlite_store, path) == (3, 2, 1)
    [reject] = _rejects(path)
    assert (reject["line"], reject["field"]) == (1, "key")


def test_an_empty_hidden_column_changes_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "spare.xlsx"
    _with_hidden_column([None, "  "]).save(path)
    assert _ingest(sqlite_store, path) == (2, 2, 0)
    assert _rejects(path) == []


def test_a_hidden_column_without_a_header_is_named_not_each_row_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Values right of the header reject their row ("15 fields where the header has 14"); in
    a hidden column they are that column's, named once, and the reports are stored."""
    path = tmp_path / "scratch.xlsx"
    _with_hidden_column(["x", None], title=None).save(path)
    assert _ingest(sqlite_store, path) == (3, 2, 1)
    [reject] = _rejects(path)
    assert (reject["line"], reject["field"]) == (1, "column 15")
    assert "column O of sheet 'Reports' is hidden" in str(reject["reason"])
    assert "1 row (2)" in str(reject["reason"])


def test_a_hidden_column_the_file_needs_refuses_it_naming_the_column(
    sqlite_store: Store, tmp_path: Path
) -> None:
    book = Workbook()
    _reports(book, ["r1", "r2"])
    book.active.column_dimensions["C"].hidden = True  # country
    path = tmp_path / "no-country.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"column C \('country'\) .*is hidden") as caught:
        _ingest(sqlite_store, path)
    assert (caught.value.file, caught.value.field) == (str(path), "country")
    assert stored_ids(sqlite_store) == []


def test_a_hidden_column_a_mapping_names_refuses_the_file(
    sqlite_store: Store, tmp_path: Path
) -> None:
    from bigfish.intake import load_mapping

    mapping = tmp_path / "kbank.map.toml"
    mapping.write_text('[columns]\nhandles = ["line id"]\n', encoding="utf-8")
    book = Workbook()
    book.active.title = "Reports"
    book.active.append([*HEADER[:-1], "line id"])
    book.active.append(list(row("r1", handles="@scam").values()))
    book.active.column_dimensions["N"].hidden = True
    path = tmp_path / "line.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"column N \('line id'\) of sheet 'Reports' is hidden"):
        ingest_file(sqlite_store, path, org="th-kbank", mapping=load_mapping(mapping))
    assert stored_ids(sqlite_store) == []


@pytest.mark.parametrize("late", [False, True])
def test_hidden_columns_as_excel_writes_them(
    sqlite_store: Store, tmp_path: Path, late: bool
) -> None:
    """Excel hides the unused columns right of a table as one range (min 15, max 16384); a
    column described after the rows begin cannot be told apart from them and stops reading."""
    columns = '<cols><col min="15" max="16384" hidden="true" width="0"/></cols>'
    rows = [
        '<row r="2">'
        + "".join(inline(v) for v in ["r1", "2025-03-01", "TH"])
        + '<c r="P2" t="inlineStr"><is><t>scratch</t></is></c></row>',
        '<row r="3">' + "".join(inline(v) for v in ["r2", "2025-03-01", "TH"]) + "</row>",
    ]
    if late:
        rows.insert(1, columns)
    path = workbook(tmp_path / "excel.xlsx", rows)
    if not late:
        import zipfile

        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(
            "<sheetData>", columns + "<sheetData>"
        ).encode()
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    received, stored, rejected = _ingest(sqlite_store, path)
    rejects = _rejects(path)
    if late:  # row 2 read before the description: a value right of the header
        assert (received, stored, rejected) == (2, 0, 2)
        assert [r["line"] for r in rejects] == [2, 3]
        assert "a column is described after the rows began" in str(rejects[1]["reason"])
    else:
        assert (received, stored, rejected) == (3, 2, 1)
        [reject] = rejects
        assert (reject["line"], reject["field"]) == (1, "column 16")
        assert "column P of sheet 'Sheet1' is hidden" in str(reject["reason"])


# --- formulas ---------------------------------------------------------------------------------


def test_a_formula_saved_without_its_value_rejects_its_row(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A formula saved without the value it computes (openpyxl, some exporters) was stored
    as its text: a phone number "=B2*2", an amount "=10*3" rejected as no decimal."""
    book = Workbook()
    _reports(book, ["r1", "r2", "r3"])
    book.active["I3"] = '="0"&"812345678"'  # phones of r2
    path = tmp_path / "computed.xlsx"
    book.save(path)
    assert _ingest(sqlite_store, path) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["r1", "r3"]
    [reject] = _rejects(path)
    assert (reject["line"], reject["field"], reject["report_id"]) == (3, "phones", "r2")
    reason = str(reject["reason"])
    assert "column I of sheet 'Reports' holds a formula with no saved value" in reason
    assert "save" in reason


def test_a_formula_saved_with_its_value_gives_the_value(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Excel saves each formula with its value; an empty text result (t="str", <v></v>) is
    an empty cell, not the formula, nor a formula with no saved value."""
    rows = [
        '<row r="2">'
        + inline("r1")
        + inline("2025-03-01")
        + inline("TH")
        + '<c r="F2"><f>10*3</f><v>30</v></c>'
        + inline("THB").replace("<c ", '<c r="G2" ')
        + '<c r="H2" t="str"><f>IF(A2="x","note","")</f><v></v></c>'
        + '<c r="I2" t="str"><f>"0"&amp;"812345678"</f><v>0812345678</v></c></row>',
    ]
    path = workbook(tmp_path / "saved.xlsx", rows)
    assert _ingest(sqlite_store, path) == (1, 1, 0)
    with sqlite_store.connect() as conn:
        stored = conn.execute(sa.select(reports.c.loss_amount, reports.c.narrative)).all()
    assert stored == [("30", None)]

"""Review h110: a row hidden on the sheet that is read (filtered out, or hidden by hand) is not
taken in unseen, and a formula saved without its value is not stored as its text; each is
named in FILE.rejects.jsonl with its sheet and row or column, and nothing else is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

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

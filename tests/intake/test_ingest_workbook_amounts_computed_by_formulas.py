"""A partner computes losses in its sheet (a sum of transfers, a conversion at a rate): the
value Excel saves is the double of the result (0.1 + 0.2 is 0.30000000000000004) and Excel
shows it to 15 digits (0.3). The report was stored with the binary noise in its amount."""

from __future__ import annotations

import zipfile
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import reports


def _saved_as_excel_saves(path: Path, doubles: dict[str, str]) -> None:
    """PATH with each value of its sheet rewritten as Excel writes it, to 17 digits (openpyxl
    writes 15: DOUBLES, by its text there)."""
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for shown, saved in doubles.items():
        assert f"<v>{shown}</v>" in sheet
        sheet = sheet.replace(f"<v>{shown}</v>", f"<v>{saved}</v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_an_amount_is_stored_as_the_sheet_shows_it(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["report_id", "reported_at", "country", "loss_amount", "loss_currency"])
    sheet.append(["r1", "2025-03-01", "TH", 0.3, "USD"])
    sheet.append(["r2", "2025-03-01", "TH", 3.3, "THB"])
    sheet.append(["r3", "2025-03-01", "TH", 1234.56, "THB"])
    sheet.append(["r4", "2025-03-01", "TH", 0.000123456789012345, "USD"])
    sheet.append(["r5", "2025-03-01", "TH", 66812345678.0, "THB"])
    path = tmp_path / "losses.xlsx"
    book.save(path)
    _saved_as_excel_saves(path, {"0.3": repr(0.1 + 0.2), "3.3": repr(1.1 * 3)})
    assert repr(0.1 + 0.2) == "0.30000000000000004"  # the doubles the sheet holds
    result = ingest_file(sqlite_store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (5, 5, 0)
    with sqlite_store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all()
    assert {str(r.report_id): str(r.loss_amount) for r in rows} == {
        "r1": "0.3",
        "r2": "3.3",
        "r3": "1234.56",
        "r4": "0.000123456789012345",
        "r5": "66812345678",
    }

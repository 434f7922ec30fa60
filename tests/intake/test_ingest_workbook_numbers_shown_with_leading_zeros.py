"""A partner keeps the leading zeros of its case numbers and accounts in Excel with a number
format of zeros ("000000", Excel's Zip Code "00000"): the sheet shows 000123, the cell holds
the number 123. The report was stored as "123": a later CSV of the same case (000123) made a
second report, and an account lost the zeros that link it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.store import Store
from bigfish.store.schema import reports


def _ids(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.narrative)).all()
    return {str(r.report_id): str(r.narrative) for r in rows}


def test_a_number_shown_with_leading_zeros_is_read_as_shown(
    sqlite_store: Store, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["report_id", "reported_at", "country", "narrative", "case_no"])
    sheet.append([123, "2025-03-01", "TH", "six zeros", 42])
    sheet.append([124, "2025-03-01", "TH", "zip code", 7])
    sheet.append([125, "2025-03-01", "TH", "general", 8])
    sheet.append([1234567, "2025-03-01", "TH", "longer than its format", 9])
    sheet["A2"].number_format = "000000"
    sheet["E2"].number_format = "0000"
    sheet["A3"].number_format = "00000"
    sheet["A5"].number_format = "000000"
    path = tmp_path / "cases.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (4, 4, 0)
    assert _ids(sqlite_store) == {
        "000123": "six zeros",
        "00124": "zip code",
        "125": "general",
        "1234567": "longer than its format",
    }
    with sqlite_store.connect() as conn:
        attributes = conn.execute(
            sa.select(reports.c.attributes).where(reports.c.report_id == "000123")
        ).scalar_one()
    assert dict(attributes) == {"case_no": "0042"}


def test_the_same_case_sent_again_as_csv_updates_it(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["report_id", "reported_at", "country", "narrative"])
    sheet.append([123, "2025-03-01", "TH", "first"])
    sheet["A2"].number_format = "000000"
    path = tmp_path / "monday.xlsx"
    book.save(path)
    ingest_file(sqlite_store, path, org="th-aoc")
    again = tmp_path / "tuesday.csv"
    again.write_text(
        "report_id,reported_at,country,narrative\n000123,2025-03-01,TH,corrected\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, again, org="th-aoc")
    assert (result.stored, result.updated) == (0, 1)
    assert _ids(sqlite_store) == {"000123": "corrected"}

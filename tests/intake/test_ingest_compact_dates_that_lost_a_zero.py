"""A bank's system writes dates as ddmmyyyy (01112025, the first of November); in a sheet the
cell became the number 1112025, its leading zero lost. Under the mapping's `date = "%d%m%Y"`
that text read as 11 January 2025: the date misread without a word. A date shorter than its
format writes it, in a format whose fields have nothing between them, cannot be told apart
(1/11 or 11/1): it is rejected naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store
from bigfish.store.schema import reports


def _mapping(tmp_path: Path, date: str) -> Path:
    path = tmp_path / "bank.map.toml"
    path.write_text(
        f'[columns]\nreport_id = "Ref"\nreported_at = "Date"\n[formats]\ndate = "{date}"\n'
        '[defaults]\ncountry = "TH"\n',
        encoding="utf-8",
    )
    return path


def _dates(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.reported_at)).all()
    return {str(r.report_id): f"{r.reported_at:%Y-%m-%d}" for r in rows}


def _rejects(data: Path) -> list[dict[str, object]]:
    text = data.with_name(data.name + ".rejects.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_a_compact_date_that_lost_its_zero_is_rejected(sqlite_store: Store, tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, "%d%m%Y"))
    book = Workbook()
    sheet = book.active
    sheet.append(["Ref", "Date"])
    sheet.append(["B1", 1112025])  # 01112025 as a number
    sheet.append(["B2", "01112025"])
    sheet.append(["B3", 25032025])
    path = tmp_path / "bank.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="th-bank", mapping=mapping)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    assert _dates(sqlite_store) == {"B2": "2025-11-01", "B3": "2025-03-25"}
    [reject] = _rejects(path)
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "B1", "reported_at")
    assert "'1112025'" in str(reject["reason"]) and "01112025" in str(reject["reason"])


def test_a_date_with_separators_may_leave_out_zeros(sqlite_store: Store, tmp_path: Path) -> None:
    mapping = load_mapping(_mapping(tmp_path, "%d/%m/%Y"))
    path = tmp_path / "bank.csv"
    path.write_text("Ref,Date\nS1,1/11/2025\nS2,01/11/2025\n", encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="th-bank", mapping=mapping)
    assert (result.stored, result.rejected) == (2, 0)
    assert _dates(sqlite_store) == {"S1": "2025-11-01", "S2": "2025-11-01"}

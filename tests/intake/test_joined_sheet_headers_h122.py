"""Review h122: a header row inside an Excel sheet (a second export pasted under the first,
its header with it) is taken for a header as in a CSV file (`readers.rows.Columns`): it was
read as a report and rejected as a bad date, and the rows after a header of another order
were read under the first header's columns."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.mapping import ColumnMapping
from bigfish.store import Store

from .conftest import stored_ids


def _book(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _ingest(
    store: Store, path: Path, mapping: ColumnMapping | None = None
) -> tuple[tuple[int, int, int], dict[int, dict[str, object]]]:
    result = ingest_file(store, path, org="a", mapping=mapping, workers=0, classify=False)
    assert result.received == result.stored + result.updated + result.rejected
    target = path.with_name(path.name + ".rejects.jsonl")
    lines = target.read_text("utf-8").splitlines() if target.exists() else []
    rejects = {int(r["line"]): r for r in map(json.loads, lines)}
    return (result.received, result.stored, result.rejected), rejects


HEADER = ["report_id", "reported_at", "country", "phones", "urls"]


def test_a_header_row_pasted_inside_a_sheet_is_a_header(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = _book(
        tmp_path / "pasted.xlsx",
        [
            HEADER,
            ["R1", "2025-03-01", "TH", "0812345678", "https://a.example/x"],
            HEADER,
            ["R2", "2025-03-02", "TH", "0812345679", ""],
            ["urls", "country", "report_id", "reported_at", "handles"],
            ["https://b.example/y", "TH", "R3", "2025-03-03", "telegram:@boss"],
        ],
    )
    counts, rejects = _ingest(sqlite_store, path)
    assert counts == (5, 3, 2)
    assert stored_ids(sqlite_store) == ["R1", "R2", "R3"]
    assert str(rejects[3]["reason"]).startswith("the header repeated")
    assert str(rejects[5]["reason"]).startswith("a header of other columns")
    assert "report_id" not in rejects[3] and "report_id" not in rejects[5]


def test_a_standard_header_inside_a_mapped_sheet_rejects_the_rows_under_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\n'
        'phones = ["Số điện thoại 1", "Số điện thoại 2"]\n[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    path = _book(
        tmp_path / "vn.xlsx",
        [
            ["Mã hồ sơ", "Ngày", "Số điện thoại 1", "Số điện thoại 2"],
            ["V1", "2025-03-01", "0912345678", ""],
            ["report_id", "reported_at", "country", "phones"],
            ["T1", "2025-03-02", "TH", "0812345679"],
        ],
    )
    counts, rejects = _ingest(sqlite_store, path, load_mapping(mapping))
    assert counts == (3, 1, 2)
    assert stored_ids(sqlite_store) == ["V1"]
    assert "the mapping names column(s) the file does not have" in str(rejects[3]["reason"])
    assert rejects[4]["report_id"] == "T1"
    assert str(rejects[4]["reason"]).startswith("the header at line 3 changed the layout")

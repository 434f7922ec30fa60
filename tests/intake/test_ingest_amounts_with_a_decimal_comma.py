"""A partner whose layout writes amounts with a decimal comma (`decimal_separator = ","`, as
in Viet Nam, Indonesia or most of Europe) ingests its files through a column mapping: no
amount may be read as another (1.500 dong as 1.5, 1.234 dinar as 1,234)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store
from bigfish.store.schema import reports


def _mapping(tmp_path: Path, formats: str) -> Path:
    path = tmp_path / "vn.map.toml"
    path.write_text(
        '[columns]\nreport_id = "Mã"\nreported_at = "Ngày"\nloss_amount = "Số tiền"\n'
        f'[formats]\ndate = "%d/%m/%Y"\n{formats}'
        '[defaults]\ncountry = "VN"\nloss_currency = "KWD"\n',
        encoding="utf-8",
    )
    return path


def _amounts(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all()
    return {str(r.report_id): str(r.loss_amount) for r in rows}


def _rejects(data: Path) -> list[dict[str, object]]:
    path = data.with_name(data.name + ".rejects.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_point_is_not_read_as_the_decimal_comma_of_a_layout(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """With `decimal_separator = ","` and no thousands separator, "1.500" (fifteen hundred,
    its thousands marked with a point) was stored as 1.5: the point was read as a decimal
    point. It is rejected naming its line and field; "2,5" is still 2.5."""
    mapping = _mapping(tmp_path, 'decimal_separator = ","\n')
    data = tmp_path / "vn.csv"
    data.write_text(
        'Mã,Ngày,Số tiền\nV1,01/03/2025,1.500\nV2,01/03/2025,"2,5"\nV3,01/03/2025,1500\n',
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    assert _amounts(sqlite_store) == {"V2": "2.5", "V3": "1500"}
    [reject] = _rejects(data)
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "V1", "loss_amount")
    assert "'1.500'" in str(reject["reason"]) and "thousands_separator" in str(reject["reason"])


def test_a_workbook_number_is_read_as_the_number_it_is(sqlite_store: Store, tmp_path: Path) -> None:
    """A number cell of a workbook is a number, not text in the layout's format: under
    `thousands_separator = "."` the cell 1.234 (dinars, three decimals) was stored as 1234,
    and the cell 1234.5 was rejected as badly grouped thousands."""
    mapping = _mapping(tmp_path, 'thousands_separator = "."\ndecimal_separator = ","\n')
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã", "Ngày", "Số tiền"])
    sheet.append(["W1", "01/03/2025", 1.234])
    sheet.append(["W2", "01/03/2025", 1234.5])
    sheet.append(["W3", "01/03/2025", 1500])
    sheet.append(["W4", "01/03/2025", "1.234,5"])  # text: in the layout's format
    data = tmp_path / "vn.xlsx"
    book.save(data)
    result = ingest_file(sqlite_store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.received, result.stored, result.rejected) == (4, 4, 0), _rejects(data)
    assert _amounts(sqlite_store) == {"W1": "1.234", "W2": "1234.5", "W3": "1500", "W4": "1234.5"}


def test_a_json_number_is_read_as_the_number_it_is(sqlite_store: Store, tmp_path: Path) -> None:
    """A JSON number under a mapped key is a number: 1.234 was stored as 1234 under
    `thousands_separator = "."`, and 1234.5 rejected."""
    mapping = _mapping(tmp_path, 'thousands_separator = "."\ndecimal_separator = ","\n')
    data = tmp_path / "vn.jsonl"
    lines = [
        '{"Mã": "K1", "Ngày": "01/03/2025", "Số tiền": 1.234}',
        '{"Mã": "K2", "Ngày": "01/03/2025", "Số tiền": 1234.5}',
        '{"Mã": "K3", "Ngày": "01/03/2025", "Số tiền": "1.234,5"}',
    ]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(sqlite_store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.received, result.stored, result.rejected) == (3, 3, 0), _rejects(data)
    assert _amounts(sqlite_store) == {"K1": "1.234", "K2": "1234.5", "K3": "1234.5"}


def test_a_toml_number_default_is_the_amount_it_is(sqlite_store: Store, tmp_path: Path) -> None:
    """`loss_amount = 1.5` in [defaults] is a TOML number, 1.5 whatever separators the layout
    writes amounts with (the check of a decimal point refused it under a decimal comma)."""
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã"\n[formats]\ndecimal_separator = ","\n'
        '[defaults]\ncountry = "VN"\nloss_currency = "VND"\nloss_amount = 1.5\n',
        encoding="utf-8",
    )
    data = tmp_path / "vn.csv"
    data.write_text("Mã,reported_at\nD1,2025-03-01\n", encoding="utf-8")
    result = ingest_file(sqlite_store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)
    assert _amounts(sqlite_store) == {"D1": "1.5"}

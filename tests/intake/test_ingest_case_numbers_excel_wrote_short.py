"""A partner whose case numbers are long numbers saves its sheet as CSV: Excel writes such a
number in scientific notation (123456789012 as 1.23457E+11), its last digits lost. Two cases
then have one id, and the second overwrote the first as its "update"."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store
from bigfish.store.schema import reports


def _rejects(data: Path) -> list[dict[str, object]]:
    path = data.with_name(data.name + ".rejects.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _narratives(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.narrative)).all()
    return {str(r.report_id): str(r.narrative) for r in rows}


def test_a_report_id_in_scientific_notation_is_rejected(store: Store, tmp_path: Path) -> None:
    first = tmp_path / "monday.csv"
    first.write_text(
        "report_id,reported_at,country,narrative\n"
        "1.23457E+11,2025-03-01,TH,first case\n"
        "R2,2025-03-01,TH,kept\n",
        encoding="utf-8",
    )
    second = tmp_path / "tuesday.csv"
    second.write_text(
        "report_id,reported_at,country,narrative\n1.23457e+11,2025-03-02,TH,another case\n",
        encoding="utf-8",
    )
    one = ingest_file(store, first, org="th-aoc")
    two = ingest_file(store, second, org="th-aoc")
    assert (one.received, one.stored, one.rejected) == (2, 1, 1)
    assert (two.received, two.stored, two.updated, two.rejected) == (1, 0, 0, 1)
    assert _narratives(store) == {"R2": "kept"}
    [reject] = _rejects(first)
    assert (reject["line"], reject["field"]) == (2, "report_id")
    assert "scientific notation" in str(reject["reason"])


def test_a_mapped_id_column_in_scientific_notation_is_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\n'
        '[formats]\ndate = "%d/%m/%Y"\n[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    data = tmp_path / "vn.csv"
    # A Vietnamese Excel writes the decimal with a comma, and so quotes the cell.
    data.write_text('Mã hồ sơ,Ngày,Ghi chú\n"2,02346E+11",01/03/2025,x\n', encoding="utf-8")
    result = ingest_file(sqlite_store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.received, result.stored, result.rejected) == (1, 0, 1)
    [reject] = _rejects(data)
    assert (reject["line"], reject["field"]) == (2, "mã hồ sơ")
    assert "scientific notation" in str(reject["reason"])

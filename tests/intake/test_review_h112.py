"""Review h112: files joined into one (`cat a.csv b.csv`, each starting with the BOM Excel
writes) keep every report, its id as sent."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.mapping import ColumnMapping, load_mapping
from bigfish.intake.records import build_report
from bigfish.store import Store
from bigfish.store.schema import reports

from .conftest import stored_ids

BOM = b"\xef\xbb\xbf"
HEADER = b"report_id,reported_at,country,phones,notes\r\n"


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _ingest(
    store: Store, path: Path, data: bytes, mapping: ColumnMapping | None = None
) -> tuple[int, int, int]:
    """(received, stored, rejected) of DATA ingested as PATH."""
    path.write_bytes(data)
    result = ingest_file(store, path, org="a", mapping=mapping, workers=0, classify=False)
    assert result.received == result.stored + result.updated + result.rejected
    return result.received, result.stored, result.rejected


def test_two_csv_files_joined_each_with_a_bom_keep_every_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The second file's header was read as a report ('\\ufeffreport_id', rejected as "not a
    valid date 'reported_at'"): the partner could not tell what went wrong."""
    first = BOM + HEADER + b"R1,2025-03-01,TH,0812345678,x\r\nR2,2025-03-01,TH,0812345679,y\r\n"
    second = BOM + HEADER + b"R3,2025-03-02,TH,0812345670,z\r\n"
    path = tmp_path / "both.csv"
    assert _ingest(sqlite_store, path, first + second) == (4, 3, 1)
    assert stored_ids(sqlite_store) == ["R1", "R2", "R3"]
    [reject] = _rejects(path)
    assert reject["line"] == 4 and reject["file"] == str(path)
    assert "the header repeated: were two files joined?" in str(reject["reason"])
    assert reject.get("report_id") is None


def test_a_bom_starting_a_row_is_not_part_of_its_first_field(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A row of a joined file (the second file without its header, or its first field
    quoted) began with U+FEFF: the id was stored as '\\ufeffR2', another report than R2, and a
    quoted field kept its quotes and was cut at its comma."""
    path = tmp_path / "joined.csv"
    data = (
        BOM
        + HEADER
        + b"R1,2025-03-01,TH,0812345678,x\r\n"
        + BOM
        + b"R2,2025-03-01,TH,0812345679,y\r\n"
        + BOM
        + b'"R3, quoted",2025-03-01,TH,0812345670,z\r\n'
    )
    assert _ingest(sqlite_store, path, data) == (3, 3, 0)
    assert stored_ids(sqlite_store) == ["R1", "R2", "R3, quoted"]


def test_a_repeated_header_of_a_mapped_layout_is_rejected_as_the_header(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\n[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    header = BOM + "Mã hồ sơ,Ngày\r\n".encode()
    data = header + b"V1,2025-03-01\r\n" + header + b"V2,2025-03-01\r\n"
    path = tmp_path / "vn.csv"
    assert _ingest(sqlite_store, path, data, mapping=load_mapping(mapping)) == (3, 2, 1)
    [reject] = _rejects(path)
    assert reject["line"] == 3 and "header repeated" in str(reject["reason"])
    assert stored_ids(sqlite_store) == ["V1", "V2"]


def test_two_jsonl_files_joined_each_with_a_bom_keep_every_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A BOM was dropped on the first line only: the second file's first report was rejected
    as "not valid JSON: Unexpected UTF-8 BOM"."""
    line = '{{"report_id":"{}","reported_at":"2025-03-01","country":"TH"}}\n'
    data = BOM + line.format("J1").encode() + BOM + line.format("J2").encode()
    path = tmp_path / "both.jsonl"
    assert _ingest(sqlite_store, path, data) == (2, 2, 0)
    assert stored_ids(sqlite_store) == ["J1", "J2"]


def test_invisible_marks_around_a_field_are_not_part_of_it() -> None:
    """As around a header's name: a BOM or zero-width mark around an id made another report;
    around a country or a code it made the report a rejection for a code that looked right."""
    report = build_report(
        {
            "report_id": "\ufeffR1\u200b",
            "reported_at": "\u20602025-03-01 ",
            "country": "th\u200d",
            "scam_type": "\u200binvestment",
            "loss_amount": "12.50\u200c",
            "loss_currency": " \ufeffthb \u200b",
            "narrative": "\u200b lost money \ufeff",
        }
    )
    assert (report.report_id, report.country, report.loss_currency) == ("R1", "TH", "THB")
    assert str(report.loss_amount) == "12.50" and report.narrative == "lost money"
    assert report.scam_type is not None and report.scam_type.value == "investment"


def test_an_id_sent_again_with_a_bom_updates_the_same_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "again.csv"
    _ingest(sqlite_store, path, HEADER + b"R1,2025-03-01,TH,0812345678,x\r\n")
    path2 = tmp_path / "again2.csv"
    data = BOM + BOM + HEADER + b"\xe2\x80\x8bR1,2025-03-01,TH,,y\r\n"  # a zero-width space
    assert _ingest(sqlite_store, path2, data) == (1, 0, 0)  # updated
    assert stored_ids(sqlite_store) == ["R1"]
    with sqlite_store.connect() as conn:
        notes = conn.execute(sa.select(reports.c.attributes)).scalar_one()
    assert "y" in json.dumps(notes)

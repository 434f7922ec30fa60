"""Review h122: a header line inside a CSV file with other names than the file's first header
(`cat a.csv b.csv` of two layouts) is taken for a header: the rows after it are read under its
columns when its layout can be read, and rejected naming it when not. It was read as a report
under the first header's names (its names stored as values), and the rows after it too."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.mapping import ColumnMapping, load_mapping
from bigfish.intake.readers import Row, Unreadable, read_csv
from bigfish.store import Store
from bigfish.store.schema import reports

from .conftest import stored_ids

FIRST = b"report_id,reported_at,country,phones,urls\r\n"
FIRST += b"R1,2025-03-01,TH,0812345678,https://a.example/x\r\n"


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


def _records(path: Path, data: bytes) -> list[Row | Unreadable]:
    path.write_bytes(data)
    with path.open("rb") as raw:
        return list(read_csv(raw, path))


def _countries(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.country)).all()
    return {str(report_id): str(country) for report_id, country in rows}


def test_a_header_with_one_column_renamed_reads_the_rows_after_it_under_its_names(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The second file's header (urls renamed handles) was a report 'report_id', rejected as
    a bad date, and its handle was read as a link."""
    second = b"report_id,reported_at,country,phones,handles\r\n"
    second += b"R2,2025-03-02,TH,0812345679,telegram:@ring_boss\r\n"
    path = tmp_path / "joined.csv"
    records = _records(path, FIRST + second)
    assert [r.line for r in records] == [2, 3, 4]
    header = records[1]
    assert isinstance(header, Unreadable) and header.report_id is None
    assert header.reason.startswith("a header of other columns: were two files joined?")
    assert isinstance(records[2], Row)
    assert records[2].fields["handles"] == "telegram:@ring_boss"
    assert "urls" not in records[2].fields
    assert _ingest(sqlite_store, path, FIRST + second) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["R1", "R2"]


def test_a_header_of_other_columns_and_another_count_reads_the_rows_after_it(
    tmp_path: Path,
) -> None:
    """Another order, one column fewer and one the first header lacks: the header line and
    every row after it were rejected as '4 fields where the header has 5'."""
    second = b"\xef\xbb\xbfcountry,Report_ID,emails,reported_at\r\n"
    second += b"VN,V2,scam@fraud.example,2025-03-02\r\nVN,V3,,2025-03-03\r\n"
    records = _records(tmp_path / "joined.csv", FIRST + second)
    assert [type(r).__name__ for r in records] == ["Row", "Unreadable", "Row", "Row"]
    assert records[2].fields == {  # type: ignore[union-attr]
        "country": "VN",
        "report_id": "V2",
        "emails": "scam@fraud.example",
        "reported_at": "2025-03-02",
    }


def test_a_header_whose_layout_cannot_be_read_rejects_the_rows_under_it_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A second file without a country column, nor a default: its rows name the header."""
    second = b"report_id,reported_at,phones\r\nR2,2025-03-02,0812345679\r\n"
    second += b"R3,2025-03-02,0812345670\r\n"
    path = tmp_path / "joined.csv"
    assert _ingest(sqlite_store, path, FIRST + second) == (4, 1, 3)
    assert stored_ids(sqlite_store) == ["R1"]
    header, *rows = _rejects(path)
    assert header["line"] == 3 and "report_id" not in header
    assert "a header of other columns that bigfish cannot read" in str(header["reason"])
    assert "country" in str(header["reason"])
    assert [(r["line"], r["report_id"]) for r in rows] == [(4, "R2"), (5, "R3")]
    for reject in rows:
        assert str(reject["reason"]).startswith(
            "the header at line 3 changed the layout to one bigfish cannot read"
        )


def test_a_data_row_of_column_names_is_not_taken_for_a_header(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A report whose values are column names (a narrative 'phones') is a report: it has an
    id and a date. A row of one name alone is no header either."""
    data = b"report_id,reported_at,country,narrative,urls\r\n"
    data += b"R1,2025-03-01,TH,phones,urls\r\nphones,2025-03-01,TH,narrative,\r\n"
    data += b"R3,2025-03-01,TH,,\r\n"
    path = tmp_path / "names.csv"
    records = _records(path, data)
    assert all(isinstance(r, Row) for r in records)
    assert _ingest(sqlite_store, path, data) == (3, 3, 0)
    assert stored_ids(sqlite_store) == ["R1", "R3", "phones"]


VN_MAPPING = """
[columns]
report_id = "Mã hồ sơ"
reported_at = "Ngày"
phones = ["Số điện thoại 1", "Số điện thoại 2"]
[defaults]
country = "VN"
"""


def _vn_mapping(tmp_path: Path) -> ColumnMapping:
    path = tmp_path / "vn.map.toml"
    path.write_text(VN_MAPPING, encoding="utf-8")
    return load_mapping(path)


VN_FIRST = "Mã hồ sơ,Ngày,Số điện thoại 1,Số điện thoại 2,Ghi chú\r\n"
VN_FIRST += "V1,2025-03-01,0912345678,,x\r\n"


def test_a_mapped_layouts_header_of_other_columns_reads_the_rows_after_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The mapped names in another order, without the unmapped column: the header and every
    row after it were rejected as '4 fields where the header has 5'."""
    second = "Ngày,Số điện thoại 2,Mã hồ sơ,số điện thoại 1\r\n2025-03-02,0987654321,V2,\r\n"
    path = tmp_path / "vn.csv"
    mapping = _vn_mapping(tmp_path)
    assert _ingest(sqlite_store, path, (VN_FIRST + second).encode(), mapping) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["V1", "V2"]
    [header] = _rejects(path)
    assert header["line"] == 3
    assert str(header["reason"]).startswith("a header of other columns: were two files joined?")


def test_a_standard_header_inside_a_mapped_file_rejects_its_rows_instead_of_mislabelling(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A Thai file of the standard columns joined to a mapped Vietnamese one: its header was
    rejected as a report 'report_id' (a bad date), and its rows were stored under the mapped
    names: the Thai report as Vietnamese (the mapping's default), its country code 'TH' as a
    phone number. Now they are rejected naming the header; a header of the mapped layout after
    them is read again."""
    second = "report_id,reported_at,country,phones,urls\r\n"
    second += "T1,2025-03-02,TH,0812345679,\r\n"
    third = VN_FIRST.replace("V1", "V3")
    path = tmp_path / "vn.csv"
    mapping = _vn_mapping(tmp_path)
    data = (VN_FIRST + second + third).encode()
    assert _ingest(sqlite_store, path, data, mapping) == (5, 2, 3)
    assert _countries(sqlite_store) == {"V1": "VN", "V3": "VN"}
    rejects = {r["line"]: r for r in _rejects(path)}
    assert sorted(rejects) == [3, 4, 5]
    assert "the mapping names column(s) the file does not have" in str(rejects[3]["reason"])
    assert rejects[4]["report_id"] == "T1"
    assert str(rejects[4]["reason"]).startswith("the header at line 3 changed the layout")
    assert str(rejects[5]["reason"]).startswith("a header of other columns: were two files")


def test_a_header_with_one_name_the_layout_does_not_know_is_a_header_when_no_report_can_be(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Another order and one column renamed to a name of its own (notes -> remarks): the
    header was read as a report and rejected as a bad date, and the rows after it under the
    first header's columns (the link as the id, the id as a date). A report of this layout has
    a date and a country code, two values no column name is: a line of names but one is a
    header."""
    first = b"report_id,reported_at,country,phones,urls,notes\r\n"
    first += b"R1,2025-03-01,TH,0812345678,https://a.example/x,first\r\n"
    second = b"urls,report_id,Remarks,phones,country,reported_at\r\n"
    second += b"https://b.example/y,R2,second,0812345679,TH,2025-03-02\r\n"
    path = tmp_path / "joined.csv"
    records = _records(path, first + second)
    assert isinstance(records[1], Unreadable)
    assert records[1].reason.startswith("a header of other columns")
    assert isinstance(records[2], Row)
    assert records[2].fields["urls"] == "https://b.example/y"
    assert records[2].fields["Remarks"] == "second"  # an attribute, as written
    assert _ingest(sqlite_store, path, first + second) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["R1", "R2"]


def test_a_row_of_names_but_its_id_is_a_report_when_the_mapping_gives_date_and_country(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """With a default date and country a report may be its id alone: a row whose other cells
    are column names is then a report, not a header of one unknown name."""
    mapping = tmp_path / "m.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nphones = ["Số điện thoại 1", "Số điện thoại 2"]\n'
        'narrative = "Mô tả"\n[defaults]\ncountry = "VN"\nreported_at = "2025-03-01"\n',
        encoding="utf-8",
    )
    data = "Mã hồ sơ,Số điện thoại 1,Số điện thoại 2,Mô tả\r\nV1,0912345678,,a\r\n"
    data += "V2,Mô tả,Số điện thoại 1,narrative\r\n"
    path = tmp_path / "vn.csv"
    assert _ingest(sqlite_store, path, data.encode(), load_mapping(mapping)) == (2, 2, 0)
    assert stored_ids(sqlite_store) == ["V1", "V2"]


def test_a_row_missing_its_date_with_cells_of_names_is_no_header(tmp_path: Path) -> None:
    """A row that is no report (no date, no country) whose other cells are names but one is
    rejected as a row; the rows after it are read under the file's header."""
    data = b"report_id,reported_at,country,narrative,urls,notes\r\n"
    data += b"R7,,,phones,urls,notes\r\nR8,2025-03-01,TH,x,https://a.example/,n\r\n"
    records = _records(tmp_path / "names.csv", data)
    assert [type(r).__name__ for r in records] == ["Row", "Row"]
    assert records[1].fields["urls"] == "https://a.example/"  # type: ignore[union-attr]

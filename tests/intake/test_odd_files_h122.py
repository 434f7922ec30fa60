"""Review h122: files a partner's analyst really sends, saved by Excel or a script in a way
the format does not take, are refused saying what the file is and what to do, not refused
for a column they have (a semicolon CSV was 'the header has no report_id ... column') nor
read as one rejection per line (a pretty-printed JSON document)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.readers import Row, Unreadable, read_csv, read_jsonl
from bigfish.store import Store

from .conftest import stored_ids

HEADER = "report_id,reported_at,country,narrative,phones\r\n"
ROW = "R1,2025-03-01,TH,hi,0812345678\r\n"


def _refusal(store: Store, path: Path, data: bytes) -> InputError:
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        ingest_file(store, path, org="a", workers=0, classify=False)
    assert str(path) in str(caught.value)
    assert stored_ids(store) == []
    return caught.value


@pytest.mark.parametrize(
    ("separator", "said"),
    [(";", "separated by ';'"), ("\t", "separated by tabs"), ("|", "separated by '|'")],
)
def test_a_csv_of_another_separator_is_refused_naming_it(
    sqlite_store: Store, tmp_path: Path, separator: str, said: str
) -> None:
    """A European Excel saves 'CSV' with ';' (a comma writes its decimals): it was refused as
    'the header has no report_id, reported_at, country column', which it has."""
    data = "\ufeff" + (HEADER + ROW).replace(",", separator)
    error = _refusal(sqlite_store, tmp_path / "eu.csv", data.encode())
    assert said in error.message and "no report_id" not in error.message
    assert error.line == 1


def test_excels_sep_line_for_commas_is_skipped(sqlite_store: Store, tmp_path: Path) -> None:
    """Excel writes 'sep=,' before the header of a file it is told to open with commas."""
    path = tmp_path / "sep.csv"
    path.write_bytes(("sep=,\r\n" + HEADER + ROW).encode())
    with path.open("rb") as raw:
        records = list(read_csv(raw, path))
    assert [(type(r), r.line) for r in records] == [(Row, 3)]
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)


def test_excels_sep_line_for_another_separator_is_refused_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    data = ("sep=;\r\n" + (HEADER + ROW).replace(",", ";")).encode()
    error = _refusal(sqlite_store, tmp_path / "sep.csv", data)
    assert "separated by ';'" in error.message


def test_a_workbook_named_csv_is_refused_as_a_workbook(sqlite_store: Store, tmp_path: Path) -> None:
    """It was 'the header contains a NUL character (a binary file, or one cut off?)'."""
    book = Workbook()
    book.active.append(["report_id", "reported_at", "country"])
    book.active.append(["X1", "2025-03-01", "TH"])
    raw = io.BytesIO()
    book.save(raw)
    for name in ("book.csv", "book.jsonl"):
        error = _refusal(sqlite_store, tmp_path / name, raw.getvalue())
        assert "zip" in error.message and ".xlsx" in error.message


REPORTS = [
    {"report_id": "J1", "reported_at": "2025-03-01", "country": "TH"},
    {"report_id": "J2", "reported_at": "2025-03-01", "country": "TH"},
]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (json.dumps(REPORTS, indent=2), "one JSON document"),
        (json.dumps(REPORTS), "one JSON document"),
        ("\ufeff" + json.dumps(REPORTS[0], indent=2), "spread over lines"),
    ],
    ids=["pretty-array", "one-line-array", "pretty-object"],
)
def test_a_json_document_named_jsonl_is_refused_not_rejected_line_by_line(
    sqlite_store: Store, tmp_path: Path, text: str, said: str
) -> None:
    """A pretty-printed array of 2 reports was 12 records received and 12 rejected ('not
    valid JSON: Expecting value ...'); a one-line array 1 rejected ('a report must be a JSON
    object'): the partner could not tell what to do."""
    error = _refusal(sqlite_store, tmp_path / "reports.jsonl", text.encode())
    assert said in error.message and "one report object per line" in error.message
    assert error.line == 1


def test_a_jsonl_file_is_read_as_before(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "reports.jsonl"
    path.write_text("\n" + "".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)


def test_rows_under_a_header_ending_with_a_stray_comma_say_so(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_bytes((HEADER.replace("\r\n", ",\r\n") + ROW).encode())
    with path.open("rb") as raw:
        [record] = list(read_csv(raw, path))
    assert isinstance(record, Unreadable)
    assert record.reason.startswith("5 fields where the header has 6")
    assert "the header's last column has no name" in record.reason


def test_a_json_file_of_reports_is_refused_saying_where_reports_go(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """It was 'cannot tell the format from the file name; pass --format ...'."""
    error = _refusal(sqlite_store, tmp_path / "reports.json", json.dumps(REPORTS).encode())
    assert "neither a STIX bundle nor a MISP event" in error.message
    assert ".jsonl" in error.message


def test_a_space_before_a_quoted_field_is_named_in_the_reason(tmp_path: Path) -> None:
    """'R5, 2025-03-01, TH, "quoted, narrative"' (spaces after the commas, as typed) was
    rejected as '5 fields where the header has 4', not saying why."""
    path = tmp_path / "spaced.csv"
    path.write_bytes(b'report_id,reported_at,country,narrative\r\nR5, 2025-03-01, TH, "a, b"\r\n')
    with path.open("rb") as raw:
        [record] = list(read_csv(raw, path))
    assert isinstance(record, Unreadable)
    assert record.reason.startswith("5 fields where the header has 4")
    assert "a quoted field must begin with its quote" in record.reason


def test_a_mapped_json_line_with_a_key_twice_echoes_its_mapped_id(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\n[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    path = tmp_path / "vn.jsonl"
    path.write_text('{"Mã hồ sơ": "HS-1", "Ngày": "2025-03-01", "Ngày": "2025-03-02"}\n')
    result = ingest_file(
        sqlite_store, path, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.rejected) == (1, 1)
    reject = json.loads(path.with_name(path.name + ".rejects.jsonl").read_text("utf-8"))
    assert reject["report_id"] == "HS-1" and reject["field"] == "Ngày"


def test_empty_fields_right_of_the_header_are_read_as_a_sheets_empty_cells(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A row ending with empty fields past the header's columns (a spreadsheet that saved a
    cleared column) loses nothing: it is read, as the Excel reader reads empty cells right of
    the header. It was rejected as '6 fields where the header has 5'."""
    path = tmp_path / "wide.csv"
    data = HEADER + ROW.replace("\r\n", ",\r\n") + "R2,2025-03-01,TH,x,0812345679,,  ,\r\n"
    path.write_bytes(data.encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)


def test_a_value_past_the_header_says_a_comma_needs_quotes(tmp_path: Path) -> None:
    path = tmp_path / "comma.csv"
    path.write_bytes((HEADER + "R1,2025-03-01,TH,hi, there,0812345678\r\n").encode())
    with path.open("rb") as raw:
        [record] = list(read_csv(raw, path))
    assert isinstance(record, Unreadable)
    assert record.reason.startswith("6 fields where the header has 5")
    assert 'a value with a comma in it must be quoted ("hi, there")' in record.reason


def test_a_json_line_ending_with_a_comma_says_so(tmp_path: Path) -> None:
    """A script's array written a report a line, commas kept: 'Extra data' alone."""
    path = tmp_path / "commas.jsonl"
    path.write_text("".join(json.dumps(r) + ",\n" for r in REPORTS), encoding="utf-8")
    with path.open("rb") as raw:
        records = list(read_jsonl(raw, path))
    assert [r.line for r in records] == [1, 2]
    for record in records:
        assert isinstance(record, Unreadable)
        assert record.reason.endswith("a comma or bracket after the report: JSON Lines has none")

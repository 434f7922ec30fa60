"""Hostile input found by a fresh-eyes review of intake: each record is stored or rejected with
its file, line and field, and the ingest itself never fails on one record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store

from .conftest import stored_ids


def rejects_of(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _report(report_id: str, extra: str = "") -> str:
    return f'{{"report_id":"{report_id}","reported_at":"2025-03-01","country":"TH"{extra}}}\n'


def test_a_json_number_of_5000_digits_rejects_its_line_not_the_file(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Python refuses to read an integer of more than 4,300 digits (ValueError, not a
    JSONDecodeError): the ingest failed with a traceback and stored nothing."""
    path = tmp_path / "big.jsonl"
    path.write_text(
        _report("r1", ',"loss_amount":' + "9" * 5000 + ',"loss_currency":"USD"')
        + _report("r2", ',"case_no":' + "7" * 5000)
        + _report("r3"),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    [reject] = rejects_of(path)
    assert (reject["line"], reject["report_id"], reject["field"]) == (1, "r1", "loss_amount")
    assert stored_ids(sqlite_store) == ["r2", "r3"]  # the long number kept as r2's attribute


def test_a_lone_surrogate_in_a_report_id_or_a_key_is_rejected_not_a_crash(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A JSON escape of a lone surrogate is valid JSON; the record is rejected for it, but the
    reject itself (its report_id, or the key named as its field) could not be written as UTF-8:
    UnicodeEncodeError failed the whole ingest."""
    path = tmp_path / "surrogates.jsonl"
    path.write_text(
        '{"report_id":"\\udc80","reported_at":"2025-03-01","country":"TH"}\n'
        + _report("r2", ',"\\ud800":"x"')
        + '{"report_id":"\\ud801","report_id":"r3","reported_at":"2025-03-01"}\n'
        + _report("r4"),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (4, 1, 3)
    rejects = rejects_of(path)
    assert [(r["line"], r.get("report_id"), r["field"]) for r in rejects] == [
        (1, "\udc80", "report_id"),
        (2, "r2", "\ud800"),
        (3, None, "report_id"),
    ]
    assert stored_ids(sqlite_store) == ["r4"]


def test_a_column_named_as_a_field_the_mapping_takes_elsewhere_is_refused(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The mapping takes country from "Quốc gia" and phones from "SĐT"; the file also has
    columns named country and phones. Where the mapped cell was filled, the other column's
    value was silently dropped (r1 kept VN, lost TH and 0812345678); where it was empty, the
    other column stood in for it (r2 became a TH report), row by row."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã"\nreported_at = "Ngày"\ncountry = "Quốc gia"\n'
        'phones = ["SĐT"]\n',
        encoding="utf-8",
    )
    data = tmp_path / "both.csv"
    data.write_text(
        "Mã,Ngày,Quốc gia,country,SĐT,phones\n"
        "r1,2025-03-01,VN,TH,0912345678,0812345678\n"
        "r2,2025-03-01,,TH,,0812345678\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0)
    assert caught.value.file == str(data) and caught.value.field == "country"
    assert "quốc gia" in caught.value.message and "phones" in caught.value.message
    assert stored_ids(sqlite_store) == []


def test_a_workbook_whose_data_is_on_its_second_sheet_is_read(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An empty first sheet (Excel's "Sheet1" left in place) was taken for the data: the
    workbook was refused as having "data on more than one sheet (June after Sheet)"."""
    from openpyxl import Workbook

    book = Workbook()
    june = book.create_sheet("June")
    june.append(["report_id", "reported_at", "country", "phones"])
    june.append(["x1", "2025-03-01", "TH", "0812345678"])
    june.append(["x2", "2025-03-01", "ZZ", ""])
    path = tmp_path / "june.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    assert [(r["line"], r["field"]) for r in rejects_of(path)] == [(3, "country")]
    assert stored_ids(sqlite_store) == ["x1"]


def test_json_lines_ended_by_a_lone_cr_are_read_line_by_line(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A file whose lines end in CR alone (as an old Mac editor saves it; the CSV reader reads
    such lines) was one line to the JSON Lines reader: four reports were received as one,
    rejected as "Extra data ... (the file may be truncated)"."""
    path = tmp_path / "mac.jsonl"
    path.write_text(
        _report("r1").replace("\n", "\r")
        + _report("r2", ',"loss_amount":"x","loss_currency":"USD"').replace("\n", "\r")
        + "{bad\r\n"
        + _report("r4").replace("\n", "\r"),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (4, 2, 2)
    assert [(r["line"], r.get("report_id")) for r in rejects_of(path)] == [(2, "r2"), (3, None)]
    assert stored_ids(sqlite_store) == ["r1", "r4"]


@pytest.mark.parametrize(
    ("defaults", "key"),
    [
        ('country = "XX"', "defaults.country"),
        ('loss_currency = "EURO"', "defaults.loss_currency"),
        ('scam_type = "crypto"', "defaults.scam_type"),
        ('reported_at = "yesterday"', "defaults.reported_at"),
        ('reported_at = "2090-01-01"', "defaults.reported_at"),
        ('loss_amount = "1.234,5"', "defaults.loss_amount"),
        ('report_id = "case"', "defaults.report_id"),
    ],
)
def test_a_default_no_report_could_have_refuses_the_mapping(
    tmp_path: Path, defaults: str, key: str
) -> None:
    """A default is every row's value where its cell is empty; one no report may have (an
    unknown country, a date in 2090) was accepted, and every such row rejected for it, the
    mapping never named. A default report_id made every row one report (all but the first
    rejected as duplicates)."""
    path = tmp_path / "m.toml"
    path.write_text(f'[columns]\nreport_id = "id"\n[defaults]\n{defaults}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path) and caught.value.field == key


def test_a_toml_date_default_is_read_in_the_mapping_s_date_format(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`reported_at = 2025-03-01` (a TOML date, which [defaults] takes) became the text
    "2025-03-01", which `date = "%d/%m/%Y"` then refused on every row that used it."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "id"\nreported_at = "ngay"\n[formats]\ndate = "%d/%m/%Y"\n'
        '[defaults]\ncountry = "VN"\nreported_at = 2025-03-01\n',
        encoding="utf-8",
    )
    data = tmp_path / "dates.csv"
    data.write_text("id,ngay\nv1,05/01/2025\nv2,\n", encoding="utf-8")
    result = ingest_file(
        sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('[values.scam_type]\n"Đầu tư" = "invest"\n', "values.scam_type.Đầu tư"),
        ('[values.channel]\n"Zalo" = "zalo"\n', "values.channel.Zalo"),
        ('[values.country]\n"Việt Nam" = "VNM"\n', "values.country.Việt Nam"),
        ('[values.loss_currency]\n"đồng" = "VDN"\n', "values.loss_currency.đồng"),
    ],
)
def test_a_translation_to_a_value_no_report_could_have_refuses_the_mapping(
    tmp_path: Path, table: str, key: str
) -> None:
    """`[values.scam_type] "Đầu tư" = "invest"` (a typo of investment) was accepted, and every
    row with that label rejected for it, the mapping never named."""
    path = tmp_path / "m.toml"
    path.write_text('[columns]\nreport_id = "id"\n' + table, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path) and caught.value.field == key


@pytest.mark.parametrize("layout", ["%d/%m", "%H:%M", "%m/%Y"])
def test_a_date_format_that_does_not_give_the_day_refuses_the_mapping(
    tmp_path: Path, layout: str
) -> None:
    """`date = "%d/%m"` reads back what it writes, so it was accepted: every date then read as
    of the year 1900 and every row was rejected as "not a plausible time of a report"."""
    path = tmp_path / "m.toml"
    path.write_text(
        f'[columns]\nreport_id = "id"\n[formats]\ndate = "{layout}"\n', encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path) and caught.value.field == "formats.date"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"path": "../outside.csv"}, "organizations[0].files[0].path"),
        ({"path": "sub/../../outside.csv"}, "organizations[0].files[0].path"),
        ({"path": "/tmp/outside.csv"}, "organizations[0].files[0].path"),
        ({"path": "in.csv", "map": "../outside.map.toml"}, "organizations[0].files[0].map"),
    ],
)
def test_a_manifest_path_outside_its_folder_is_refused(
    tmp_path: Path, entry: dict[str, str], field: str
) -> None:
    """Paths are relative to the manifest's folder (its docstring), but `../x.csv` or an
    absolute path were followed out of it: a manifest that came with a partner's files read
    other files of the machine, and wrote (after deleting any) X.rejects.jsonl beside them."""
    from bigfish.intake import load_manifest

    path = tmp_path / "data" / "partnership.json"
    path.parent.mkdir()
    document = {"organizations": [{"name": "a", "files": [entry]}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_manifest(path)
    assert caught.value.file == str(path) and caught.value.field == field
    inside = {"path": "sub/in.csv", "map": "./in.map.toml"}
    path.write_text(json.dumps({"organizations": [{"name": "a", "files": [inside]}]}), "utf-8")
    [loaded] = load_manifest(path)
    assert (loaded.path, loaded.mapping) == (
        path.parent / "sub/in.csv",
        path.parent / "in.map.toml",
    )


def test_identifiers_null_is_a_report_without_identifiers(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Every other field given as null is taken as absent, but `"identifiers": null` (what a
    Go or Java serializer writes for an empty list) rejected the report: "identifiers must be
    a list". A report may have none (spec/reports.md)."""
    path = tmp_path / "nulls.jsonl"
    path.write_text(
        _report("r1", ',"identifiers":null,"narrative":null')
        + _report("r2", ',"identifiers":{}')
        + _report("r3", ',"identifiers":""'),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert [(r["line"], r["field"]) for r in rejects_of(path)] == [
        (2, "identifiers"),
        (3, "identifiers"),
    ]
    assert stored_ids(sqlite_store) == ["r1"]


def test_a_file_whose_name_is_not_utf8_is_stored_under_its_escaped_name(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A file named in Latin-1 ("café.csv" from a Windows share) has a name Python holds with
    surrogates: storing it as the run's source and the reports' source_file raised
    UnicodeEncodeError, a traceback, after the run was opened."""
    import os

    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.csv"))
    path.write_bytes(b"report_id,reported_at,country\nr1,2025-03-01,TH\nr2,2025-03-01,ZZ\n")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    assert result.file == str(tmp_path) + "/caf\\xe9.csv"
    [reject] = rejects_of(path)
    assert (reject["file"], reject["line"], reject["field"]) == (result.file, 3, "country")
    assert stored_ids(sqlite_store) == ["r1"]


def test_a_mapping_matches_headers_and_labels_typed_decomposed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Vietnamese keyboards type "Unicode tổ hợp" (decomposed, NFD) as readily as precomposed
    text: a header "Mã hồ sơ" so typed did not match the mapping's, and the file was refused
    with "the mapping names column(s) the file does not have: mã hồ sơ, … (its header: mã hồ
    sơ, …)", the same names on both sides; a label "Đầu tư" so typed was not translated, its
    row rejected as an unknown scam_type."""
    import unicodedata

    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\nscam_type = "Loại"\n'
        '[defaults]\ncountry = "VN"\n[values.scam_type]\n"Đầu tư" = "investment"\n',
        encoding="utf-8",
    )
    header = unicodedata.normalize("NFD", "Mã hồ sơ,Ngày,Loại\n")
    label = unicodedata.normalize("NFD", "Đầu tư")
    data = tmp_path / "vn.csv"
    data.write_text(f"{header}v1,2025-03-01,{label}\nv2,2025-03-01,Đầu tư\n", encoding="utf-8")
    result = ingest_file(
        sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)


def test_a_file_whose_rejects_cannot_be_written_is_refused_before_anything_is_stored(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """FILE.rejects.jsonl was opened at the first rejection: where it cannot be written (a
    read-only folder, or here a name at the file system's limit that the suffix takes past
    it) the ingest failed there with an OSError traceback, the records read so far neither
    stored nor rejected."""
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / ("a" * 245 + ".csv")
    path.write_bytes(b"report_id,reported_at,country\nr1,2025-03-01,TH\nr2,2025-03-01,ZZ\n")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert caught.value.file == str(path) and ".rejects.jsonl" in caught.value.message
    assert stored_ids(sqlite_store) == []
    clean = folder / "clean.csv"
    clean.write_bytes(b"report_id,reported_at,country\nr1,2025-03-01,TH\n")
    result = ingest_file(sqlite_store, clean, org="a", workers=0, classify=False)
    assert (result.stored, result.rejects_path) == (1, None)
    assert sorted(p.name for p in folder.iterdir()) == [path.name, "clean.csv"]


def test_a_nul_in_the_header_is_named_as_one_not_as_latin_1(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A header holding a NUL (a binary file, or one cut off) was refused as "not valid UTF-8
    (is the file Latin-1?)", which sent the partner to re-save a file that was UTF-8."""
    path = tmp_path / "nul.csv"
    path.write_bytes(b"report_id,reported_at,country\x00\nr1,2025-03-01,TH\n")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (caught.value.file, caught.value.line) == (str(path), 1)
    assert "NUL" in caught.value.message and "Latin-1" not in caught.value.message


def test_a_mapping_matches_json_keys_as_it_matches_headers(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A mapping matches a file's headers whatever their case (readers lower-case them), but
    JSON Lines keys kept theirs: `report_id = "CaseNo"` found no "caseno" in {"CaseNo": "c1"},
    and every record was rejected as having no report_id, the CaseNo kept as an attribute."""
    import sqlalchemy as sa

    from bigfish.store.schema import reports

    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "CaseNo"\nreported_at = "Date"\nphones = ["Phone 1"]\n'
        '[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    data = tmp_path / "cases.jsonl"
    data.write_text(
        '{"CaseNo": "c1", "Date": "2025-03-01", "Phone 1": "0912345678", "Note": "x"}\n'
        '{"caseno": "c2", "date": "2025-03-01"}\n',
        encoding="utf-8",
    )
    result = ingest_file(
        sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)
    with sqlite_store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.attributes)).all()
    assert sorted(rows, key=lambda r: r[0]) == [("c1", {"Note": "x"}), ("c2", None)]


def test_a_json_key_named_as_a_field_the_mapping_takes_elsewhere_rejects_its_record(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """As for a CSV column (refused with the header), a JSON record giving country while the
    mapping takes country from "Quốc gia" lost one of the two: VN kept and TH dropped where
    both were given, TH taken where the mapped key was empty."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã"\nreported_at = "Ngày"\ncountry = "Quốc gia"\n',
        encoding="utf-8",
    )
    data = tmp_path / "both.jsonl"
    data.write_text(
        '{"Mã": "v1", "Ngày": "2025-03-01", "Quốc gia": "VN", "country": "TH"}\n'
        '{"Mã": "v2", "Ngày": "2025-03-01", "country": "TH"}\n'
        '{"Mã": "v3", "Ngày": "2025-03-01", "Quốc gia": "VN", "country": ""}\n',
        encoding="utf-8",
    )
    result = ingest_file(
        sqlite_store, data, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert [(r["line"], r["report_id"], r["field"]) for r in rejects_of(data)] == [
        (1, "v1", "country"),
        (2, "v2", "country"),
    ]
    assert stored_ids(sqlite_store) == ["v3"]


def test_lines_inside_a_too_long_quoted_field_are_skipped_with_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A record past MAX_RECORD characters was skipped to the end of its line only: the later
    lines of its quoted narrative were read as records of their own, so a line of the
    victim's text ("fake,2025-03-01,TH,…") was stored as a report, the field's last line
    rejected as another, and the line numbers after them were the reader's, not the file's."""
    from bigfish.intake.records import MAX_RECORD

    path = tmp_path / "long.csv"
    narrative = "x" * (MAX_RECORD + 10) + '\nfake,2025-03-01,TH,a ""quoted"" word\nend of it'
    path.write_text(
        "report_id,reported_at,country,narrative\n"
        f'r1,2025-03-01,TH,"{narrative}"\n'
        "r2,2025-03-01,ZZ,bad country\n"
        "r3,2025-03-01,TH,ok\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert [(r["line"], r["report_id"], r["field"]) for r in rejects_of(path)] == [
        (2, "r1", "narrative"),
        (5, "r2", "country"),
    ]
    assert stored_ids(sqlite_store) == ["r3"]


def test_a_header_name_with_an_invisible_mark_at_its_end_is_still_the_name(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A second byte-order mark (a UTF-8 file saved again with one) or a zero-width space
    copied with a header stayed in the column's name: the file was refused as having "no
    report_id column, which is required (its header: \\ufeffreport_id, …)", the name shown
    looking exactly like the one asked for."""
    path = tmp_path / "twice.csv"
    path.write_bytes("\ufeff\ufeffreport_id,reported_at\u200b,country\nr1,2025-03-01,TH\n".encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored) == (1, 1)


def test_a_json_field_without_a_name_rejects_its_report_not_lost(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`{"": "victim's note"}` was read, then left out of the attributes (a report keeps extra
    fields by name) without a word; `{"  ": …}` was kept under a blank name that a STIX
    import of the report refuses. A CSV column without a name is kept as column_N; a JSON
    object has no column number to give it, so the report is rejected, naming the field."""
    path = tmp_path / "blank.jsonl"
    path.write_text(
        _report("r1", ',"":"victim\'s note"')
        + _report("r2", ',"  ":"x"')
        + _report("r3", ',"":"","note":"kept"'),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert [(r["line"], r["report_id"], r["field"]) for r in rejects_of(path)] == [
        (1, "r1", ""),
        (2, "r2", "  "),
    ]
    assert stored_ids(sqlite_store) == ["r3"]


def test_a_mapping_or_manifest_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad saved UTF-8 with a byte-order mark until 2019 (and still offers it):
    such a mapping was refused as "not valid TOML: Invalid statement (at line 1, column 1)",
    such a manifest as "not a JSON manifest (Unexpected UTF-8 BOM …)"; data files may have
    one (spec/reports.md)."""
    from bigfish.intake import load_manifest

    mapping = tmp_path / "vn.map.toml"
    mapping.write_bytes('\ufeff[columns]\nreport_id = "Mã"\n'.encode())
    assert load_mapping(mapping).columns == {"report_id": ("mã",)}
    manifest = tmp_path / "partnership.json"
    document = {"organizations": [{"name": "a", "files": [{"path": "a.csv"}]}]}
    manifest.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    assert [e.path for e in load_manifest(manifest)] == [tmp_path / "a.csv"]


def test_nan_or_infinity_is_named_as_written(sqlite_store: Store, tmp_path: Path) -> None:
    """Python's JSON reads NaN and Infinity (not JSON, but written by some serializers) as
    floats: the reason was "expected text or a number, got float", a word the partner never
    wrote."""
    path = tmp_path / "nan.jsonl"
    path.write_text(
        _report("r1", ',"loss_amount":NaN,"loss_currency":"USD"') + _report("r2", ',"x":-Infinity'),
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.rejected) == (2, 2)
    assert [(r["field"], r["reason"]) for r in rejects_of(path)] == [
        ("loss_amount", "expected text or a number, got NaN (not a number JSON has)"),
        ("x", "expected text or a number, got -Infinity (not a number JSON has)"),
    ]


def test_a_formula_cell_gives_the_value_excel_saved_with_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A workbook Excel saved holds each formula with the value it computed, the value the
    partner sees; the reader took the formula's text: a report stored with the id
    '="TH-"&ROW()', a loss of "=10*3" rejected as "not a decimal amount". A formula saved
    without its value (by a library that computes nothing) rejects its row, on that field
    (test_review_h110)."""
    import sqlalchemy as sa

    from bigfish.store.schema import identifiers, reports

    from .test_crafted_files import inline, workbook

    rows = [
        '<row r="2"><c r="A2" t="str"><f>"TH-"&amp;ROW()</f><v>TH-2</v></c>'
        + inline("2025-03-01")
        + inline("TH")
        + '<c r="F2"><f>10*3</f><v>30</v></c>'
        + '<c r="G2" t="inlineStr"><is><t>THB</t></is></c>'
        + '<c r="I2" t="str"><f>"0"&amp;"812345678"</f><v>0812345678</v></c></row>',
        '<row r="3">'
        + inline("r3")
        + inline("2025-03-01")
        + inline("TH")
        + '<c r="F3"><f>10*3</f><v/></c><c r="G3" t="inlineStr"><is><t>THB</t></is></c></row>',
    ]
    path = workbook(tmp_path / "formulas.xlsx", rows)
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    with sqlite_store.connect() as conn:
        stored = conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all()
        phones = conn.execute(sa.select(identifiers.c.canonical)).scalars().all()
    assert (stored, phones) == ([("TH-2", "30")], ["+66812345678"])
    [reject] = rejects_of(path)
    assert (reject["line"], reject["field"], reject["report_id"]) == (3, "loss_amount", "r3")


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv"])
def test_an_empty_file_is_refused_whatever_its_format(
    store: Store, tmp_path: Path, name: str
) -> None:
    """An empty JSON Lines file was read as 0 reports (status 0) where an empty CSV is refused
    as empty (status 1): the same empty upload, two answers. A file of blank lines is still
    read (0 reports)."""
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        ingest_file(store, path, org="TH-AOC", workers=0)
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n\r\n")
    assert ingest_file(store, blank, org="TH-AOC", workers=0).received == 0

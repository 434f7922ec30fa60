"""Review h112: files joined into one (`cat a.csv b.csv`, each starting with the BOM Excel
writes) keep every report, its id as sent; a JSON report's known fields have their types."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.mapping import ColumnMapping, load_mapping
from bigfish.intake.readers import Row, Unreadable, read_csv
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


#: A JSON report's known fields of a type spec/reports.md does not give them: (key, value,
#: the field named, words of the reason). They were stored with the number made text ("5" a
#: phone, 20250301 a date, 3 a narrative), or rejected for what the text turned out to be.
WRONG_TYPES = [
    ("phones", 5, "phones", "phones must be a list of texts or one text of ;-separated values"),
    ("phones", {"a": 1}, "phones", "not an object"),
    ("phones", ["0812345678", 812345679], "phones", "phones[1] must be text"),
    ("urls", [None], "urls", "urls[0] must be text (a JSON string), not null"),
    ("report_id", 1e3, "report_id", "or a whole number, not a number with a fraction or exponent"),
    ("report_id", [12], "report_id", "report_id must be text (a JSON string) or a whole number"),
    ("reported_at", 20250301, "reported_at", "reported_at must be text"),
    ("country", 7, "country", "country must be text (a JSON string), not a number"),
    ("narrative", ["x"], "narrative", "narrative must be text (a JSON string), not a list"),
    ("narrative", 3, "narrative", "not a number"),
    ("scam_type", True, "scam_type", "scam_type must be text (a JSON string), not true"),
    ("channel", {"sms": 1}, "channel", "not an object"),
    ("loss_currency", 764, "loss_currency", "loss_currency must be text"),
    ("loss_amount", True, "loss_amount", "expected text or a number, got true"),
    ("loss_amount", [1], "loss_amount", "expected text or a number"),
]


def _line(report_id: str, /, **fields: object) -> str:
    """A JSON line of a report (FIELDS may give report_id another value)."""
    obj = {"report_id": report_id, "reported_at": "2025-03-01", "country": "TH"}
    return json.dumps(obj | fields) + "\n"


def test_a_json_reports_known_field_of_the_wrong_type_rejects_the_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    lines = [_line(f"bad{i}", **{key: v}) for i, (key, v, *_) in enumerate(WRONG_TYPES)]
    good = [
        _line("ok-text-amount", loss_amount="12.50", loss_currency="THB", phones=["0812345678"]),
        _line("ok-number-amount", loss_amount=12.5, loss_currency="THB", phones="0812345678;"),
        _line("ok-extra", extra=3, phones=[], narrative=""),
    ]
    path = tmp_path / "types.jsonl"
    assert _ingest(sqlite_store, path, "".join(lines + good).encode()) == (
        len(WRONG_TYPES) + 3,
        3,
        len(WRONG_TYPES),
    )
    assert stored_ids(sqlite_store) == ["ok-extra", "ok-number-amount", "ok-text-amount"]
    rejects = _rejects(path)
    assert [r["line"] for r in rejects] == list(range(1, len(WRONG_TYPES) + 1))
    for reject, (key, _, field, words) in zip(rejects, WRONG_TYPES, strict=True):
        assert reject["field"] == field, reject
        assert words in str(reject["reason"]), reject
        if key != "report_id":
            assert reject["report_id"] == f"bad{reject['line'] - 1}"
    with sqlite_store.connect() as conn:
        kept = dict(conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all())
        attributes = conn.execute(
            sa.select(reports.c.attributes).where(reports.c.report_id == "ok-extra")
        ).scalar_one()
    assert str(kept["ok-text-amount"]).startswith("12.5") and kept["ok-number-amount"]
    assert "3" in json.dumps(attributes)


def test_a_header_repeated_in_another_column_order_reads_the_rows_after_it_in_that_order(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two files of the same columns in another order, joined: the second header was rejected
    as a bad date and the rows after it read under the first's columns (a link stored as a
    phone, a phone as a link)."""
    first = BOM + b"report_id,reported_at,country,phones,urls\r\n"
    first += b"R1,2025-03-01,TH,0812345678,https://one.example/a\r\n"
    second = BOM + b"URLS,Phones,report_id,reported_at,country\r\n"
    second += b"https://two.example/b,0812345679,R2,2025-03-02,TH\r\n"
    path = tmp_path / "both.csv"
    path.write_bytes(first + second)
    with path.open("rb") as raw:
        records = list(read_csv(raw, path))
    assert [r.line for r in records] == [2, 3, 4]
    assert isinstance(records[1], Unreadable) and records[1].report_id is None
    assert "the header repeated with its columns in another order" in records[1].reason
    assert isinstance(records[2], Row)
    assert records[2].fields == {
        "report_id": "R2",
        "reported_at": "2025-03-02",
        "country": "TH",
        "phones": "0812345679",
        "urls": "https://two.example/b",
    }
    assert _ingest(sqlite_store, path, first + second) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["R1", "R2"]


def test_a_whole_number_report_id_is_its_digits(sqlite_store: Store, tmp_path: Path) -> None:
    """A database export's id as a JSON number (12) is the report "12", as in a CSV, and the
    id sent again as text updates it; 12.0 or 1e3 is refused (read one way from a file and
    another through the API)."""
    path = tmp_path / "ids.jsonl"
    lines = [_line("x", report_id=12), _line("x", report_id=-7), _line("x", report_id=12.0)]
    assert _ingest(sqlite_store, path, "".join(lines).encode()) == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["-7", "12"]
    again = tmp_path / "again.jsonl"
    assert _ingest(sqlite_store, again, _line("12").encode()) == (1, 0, 0)
    assert stored_ids(sqlite_store) == ["-7", "12"]


def test_a_mapped_json_key_given_as_a_number_is_refused_like_its_field(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A mapped layout's keys are not the fields' names, so a number under them was taken as
    text: "Số điện thoại 1": 912345678 stored the phone 912345678, its leading 0 lost. A text
    field or identifier column taken from a number is now refused as under its own name; the
    mapped id may be a whole number and the mapped amount any number, as unmapped."""
    from bigfish.intake import load_mapping

    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\nloss_amount = "Số tiền"\n'
        'phones = ["Số điện thoại 1", "Số điện thoại 2"]\nnarrative = "Mô tả"\n'
        '[defaults]\ncountry = "VN"\nloss_currency = "VND"\n',
        encoding="utf-8",
    )

    def line(**fields: object) -> str:
        return json.dumps({"Mã hồ sơ": "HS", "Ngày": "2025-03-05"} | fields) + "\n"

    lines = [
        line(**{"Mã hồ sơ": "HS-1", "Số điện thoại 1": 912345678}),
        line(**{"Mã hồ sơ": "HS-2", "số điện thoại 2": 987654321}),  # another case
        line(**{"Mã hồ sơ": "HS-3", "Mô tả": 3}),
        line(**{"Mã hồ sơ": 1e3}),
        line(**{"Mã hồ sơ": 41, "Số tiền": 1250000, "Số điện thoại 1": "0912345678"}),
        line(**{"Mã hồ sơ": "HS-5", "unmapped": 7}),
    ]
    path = tmp_path / "vn.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    result = ingest_file(
        sqlite_store, path, org="a", mapping=load_mapping(mapping), workers=0, classify=False
    )
    assert (result.received, result.stored, result.rejected) == (6, 2, 4)
    assert stored_ids(sqlite_store) == ["41", "HS-5"]
    reasons = {(r["line"], r["field"]): str(r["reason"]) for r in _rejects(path)}
    assert reasons[(1, "Số điện thoại 1")].startswith(
        "Số điện thoại 1 (the mapping's phones) must be text, not a number"
    )
    assert "the mapping's phones" in reasons[(2, "số điện thoại 2")]
    assert "the mapping's narrative" in reasons[(3, "Mô tả")]
    assert "text (a JSON string) or a whole number" in reasons[(4, "Mã hồ sơ")]

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.errors import InputError
from bigfish.intake import ingest_file, load_mapping
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports

from .conftest import HEADER, row, stored_ids


def test_jsonl_with_identifier_list_and_roles(store: Store, tmp_path: Path) -> None:
    lines = [
        {
            "report_id": "j1",
            "reported_at": "2025-04-02T10:00:00+07:00",
            "country": "VN",
            "loss_amount": 12500000,
            "loss_currency": "VND",
            "identifiers": [
                {"kind": "phone", "value": "0912 345 678", "role": "contact"},
                {"kind": "bank_account", "value": "VCB: 0123-456-789", "role": "payment"},
            ],
        },
        {"report_id": "j2", "reported_at": "2025-04-03", "country": "VN", "identifiers": "no"},
        "not an object",
    ]
    path = tmp_path / "vn.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken", encoding="utf-8")
    result = ingest_file(store, path, org="vn-police")
    assert (result.received, result.stored, result.rejected) == (4, 1, 3)
    with store.connect() as conn:
        roles = dict(
            conn.execute(
                sa.select(identifiers.c.canonical, mentions.c.role).join(
                    mentions, mentions.c.identifier_id == identifiers.c.id
                )
            ).all()
        )
        reported = conn.execute(sa.select(reports.c.reported_at)).scalar_one()
    assert roles["+84912345678"] == "contact"
    assert roles["VCB:0123456789"] == "payment"
    assert reported.hour in (3, 3)  # 10:00+07:00 is 03:00 UTC


def test_xlsx_sheet_with_the_csv_columns(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(list(row("x1").values()))
    sheet.append(list(row("x2", narrative='=HYPERLINK("http://x.example","y")').values()))
    sheet["H3"].data_type = "s"  # text that looks like a formula, as a spreadsheet saves it
    path = tmp_path / "bank.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="th-kbank")
    assert (result.stored, result.rejected) == (2, 0)  # a formula is stored; exports escape it
    assert stored_ids(sqlite_store) == ["x1", "x2"]


def test_corrupt_xlsx_is_refused_naming_the_file(sqlite_store: Store, tmp_path: Path) -> None:
    from bigfish.errors import InputError

    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    try:
        ingest_file(sqlite_store, path, org="a")
    except InputError as exc:
        assert "broken.xlsx" in str(exc)
    else:
        raise AssertionError("expected InputError")


def test_vietnamese_headers_with_a_mapping(store: Store, tmp_path: Path) -> None:
    mapping = tmp_path / "vn.map.toml"
    mapping.write_text(
        """
[columns]
report_id = "Mã hồ sơ"
reported_at = "Ngày trình báo"
scam_type = "Loại lừa đảo"
loss_amount = "Số tiền thiệt hại"
narrative = "Mô tả"
phones = ["Số điện thoại 1", "Số điện thoại 2"]
[formats]
date = "%d/%m/%Y"
thousands_separator = ","
[defaults]
country = "VN"
loss_currency = "VND"
[values.scam_type]
"Đầu tư" = "investment"
""",
        encoding="utf-8",
    )
    data = tmp_path / "vn.csv"
    data.write_text(
        "Mã hồ sơ,Ngày trình báo,Loại lừa đảo,Số tiền thiệt hại,Mô tả,"
        "Số điện thoại 1,Số điện thoại 2\n"
        'HS-1,05/03/2025,Đầu tư,"1,250,000",Bị lừa đầu tư,0912345678,+84 98 765 4321\n'
        "HS-2,31/02/2025,Đầu tư,100,x,,\n",
        encoding="utf-8",
    )
    result = ingest_file(store, data, org="vn-police", mapping=load_mapping(mapping))
    assert (result.stored, result.rejected) == (1, 1)
    with store.connect() as conn:
        r = conn.execute(sa.select(reports)).one()
        phones = conn.execute(sa.select(identifiers.c.canonical)).scalars().all()
    assert (r.country, r.scam_type, r.loss_amount, r.loss_currency) == (
        "VN", "investment", "1250000", "VND",
    )  # fmt: skip
    assert r.reported_at.day == 5 and r.reported_at.month == 3
    assert {"+84912345678", "+84987654321"} <= set(phones)


def test_bad_mapping_names_the_problem(tmp_path: Path) -> None:
    from bigfish.errors import InputError

    path = tmp_path / "bad.map.toml"
    path.write_text('[columns]\nvictim_name = "Tên"\n', encoding="utf-8")
    try:
        load_mapping(path)
    except InputError as exc:
        assert "victim_name" in str(exc) and "bad.map.toml" in str(exc)
    else:
        raise AssertionError("expected InputError")


def test_nul_characters_are_rejected_per_report_on_every_backend(
    store: Store, tmp_path: Path
) -> None:
    lines = [
        {"report_id": "ok", "reported_at": "2025-04-02", "country": "VN"},
        {"report_id": "n1", "reported_at": "2025-04-02", "country": "VN", "narrative": "a\u0000b"},
        {
            "report_id": "n2",
            "reported_at": "2025-04-02",
            "country": "VN",
            "identifiers": [{"kind": "phone", "value": "0912\u0000345678"}],
        },
    ]
    path = tmp_path / "nul.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = ingest_file(store, path, org="vn-police")
    assert (result.stored, result.rejected) == (1, 2)
    assert stored_ids(store) == ["ok"]


def test_a_workbook_with_data_on_two_sheets_is_refused_whole(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The second sheet's reports were ignored without a word."""
    import pytest

    from bigfish.errors import InputError

    book = Workbook()
    book.active.append(HEADER)
    book.active.append(list(row("x1").values()))
    book.create_sheet("empty")  # no data: no reason to refuse
    june = book.create_sheet("June")
    june.append(HEADER)
    june.append(list(row("x2").values()))
    path = tmp_path / "two.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"more than one sheet \(June after") as caught:
        ingest_file(sqlite_store, path, org="th-kbank")
    assert caught.value.file == str(path)
    assert stored_ids(sqlite_store) == []
    del book["June"]
    book.save(path)
    assert ingest_file(sqlite_store, path, org="th-kbank").stored == 1


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def _with_dimension(path: Path, ref: str) -> None:
    """Rewrite the first sheet's <dimension> tag to REF, as some generators write it wrong."""
    import re
    import zipfile

    out = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), content
                )
                assert count == 1
            zout.writestr(item, content)
    out.replace(path)


def test_a_wrong_dimension_tag_loses_no_row_or_column(sqlite_store: Store, tmp_path: Path) -> None:
    """openpyxl's read-only mode trusted <dimension ref="A1:D3">: rows after the third and the
    fifth column (phones) were dropped without a word."""
    book = Workbook()
    book.active.append(["report_id", "reported_at", "country", "narrative", "phones"])
    for i in range(1, 11):
        book.active.append([f"d{i}", "2025-01-05", "TH", f"row {i}", f"08123456{i:02d}"])
    path = tmp_path / "dim.xlsx"
    book.save(path)
    _with_dimension(path, "A1:D3")
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.received, result.stored) == (10, 10)
    with sqlite_store.connect() as conn:
        phones = conn.execute(sa.select(identifiers.c.canonical)).scalars().all()
    assert "+66812345610" in phones


def test_a_second_sheet_with_a_wrong_dimension_is_still_seen(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The emptiness check of the other sheets trusted <dimension> too."""
    import re
    import zipfile

    book = Workbook()
    book.active.append(HEADER)
    book.active.append(list(row("x1").values()))
    june = book.create_sheet("June")
    june["C5"] = "x2"
    path = tmp_path / "two.xlsx"
    book.save(path)
    out = tmp_path / "two-bad.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', content)
            zout.writestr(item, content)
    with pytest.raises(InputError, match="more than one sheet"):
        ingest_file(sqlite_store, out, org="a")


def test_xlsx_cells_right_of_the_header_and_bad_headers(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A value in a column without a header was dropped; it rejects its row as in CSV. A
    header naming a column twice refuses the workbook; an empty header keeps its values as
    column_N."""
    book = Workbook()
    book.active.append(["report_id", "reported_at", "country", None, "narrative"])
    book.active.append(["x1", "2025-01-05", "TH", "kept", "hi"])
    book.active.append(["x2", "2025-01-05", "TH", None, "hi", "EXTRA-CELL"])
    book.active.append(["x3", "2025-01-05", "TH", None, "hi", None, None])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    (reject,) = _rejects(path)
    assert reject["line"] == 3 and reject["report_id"] == "x2"
    assert "6 fields where the header has 5" in str(reject["reason"])
    with sqlite_store.connect() as conn:
        attrs = conn.execute(
            sa.select(reports.c.attributes).where(reports.c.report_id == "x1")
        ).scalar_one()
    assert attrs == {"column_4": "kept"}
    book = Workbook()
    book.active.append(["report_id", "reported_at", "country", "phones", "Phones"])
    book.active.append(["x9", "2025-01-05", "TH", "0812345678", "0899999999"])
    book.save(path)
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a")
    assert caught.value.file == str(path) and caught.value.field == "phones"


THOUSANDS_MAP = """
[columns]
report_id = "report_id"
loss_amount = "amount"
[formats]
thousands_separator = ","
[defaults]
country = "TH"
loss_currency = "THB"
"""


def test_thousands_separator_needs_groups_of_three(sqlite_store: Store, tmp_path: Path) -> None:
    """With `thousands_separator = ","`, "1.234,50" was stored as 1.23450 and "12,34" as
    1234: the separator was deleted wherever it was."""
    mapping = tmp_path / "th.map.toml"
    mapping.write_text(THOUSANDS_MAP, encoding="utf-8")
    data = tmp_path / "amt.csv"
    data.write_text(
        "report_id,reported_at,amount\n"
        'a1,2025-01-05,"1,234.50"\n'
        'a2,2025-01-05,"1.234,50"\n'
        'a3,2025-01-05,"12,34"\n'
        'a4,2025-01-05,"1,2,3,4"\n'
        "a5,2025-01-05,1234.5\n"
        'a6,2025-01-05,"12,345,678"\n'
        'a7,2025-01-05,",123"\n',
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, data, org="a", mapping=load_mapping(mapping))
    assert (result.stored, result.rejected) == (3, 4)
    with sqlite_store.connect() as conn:
        amounts = dict(conn.execute(sa.select(reports.c.report_id, reports.c.loss_amount)).all())
    assert amounts == {"a1": "1234.50", "a5": "1234.5", "a6": "12345678"}
    assert {(r["line"], r["field"]) for r in _rejects(data)} == {
        (3, "loss_amount"), (4, "loss_amount"), (5, "loss_amount"), (8, "loss_amount"),
    }  # fmt: skip


def test_jsonl_duplicate_keys_are_rejected_naming_the_key(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`{"country":"TH","country":"VN"}` kept the last value without a word."""
    path = tmp_path / "dup.jsonl"
    path.write_text(
        '{"report_id":"j1","reported_at":"2025-01-05","country":"TH","country":"VN"}\n'
        '{"report_id":"j2","reported_at":"2025-01-05","country":"TH"}\n',
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (1, 1)
    (reject,) = _rejects(path)
    assert reject["line"] == 1 and reject["field"] == "country" and reject["report_id"] == "j1"
    assert "more than once" in str(reject["reason"])


def test_jsonl_bad_list_item_and_marking_name_the_field(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A bad item of `phones` gave `field: null`; a `tlp` of a report was kept as an
    attribute while the batch's marking applied."""
    lines = [
        {"report_id": "j1", "reported_at": "2025-01-05", "country": "TH",
         "phones": ["0812345678", {"x": 1}]},
        {"report_id": "j2", "reported_at": "2025-01-05", "country": "TH", "phones": [None]},
        {"report_id": "j3", "reported_at": "2025-01-05", "country": "TH", "tlp": "red",
         "narrative": "partner marked this RED"},
        {"report_id": "j4", "reported_at": "2025-01-05", "country": "TH",
         "distribution": "partnership"},
    ]  # fmt: skip
    path = tmp_path / "j.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a")
    assert (result.stored, result.rejected) == (0, 4)
    got = {r["report_id"]: r["field"] for r in _rejects(path)}
    assert got == {"j1": "phones", "j2": "phones", "j3": "tlp", "j4": "distribution"}


def test_rejects_of_a_mapped_file_carry_the_mapped_report_id(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """With a mapping the report_id column has another name: rejects had no report_id."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Case"\nreported_at = "Date"\n'
        '[formats]\ndate = "%d/%m/%Y"\n[defaults]\ncountry = "TH"\n',
        encoding="utf-8",
    )
    data = tmp_path / "m.csv"
    data.write_text("Case,Date\nc1,31/02/2025\nc2,05/01/2025,x\n", encoding="utf-8")
    result = ingest_file(sqlite_store, data, org="a", mapping=load_mapping(mapping))
    assert result.rejected == 2
    assert [(r["line"], r.get("report_id")) for r in _rejects(data)] == [(2, "c1"), (3, "c2")]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[formats]\ndate = 5\n", "formats.date"),
        ("[formats]\nthousands_separator = 1\n", "formats.thousands_separator"),
        ('[formats]\ndecimal_separator = ""\n', "formats.decimal_separator"),
        ('[formats]\nthousand_separator = ","\n', "formats.thousand_separator"),
        ('[values]\nscam_type = "investment"\n', "values.scam_type"),
        ('[values.scam_type]\n"Đầu tư" = 3\n', "values.scam_type.Đầu tư"),
        ("[defaults]\ncountry = [1]\n", "defaults.country"),
        ("[defaults]\nnot_a_field = 1\n", "defaults.not_a_field"),
        ('[format]\ndate = "%d/%m/%Y"\n', "format"),
    ],
)
def test_a_mistyped_mapping_entry_names_the_file_and_key(
    tmp_path: Path, toml: str, key: str
) -> None:
    """`[formats] date = 5` gave a TypeError traceback on the first row, `[values] scam_type
    = "x"` an AttributeError: every entry is checked when the mapping is read."""
    path = tmp_path / "bad.map.toml"
    path.write_text('[columns]\nreport_id = "report_id"\n' + toml, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path) and caught.value.field == key


@pytest.mark.parametrize("value", ["5", '""', "[]", "[1]"])
def test_a_column_that_is_not_a_header_name_is_named_with_its_table(
    tmp_path: Path, value: str
) -> None:
    """`[columns] report_id = 5` was named as field 'report_id' (a report field, not the
    mapping's entry)."""
    path = tmp_path / "bad.map.toml"
    path.write_text(f"[columns]\nreport_id = {value}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path) and caught.value.field == "columns.report_id"


def test_a_header_the_mapping_names_must_be_in_the_file(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A mapped header missing from the file (a typo) was ignored: the amount went into the
    attributes and the report was stored without it."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Case"\nreported_at = "Date"\nloss_amount = "Amount (THB)"\n'
        '[formats]\ndate = "%d/%m/%Y"\n[defaults]\ncountry = "TH"\nloss_currency = "THB"\n',
        encoding="utf-8",
    )
    data = tmp_path / "maptypo.csv"
    data.write_text("Case,Date,Amount THB\nc1,05/01/2025,5000\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, data, org="a", mapping=load_mapping(mapping))
    assert caught.value.file == str(data) and caught.value.field == "Amount (THB)"
    assert stored_ids(sqlite_store) == []
    book = Workbook()
    book.active.append(["Case", "Amount (THB)"])
    book.active.append(["c1", "5000"])
    xlsx = tmp_path / "nodate.xlsx"
    book.save(xlsx)
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, xlsx, org="a", mapping=load_mapping(mapping))
    assert caught.value.file == str(xlsx) and caught.value.field == "Date"


def test_an_excel_date_cell_passes_a_date_format(store: Store, tmp_path: Path) -> None:
    """A real Excel date under `date = "%d/%m/%Y"` was rejected as '2025-01-05T00:00:00'."""
    from datetime import datetime

    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Case"\nreported_at = "Date"\nnarrative = "Desc"\n'
        '[formats]\ndate = "%d/%m/%Y"\n[defaults]\ncountry = "TH"\n',
        encoding="utf-8",
    )
    book = Workbook()
    book.active.append(["Case", "Date", "Desc"])
    book.active.append(["m1", "05/01/2025", "typed as text"])
    book.active.append(["m2", datetime(2025, 1, 6), "a real Excel date"])
    book.active.append(["m3", "2025-01-07", "ISO text is not the mapping's format"])
    path = tmp_path / "mapdate.xlsx"
    book.save(path)
    result = ingest_file(store, path, org="a", mapping=load_mapping(mapping))
    assert (result.stored, result.rejected) == (2, 1)
    with store.connect() as conn:
        days = dict(conn.execute(sa.select(reports.c.report_id, reports.c.reported_at)).all())
    assert (days["m1"].day, days["m2"].day) == (5, 6)
    assert _rejects(path)[0]["line"] == 4

"""Crafted partner files: a 100 MB cell, a million columns, JSON nested 100,000 deep, workbooks
that expand to far more than they weigh. Each is rejected with its file, line and field where
there is one, the other rows are stored, and the readers hold no more than a record at a time
(traced allocations stay under a bound, a fraction of the file).

Peak memory of the whole ingest, before and after, is in the final report of the review that
added these (measured with /usr/bin/time -v on `bigfish ingest`)."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.intake.readers import read_csv, read_jsonl, read_xlsx
from bigfish.intake.records import MAX_COLUMNS, MAX_IDENTIFIERS, MAX_RECORD
from bigfish.store import Store

from .conftest import HEADER, csv_text, row, stored_ids

MB = 1024 * 1024
HUGE = 100 * MB
BOUND = 48 * MB  # what a reader may hold at once, traced: a record and its parsing


def rejects_of(path: Path) -> list[dict[str, Any]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def traced_peak(read: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def drain(path: Path, reader: Callable[[Any, Path], Iterator[Any]]) -> list[Any]:
    """Only each record's kind, line and reason: holding the records would be holding memory."""
    with path.open("rb") as raw:
        return [(type(r).__name__, r.line, getattr(r, "reason", None)) for r in reader(raw, path)]


def write_pieces(path: Path, pieces: Iterable[str]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for piece in pieces:
            out.write(piece)
    return path


def repeated(unit: str, size: int) -> Iterator[str]:
    chunk = unit * (MB // len(unit))
    for _ in range(size // len(chunk)):
        yield chunk


# --- CSV --------------------------------------------------------------------------------------


def csv_with_cell(tmp_path: Path, column: str, unit: str, size: int) -> Path:
    head = csv_text([row("ok-1")])
    cells = row("big", phones="")
    before = ",".join(cells[name] for name in HEADER[: HEADER.index(column)])
    after = ",".join(cells[name] for name in HEADER[HEADER.index(column) + 1 :])
    tail = csv_text([row("ok-2")]).split("\r\n", 1)[1]
    pieces = [head, before, ',"', *repeated(unit, size), '",', after, "\r\n", tail]
    return write_pieces(tmp_path / f"{column}.csv", pieces)


def test_a_100_mb_narrative_cell_is_rejected_unread(sqlite_store: Store, tmp_path: Path) -> None:
    path = csv_with_cell(tmp_path, "narrative", "a", HUGE)
    assert traced_peak(lambda: drain(path, read_csv)) < BOUND
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    assert stored_ids(sqlite_store) == ["ok-1", "ok-2"]
    [reject] = rejects_of(path)
    assert (reject["line"], reject["field"], reject["report_id"]) == (3, "narrative", "big")
    assert f"longer than {MAX_RECORD:,} characters" in reject["reason"]


def test_a_100_mb_cell_of_phones_is_rejected_unread(sqlite_store: Store, tmp_path: Path) -> None:
    # Before, its 9.5 million values became objects one by one: gigabytes.
    path = csv_with_cell(tmp_path, "phones", "0812345678;", HUGE)
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    [reject] = rejects_of(path)
    assert (reject["line"], reject["field"]) == (3, "phones")


def test_more_identifiers_than_a_report_has_are_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    phones = ";".join(f"08{i:08d}" for i in range(MAX_IDENTIFIERS + 1))
    path = tmp_path / "many.csv"
    path.write_text(csv_text([row("ok-1"), row("many", phones=phones)]), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (1, 1)
    [reject] = rejects_of(path)
    assert (reject["line"], reject["field"]) == (3, "phones")
    assert f"more than {MAX_IDENTIFIERS:,} identifiers" in reject["reason"]


def test_a_header_of_a_million_columns_refuses_the_file(tmp_path: Path) -> None:
    # Before, both rows were stored with a million attributes each (614 MB).
    names = ",".join(f"x{i}" for i in range(1_000_000))
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER) + "," + names + "\r\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        drain(path, read_csv)
    assert (caught.value.file, caught.value.line) == (str(path), 1)
    path.write_text(",".join(HEADER) + "," + names[: names.index("x20000,")] + "\r\n")
    with pytest.raises(InputError, match=f"more than the {MAX_COLUMNS:,}"):
        drain(path, read_csv)


def test_a_row_of_a_million_fields_is_rejected(tmp_path: Path) -> None:
    after = csv_text([row("ok-2")]).split("\r\n", 1)[1]
    text = csv_text([row("ok-1")]) + "x" + "," * 1_000_000 + "\r\n" + after
    path = tmp_path / "row.csv"
    path.write_text(text, encoding="utf-8")
    assert [kind for kind, *_ in drain(path, read_csv)] == ["Row", "Unreadable", "Row"]


# --- JSON Lines -------------------------------------------------------------------------------


def report_line(report_id: str, **extra: object) -> str:
    fields = {"report_id": report_id, "reported_at": "2025-03-01", "country": "TH"}
    return json.dumps(fields | extra) + "\n"


def test_a_100_mb_json_line_is_rejected_unread(sqlite_store: Store, tmp_path: Path) -> None:
    head = '{"report_id": "big", "reported_at": "2025-03-01", "country": "TH", "narrative": "'
    pieces = [report_line("ok-1"), head, *repeated("a", HUGE), '"}\n', report_line("ok-2")]
    path = write_pieces(tmp_path / "big.jsonl", pieces)
    assert traced_peak(lambda: drain(path, read_jsonl)) < BOUND
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    [reject] = rejects_of(path)
    assert reject["line"] == 2 and "longer than" in reject["reason"]


def test_json_nested_100000_deep_is_rejected(sqlite_store: Store, tmp_path: Path) -> None:
    deep = '{"report_id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    path = write_pieces(tmp_path / "deep.jsonl", [report_line("ok-1"), deep, report_line("ok-2")])
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    assert rejects_of(path)[0]["line"] == 2


def test_a_json_report_of_too_many_fields_or_identifiers(tmp_path: Path) -> None:
    many = [{"kind": "phone", "value": f"08{i:08d}"} for i in range(MAX_IDENTIFIERS + 1)]
    wide = {f"x{i}": "v" for i in range(MAX_COLUMNS + 1)}
    lines = [report_line("ok-1"), report_line("ids", identifiers=many), report_line("w", **wide)]
    path = write_pieces(tmp_path / "many.jsonl", lines)
    with path.open("rb") as raw:
        records = list(read_jsonl(raw, path))
    assert [type(r).__name__ for r in records] == ["Row", "Unreadable", "Unreadable"]
    assert records[1].field == "identifiers"
    assert f"more than {MAX_COLUMNS:,} fields" in records[2].reason


# --- Excel ------------------------------------------------------------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
        'application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
        'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="'
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
        '" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="'
        'worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org'
        '/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}


def inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_row(cells: Iterable[str]) -> str:
    return "<row>" + "".join(inline(c) for c in cells) + "</row>"


def good_row(report_id: str) -> str:
    return sheet_row([report_id, "2025-03-01", "TH", "investment", "line", "100", "THB"])


def workbook(
    path: Path,
    rows: Iterable[str],
    strings: Iterable[str] = (),
    extra: dict[str, Iterable[str]] | None = None,
) -> Path:
    """A workbook written part by part, so that parts of gigabytes cost only their zip."""
    sheet = [f'<?xml version="1.0"?><worksheet {_NS}><sheetData>', sheet_row(HEADER), *rows]
    parts: dict[str, Iterable[str]] = {
        **{name: [text] for name, text in _PARTS.items()},
        "xl/worksheets/sheet1.xml": [*sheet, "</sheetData></worksheet>"],
        "xl/sharedStrings.xml": [f"<sst {_NS}>", *strings, "</sst>"],
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, pieces in parts.items():
            with archive.open(name, "w", force_zip64=True) as out:
                for piece in pieces:
                    out.write(piece.encode("utf-8"))
    return path


def big_cell_row() -> Iterator[str]:
    yield "<row>" + inline("big") + inline("2025-03-01") + inline("TH") + "<c/>" * 4
    yield '<c t="inlineStr"><is><t>'
    yield from repeated("a", HUGE)
    yield "</t></is></c></row>"


def test_a_100_mb_cell_of_a_workbook_is_rejected_unread(
    sqlite_store: Store, tmp_path: Path
) -> None:
    rows = [good_row("ok-1"), *big_cell_row(), good_row("ok-2")]
    path = workbook(tmp_path / "cell.xlsx", rows)
    assert traced_peak(lambda: drain(path, read_xlsx)) < BOUND  # before: 340 MB in all
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    [reject] = rejects_of(path)
    assert (reject["line"], reject["field"], reject["report_id"]) == (3, "narrative", "big")


def test_a_100_mb_shared_string_is_rejected_unread(sqlite_store: Store, tmp_path: Path) -> None:
    big = "<row>" + inline("big") + inline("2025-03-01") + inline("TH") + "<c/>" * 4
    big += '<c t="s"><v>0</v></c></row>'
    strings = ["<si><t>", *repeated("a", HUGE), "</t></si>"]
    path = workbook(tmp_path / "shared.xlsx", [good_row("ok-1"), big, good_row("ok-2")], strings)
    assert traced_peak(lambda: drain(path, read_xlsx)) < BOUND
    result = ingest_file(sqlite_store, path, org="th-police", workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    assert rejects_of(path)[0]["field"] == "narrative"


def test_rows_past_excel_s_last_are_one_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10 million empty rows, a 90 kB file, took 1.1 GB (openpyxl keeps every row it has read)
    # and 79 s; the sheet now ends at Excel's last row, here made 50,000 to keep the test short.
    monkeypatch.setattr("bigfish.intake.xlsx.MAX_ROWS", 50_000)
    empty = ["<row/>" * 10_000] * 6
    path = workbook(tmp_path / "rows.xlsx", [good_row("ok-1"), *empty, good_row("late")])
    records = drain(path, read_xlsx)
    assert [(kind, line) for kind, line, _ in records] == [("Row", 2), ("Unreadable", 50_001)]
    assert "past row 50,000" in records[1][2]


def test_a_row_of_too_many_cells_or_a_late_row_number(tmp_path: Path) -> None:
    wide = "<row>" + "<c><v>1</v></c>" * 100_000 + "</row>"
    far = '<row r="2000000">' + inline("far") + "</row>"
    path = workbook(tmp_path / "wide.xlsx", [good_row("ok-1"), wide, good_row("ok-2"), far])
    records = drain(path, read_xlsx)
    assert [kind for kind, *_ in records] == ["Row", "Unreadable", "Row", "Unreadable"]
    assert f"more than {MAX_COLUMNS:,} cells" in records[1][2]


def test_a_part_expanding_past_its_bound_refuses_the_workbook(tmp_path: Path) -> None:
    styles = [f"<styleSheet {_NS}>", *repeated(" ", 65 * MB), "</styleSheet>"]
    path = workbook(tmp_path / "bomb.xlsx", [good_row("ok-1")], extra={"xl/styles.xml": styles})
    with pytest.raises(InputError, match=r"xl/styles\.xml expands to") as caught:
        traced_peak(lambda: drain(path, read_xlsx))
    assert caught.value.file == str(path)


def test_shared_strings_past_their_bound_refuse_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bigfish.intake.xlsx.MAX_SHARED_TEXT", 100_000)
    strings = [f"<si><t>s{i}</t></si>" for i in range(2_000)]
    path = workbook(tmp_path / "strings.xlsx", [good_row("ok-1")], strings)
    with pytest.raises(InputError, match="shared strings are over 100,000 characters"):
        drain(path, read_xlsx)


def test_entities_and_giant_tags_are_refused(tmp_path: Path) -> None:
    laughs = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
    strings = [laughs.replace("x [", "sst ["), f"<sst {_NS}><si><t>&a;</t></si></sst>"]
    path = tmp_path / "laughs.xlsx"
    workbook(path, [good_row("ok-1")], extra={"xl/sharedStrings.xml": strings})
    with pytest.raises(InputError, match="document type declaration"):
        drain(path, read_xlsx)
    tag = '<row><c t="inlineStr" x="' + "a" * (2 * MB) + '"><is><t>x</t></is></c></row>'
    workbook(path, [good_row("ok-1"), tag, good_row("ok-2")])
    records = drain(path, read_xlsx)
    assert [kind for kind, *_ in records] == ["Row", "Unreadable"]
    assert "cannot be read from here on" in records[1][2]

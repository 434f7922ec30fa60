"""Review h133: under a column mapping that defaults the date or the country, a header line
inside the file (files joined into one) with one column renamed was read as a report: a
report may there be its id alone, so a line of names but one could be one (h122's
`test_a_row_of_names_but_its_id_is_a_report_when_the_mapping_gives_date_and_country`). A
report always has its id under the id column, and no report's id is the name of an id column:
a line of names but one is a header when its cell under the id column is such a name."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.intake.mapping import ColumnMapping, load_mapping
from bigfish.intake.readers import Row, Unreadable, read_xlsx
from bigfish.store import Store
from bigfish.store.schema import reports

from .conftest import stored_ids

MAPPING = (
    '[columns]\nreport_id = "Mã hồ sơ"\nphones = "Số điện thoại 1"\nnarrative = "Mô tả"\n'
    '[defaults]\ncountry = "VN"\nreported_at = "2025-03-01"\n'
)
FIRST = "Mã hồ sơ,Số điện thoại 1,Mô tả,Ghi chú\r\nV1,0912345678,first,a\r\n"


def _mapping(tmp_path: Path) -> ColumnMapping:
    path = tmp_path / "vn.map.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return load_mapping(path)


def _ingest(store: Store, path: Path, text: str) -> tuple[tuple[int, int, int], dict[int, str]]:
    """((received, stored, rejected), {line: reason}) of TEXT ingested as PATH."""
    path.write_text(text, encoding="utf-8")
    mapping = _mapping(path.parent)
    result = ingest_file(store, path, org="a", mapping=mapping, workers=0, classify=False)
    target = path.with_name(path.name + ".rejects.jsonl")
    lines = target.read_text("utf-8").splitlines() if target.exists() else []
    rejects = {int(r["line"]): str(r["reason"]) for r in map(json.loads, lines)}
    return (result.received, result.stored, result.rejected), rejects


def _narratives(store: Store) -> dict[str, str | None]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.narrative)).all()
    return {str(report_id): narrative for report_id, narrative in rows}


def test_a_header_with_one_column_renamed_is_a_header_under_a_default_date_and_country(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The joined file's header (Ghi chú renamed Notes) was stored as a report 'Mã hồ sơ'
    with the phone 'Số điện thoại 1' and the narrative 'Mô tả'."""
    second = "Mã hồ sơ,Số điện thoại 1,Mô tả,Notes\r\nV2,0912345679,second,b\r\n"
    counts, rejects = _ingest(sqlite_store, tmp_path / "joined.csv", FIRST + second)
    assert counts == (3, 2, 1)
    assert stored_ids(sqlite_store) == ["V1", "V2"]
    assert rejects[3].startswith("a header of other columns: were two files joined?")


def test_a_reordered_header_with_one_column_renamed_is_a_header_too(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Its id column where this file's is, the others in another order: the rows after it are
    read in its order (the narrative is not taken for the phone)."""
    second = "Mã hồ sơ,Notes,Mô tả,Số điện thoại 1\r\nV2,b,second,0912345679\r\n"
    counts, rejects = _ingest(sqlite_store, tmp_path / "joined.csv", FIRST + second)
    assert counts == (3, 2, 1)
    assert _narratives(sqlite_store) == {"V1": "first", "V2": "second"}
    assert rejects[3].startswith("a header of other columns")


def test_a_report_whose_other_cells_are_column_names_is_still_a_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A report of its id and cells that are column names (its narrative 'Ghi chú', its notes
    'Mô tả'), in the layout's order or another, with a name the layout does not know among
    them or not: each is a report, as it was."""
    rows = "V2,Số điện thoại 1,Ghi chú,Mô tả\r\nV3,Notes,Mô tả,Số điện thoại 1\r\n"
    rows += "V4,Số điện thoại 1,Mô tả,Ghi chú\r\n"
    counts, rejects = _ingest(sqlite_store, tmp_path / "names.csv", FIRST + rows)
    assert (counts, rejects) == ((4, 4, 0), {})
    assert _narratives(sqlite_store) == {
        "V1": "first",
        "V2": "Ghi chú",
        "V3": "Mô tả",
        "V4": "Mô tả",
    }


def test_a_sheet_header_with_one_column_renamed_is_a_header_under_defaults(
    tmp_path: Path,
) -> None:
    """The sheet reader, told which column holds the id (`columns_of`), as a CSV file."""
    path = _sheet(
        tmp_path,
        ["V2", "0912345679", "Ghi chú", "b"],
        ["V3", "Số điện thoại 1", "Mô tả", "Ghi chú"],
    )
    layout = {"mã hồ sơ": "report_id", "số điện thoại 1": "phones", "mô tả": "narrative"}
    with path.open("rb") as raw:
        records = list(
            read_xlsx(raw, path, layout_names=set(layout), header_unknowns=0, columns_of=layout)
        )
    assert [type(r).__name__ for r in records] == ["Row", "Unreadable", "Row", "Row"]
    assert isinstance(records[1], Unreadable) and records[1].line == 3
    assert isinstance(records[2], Row) and records[2].fields["Notes"] == "b"
    assert isinstance(records[3], Row) and records[3].fields["mã hồ sơ"] == "V3"


def test_a_mapped_sheets_joined_header_with_one_column_renamed_is_a_header(
    store: Store, tmp_path: Path
) -> None:
    """Through `ingest_file`: the mapping's id column is the sheet's too (as for a CSV file)."""
    path = _sheet(tmp_path, ["V2", "0912345679", "second", "b"])
    mapping = _mapping(tmp_path)
    result = ingest_file(store, path, org="a", mapping=mapping, workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    assert stored_ids(store) == ["V1", "V2"]
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text("utf-8").splitlines()
    reasons = [str(json.loads(line)["reason"]) for line in rejects]
    assert [r.startswith("a header of other columns: were two files joined?") for r in reasons] == [
        True
    ]


def _sheet(tmp_path: Path, *rows: list[str]) -> Path:
    """joined.xlsx: the first file's header and row V1, the second's header (Ghi chú renamed
    Notes), then ROWS."""
    book = Workbook()
    for row in (
        ["Mã hồ sơ", "Số điện thoại 1", "Mô tả", "Ghi chú"],
        ["V1", "0912345678", "first", "a"],
        ["Mã hồ sơ", "Số điện thoại 1", "Mô tả", "Notes"],
        *rows,
    ):
        book.active.append(row)
    path = tmp_path / "joined.xlsx"
    book.save(path)
    return path

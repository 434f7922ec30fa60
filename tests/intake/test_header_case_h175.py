"""Helper 175: a header's names match the format's fields whatever their case, and name the
other columns (a report's attributes) as written.

Intake lower-cased every header name, so a partner's column `Note` was stored as the attribute
`note`, and an export of a report sent as JSON Lines (whose keys keep their case) came back
from its CSV or workbook with its attributes renamed. A field's column (`Report_ID`, `PHONES`),
a marking column an export adds (`TLP`) and a column mapping's headers still match whatever
their case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.intake.mapping import load_mapping
from bigfish.intake.readers.rows import header_names
from bigfish.interop.export import attribute_columns
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store
from bigfish.store.schema import reports

MARKING = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


def _attributes(store: Store) -> dict[str, dict[str, Any]]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.attributes)).all()
    return {str(report_id): dict(attributes or {}) for report_id, attributes in rows}


def _ingest(store: Store, path: Path, **options: Any) -> None:
    result = ingest_file(store, path, org="a", marking=MARKING, workers=0, **options)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    assert result.rejected == 0, rejects.read_text("utf-8") if rejects.exists() else ""


ROWS = [
    ["Report_ID", "REPORTED_AT", "Country", "PHONES", "TLP", "Note", "Branch Code", "Mã Hồ Sơ"],
    ["r1", "2025-03-01", "TH", "+66812345678", "green", "called twice", "0042", "HS-1"],
]


def test_a_csv_header_names_attributes_as_written(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "partner.csv"
    path.write_text("\r\n".join(",".join(row) for row in ROWS) + "\r\n", encoding="utf-8")
    _ingest(sqlite_store, path)
    assert _attributes(sqlite_store) == {
        "r1": {"Note": "called twice", "Branch Code": "0042", "Mã Hồ Sơ": "HS-1"}
    }


def test_a_sheet_header_names_attributes_as_written(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    for row in ROWS:
        book.active.append(row)
    path = tmp_path / "partner.xlsx"
    book.save(path)
    _ingest(sqlite_store, path)
    assert _attributes(sqlite_store) == {
        "r1": {"Note": "called twice", "Branch Code": "0042", "Mã Hồ Sơ": "HS-1"}
    }


def test_two_attribute_columns_differing_in_case_are_two_attributes(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """As two JSON Lines keys are (and as the export writes two reports' `Note` and `note`):
    nothing is lost, and the file is no longer refused for naming a column twice."""
    path = tmp_path / "partner.csv"
    path.write_text(
        "report_id,reported_at,country,Note,note\r\nr1,2025-03-01,TH,A,b\r\n", encoding="utf-8"
    )
    _ingest(sqlite_store, path)
    assert _attributes(sqlite_store) == {"r1": {"Note": "A", "note": "b"}}


@pytest.mark.parametrize(
    ("cells", "twice"),
    [
        (["report_id", "Note", " Note\u200b"], "Note"),  # the same name, marks around it
        (["report_id", "Phones", "PHONES"], "phones"),  # a field's, whatever its case
        (["report_id", "tlp", "TLP"], "tlp"),  # a marking column's
    ],
)
def test_a_name_given_twice_still_refuses_the_file(
    tmp_path: Path, cells: list[str], twice: str
) -> None:
    with pytest.raises(InputError) as caught:
        header_names(cells, tmp_path / "p.csv")
    assert caught.value.field == twice and "more than once" in caught.value.message


def test_a_mapped_layout_matches_its_headers_whatever_their_case_and_keeps_the_others(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "vn.toml"
    mapping.write_text(
        '[columns]\nreport_id = "Mã hồ sơ"\nreported_at = "Ngày"\n[defaults]\ncountry = "VN"\n',
        encoding="utf-8",
    )
    path = tmp_path / "vn.csv"
    path.write_text("MÃ HỒ SƠ,ngày,Ghi Chú\r\nV1,2025-03-01,gọi hai lần\r\n", encoding="utf-8")
    _ingest(sqlite_store, path, mapping=load_mapping(mapping))
    assert _attributes(sqlite_store) == {"V1": {"Ghi Chú": "gọi hai lần"}}


def test_a_header_repeated_inside_the_file_in_another_case_is_still_a_header(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two files joined, the second's header writing the attribute `Note` as `NOTE`: the line
    is a header (not a report), and the rows after it keep their attribute under its name."""
    path = tmp_path / "joined.csv"
    path.write_text(
        "report_id,reported_at,country,Note\r\nr1,2025-03-01,TH,a\r\n"
        "REPORT_ID,Reported_At,COUNTRY,NOTE\r\nr2,2025-03-02,TH,b\r\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="a", marking=MARKING, workers=0)
    assert (result.stored, result.rejected) == (2, 1)
    assert _attributes(sqlite_store) == {"r1": {"Note": "a"}, "r2": {"NOTE": "b"}}


def test_the_export_gives_a_column_of_its_own_only_to_a_name_read_as_another(
    tmp_path: Path,
) -> None:
    """`Note` and `note` are read back as two names: each keeps its own; `Country` would be
    read as the field, ` Note` as `Note`: they get `.2`."""
    columns = attribute_columns(["Country", "Note", "note", " Note"])
    assert columns == {"Country": "Country.2", "Note": "Note", "note": "note", " Note": " Note.2"}

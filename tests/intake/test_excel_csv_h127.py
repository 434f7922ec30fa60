"""Review h127: what Excel users put in a CSV. Excel's text formula ="0812345678" (written to
keep a leading 0) is read as its text, not stored as an invalid phone '="0812345678"'; any other
formula in a field's column is rejected naming its line and column, never stored as its text
nor computed; a number Excel wrote in scientific notation in an identifier column (its last
digits lost) is rejected saying how to keep them; a narrative is kept as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.readers import Row, Unreadable, read_csv
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, reports

from .conftest import stored_ids

HEADER = "report_id,reported_at,country,loss_amount,loss_currency,narrative,phones\r\n"


def _read(tmp_path: Path, body: str) -> list[Row | Unreadable]:
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + body).encode())
    with path.open("rb") as raw:
        return list(read_csv(raw, path))


def _rejects(path: Path) -> list[dict[str, object]]:
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return [json.loads(line) for line in rejects.read_text().splitlines()]


def _phones(store: Store) -> list[tuple[str, str, str, bool]]:
    query = (
        sa.select(reports.c.report_id, mentions.c.raw, identifiers.c.canonical, identifiers.c.valid)
        .join(mentions, mentions.c.report_pk == reports.c.id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(identifiers.c.kind == "phone")
        .order_by(reports.c.report_id)
    )
    with store.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]  # type: ignore[misc]


@pytest.mark.parametrize(
    "cell",
    [
        '="0812345678"',  # as a script writes it
        '"=""0812345678"""',  # the same, quoted as CSV quotes a field with quotes
    ],
)
def test_excels_text_formula_is_read_as_its_text(
    sqlite_store: Store, tmp_path: Path, cell: str
) -> None:
    """The text formula was stored as the invalid phone '="0812345678"' and linked nothing."""
    path = tmp_path / "text.csv"
    body = f"R1,2025-03-01,TH,100,THB,hi,{cell}\r\nR2,2025-03-02,TH,,,,081-234-5678\r\n"
    path.write_bytes((HEADER + body).encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)
    phones = _phones(sqlite_store)
    assert [(r, raw) for r, raw, _, _ in phones] == [("R1", "0812345678"), ("R2", "081-234-5678")]
    assert {(c, v) for _, _, c, v in phones} == {("+66812345678", True)}


def test_a_quote_doubled_inside_the_text_formula_is_one_quote(tmp_path: Path) -> None:
    # The narrative ="say ""hi""" as CSV writes it: each of its quotes doubled once more.
    records = _read(tmp_path, 'R1,2025-03-01,TH,,,"=""say """"hi""""""",="R-1"\r\n')
    assert isinstance(records[0], Row)
    assert records[0].fields["narrative"] == 'say "hi"'
    assert records[0].fields["phones"] == "R-1"


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ("100,THB,,=A1*2", "column 7 (phones)"),
        ('100,THB,,"=HYPERLINK(""http://x.example"",""0812345678"")"', "column 7 (phones)"),
        ('100,THB,,"=""0""&""812345678"""', "column 7 (phones)"),  # two texts joined
        ("=B2*2,THB,,0812345678", "column 4 (loss_amount)"),
    ],
)
def test_any_other_formula_in_a_fields_column_rejects_its_row(
    sqlite_store: Store, tmp_path: Path, cells: str, column: str
) -> None:
    """Such a cell was stored as its text (an invalid phone '=A1*2'); it is not computed."""
    path = tmp_path / "formula.csv"
    body = f"R1,2025-03-01,TH,{cells}\r\nR2,2025-03-02,TH,,,,0812345678\r\n"
    path.write_bytes((HEADER + body).encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    assert stored_ids(sqlite_store) == ["R2"]
    [reject] = _rejects(path)
    assert reject["line"] == 2 and reject["report_id"] == "R1"
    assert str(reject["reason"]).startswith(f"{column} holds a formula, not a value")
    assert reject["field"] == column.split("(")[1].rstrip(")")


def test_a_formula_in_a_mapped_identifier_column_rejects_its_row(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A column mapping's header is a field's column as the standard name is."""
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nreport_id = "Mã hồ sơ"\nphones = ["Số điện thoại"]\n')
    path = tmp_path / "vn.csv"
    path.write_bytes(
        "Mã hồ sơ,reported_at,country,Số điện thoại\r\n"
        'V1,2025-03-01,VN,=C2&"1"\r\nV2,2025-03-01,VN,="0912345678"\r\n'.encode()
    )
    result = ingest_file(
        sqlite_store, path, org="a", workers=0, classify=False, mapping=load_mapping(mapping)
    )
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    [reject] = _rejects(path)
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "V1", "số điện thoại")
    assert [(r, raw, v) for r, raw, _, v in _phones(sqlite_store)] == [("V2", "0912345678", True)]


def test_a_narrative_or_an_extra_column_starting_with_equals_is_kept(tmp_path: Path) -> None:
    """Free text may start with '=' ("= 5000 baht, he said"); it is kept as written."""
    path = tmp_path / "narrative.csv"
    path.write_bytes(
        b"report_id,reported_at,country,narrative,notes,phones\r\n"
        b"R1,2025-03-01,TH,=5000 baht he said,=A1,+66812345678\r\n"
    )
    with path.open("rb") as raw:
        [record] = list(read_csv(raw, path))
    assert isinstance(record, Row)
    assert record.fields["narrative"] == "=5000 baht he said"
    assert record.fields["notes"] == "=A1"
    assert record.fields["phones"] == "+66812345678"  # a '+' is a phone's, not a formula's


@pytest.mark.parametrize("value", ["8.12346E+09", "6,68123E+11", "0812345678;4.11111E+15"])
def test_a_number_in_scientific_notation_in_an_identifier_column_is_rejected(
    sqlite_store: Store, tmp_path: Path, value: str
) -> None:
    """8.12346E+09 was stored as an invalid phone: its digits are lost, none can link."""
    path = tmp_path / "sci.csv"
    path.write_bytes((HEADER + f'R1,2025-03-01,TH,,,,"{value}"\r\n').encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (1, 0, 1)
    [reject] = _rejects(path)
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "R1", "phones")
    reason = str(reject["reason"])
    assert reason.startswith("column 7 (phones) holds") and "scientific notation" in reason
    assert "format the column as Text" in reason


def test_scientific_notation_in_a_narrative_is_kept(tmp_path: Path) -> None:
    [record] = _read(tmp_path, "R1,2025-03-01,TH,,,8.12346E+09 called me,0812345678\r\n")
    assert isinstance(record, Row) and record.fields["narrative"] == "8.12346E+09 called me"


def test_a_row_of_too_many_fields_echoes_its_text_formula_id_as_text(tmp_path: Path) -> None:
    [record] = _read(tmp_path, '="R-01",2025-03-01,TH,,,hi, there,0812345678\r\n')
    assert isinstance(record, Unreadable) and record.report_id == "R-01"
    assert record.reason.startswith("8 fields where the header has 7")

"""Review h133: `bigfish export` writes a CSV cell a spreadsheet would run (=, +, -, @, a tab
or a CR first, after spaces) with a ' before it; ingesting the file again kept the ', so a
re-ingested narrative, report id or handle was not the one exported ("'=1+1", "'-r2",
"'@ring"). A leading ' followed (after spaces) by one of those characters is now that escape
and dropped, in every column of a CSV file or a sheet; a ' before anything else is text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.intake.readers import Row, read_csv, read_xlsx
from bigfish.interop import export_csv
from bigfish.interop.views import iter_reports
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store, open_store

#: Cells the export escapes (a narrative, a report id, a handle) and some it
#: does not (phones of signed digits, text with a ' of its own).
ORIGINAL = (
    "report_id,reported_at,country,scam_type,narrative,phones,handles,urls\r\n"
    "r1,2025-03-01,TH,investment,+Congratulations! call now,+66 81 234 5678,telegram:@boss,\r\n"
    "-r2,2025-03-02,TH,investment,=1+1,081-234-5679,@ring,https://a.example/x\r\n"
    "r3,2025-03-03,TH,romance,'quoted' first,0812345670;+66812345671,,\r\n"
    "r4,2025-03-04,TH,,\"-2+3+cmd|' /C calc'!A0\",,,\r\n"
    'r5,2025-03-05,TH,,"\tindented @you",,,\r\n'
)
#: Per-report columns an export adds that an ingest refuses (markings are the batch's).
MARKING_COLUMNS = ("org", "tlp", "distribution", "group")


def _contents(store: Store) -> dict[str, tuple[str | None, str | None, list[tuple[str, str]]]]:
    """Each report's (scam type, narrative, sorted (kind, canonical) of its identifiers)."""
    with store.connect() as conn:
        views = list(iter_reports(conn, visible_reports(Viewer.node_operator())))
    return {
        v.report_id: (
            v.scam_type,
            v.narrative,
            sorted((m.kind, m.canonical) for m in v.mentions if m.source == "field"),
        )
        for v in views
    }


def _exported(store: Store) -> str:
    out = io.StringIO()
    export_csv(store, Viewer.node_operator(), out)
    return out.getvalue()


def _without_markings(text: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows, text
    names = [n for n in rows[0] if n not in MARKING_COLUMNS]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_an_exported_file_ingested_into_a_fresh_store_gives_the_same_reports(
    store: Store, tmp_path: Path
) -> None:
    """Before: the fresh store held '-r2 (not -r2), narratives '+Congratulations!…, '=1+1 and
    the handle '@ring, each with the export's quote."""
    source = tmp_path / "partner.csv"
    source.write_text(ORIGINAL, encoding="utf-8")
    assert ingest_file(store, source, org="a", workers=0, classify=False).stored == 5
    exported = _exported(store)
    assert "'=1+1" in exported and "'-r2" in exported  # what the export escaped
    again = tmp_path / "exported.csv"
    again.write_text(_without_markings(exported), encoding="utf-8")
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        result = ingest_file(fresh, again, org="a", workers=0, classify=False)
        assert (result.stored, result.rejected) == (5, 0)
        assert _contents(fresh) == _contents(store)
        assert _contents(fresh)["-r2"][1] == "=1+1"
        assert _exported(fresh) == exported  # and exported again, the same file
    finally:
        fresh.close()


def _cells(tmp_path: Path, *cells: str) -> dict[str, str]:
    path = tmp_path / "cells.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["report_id", "reported_at", "country", "phones", "narrative", "notes"])
    writer.writerow(["r1", "2025-03-01", "TH", *cells])
    path.write_text(out.getvalue(), encoding="utf-8")
    with path.open("rb") as raw:
        (record,) = list(read_csv(raw, path))
    assert isinstance(record, Row), record
    return record.fields


def test_the_escape_is_dropped_in_every_column_and_a_quote_before_other_text_kept(
    tmp_path: Path,
) -> None:
    """A phone '+66812345678 (as exporters that escape every leading + write it) was read with
    its quote, no phone; a ' before a letter or a space alone is the cell's text, and of
    quotes before a formula character one is dropped (''+66812345678 is the export of the
    text '+66812345678: `records.escape_formula`)."""
    assert _cells(tmp_path, "'+66812345678", "'=HYPERLINK(x)", "'@notes") == {
        "report_id": "r1",
        "reported_at": "2025-03-01",
        "country": "TH",
        "phones": "+66812345678",
        "narrative": "=HYPERLINK(x)",
        "notes": "@notes",
    }
    kept = _cells(tmp_path, "''+66812345678", "'tis the season", "' ")
    assert (kept["phones"], kept["narrative"], kept["notes"]) == (
        "'+66812345678",
        "'tis the season",
        "' ",
    )
    spaced = _cells(tmp_path, "'-0812345678", "' =1+1", "'\tx")
    assert (spaced["phones"], spaced["narrative"], spaced["notes"]) == (
        "-0812345678",
        " =1+1",
        "\tx",
    )


def test_an_escaped_formula_in_a_fields_column_is_its_text_not_a_formula(tmp_path: Path) -> None:
    """'=x in a field's column is the export of the text =x (a scam type), not a formula."""
    path = tmp_path / "typed.csv"
    path.write_text("report_id,reported_at,country,scam_type\r\nr1,2025-03-01,TH,'=job\r\n")
    with path.open("rb") as raw:
        (record,) = list(read_csv(raw, path))
    assert isinstance(record, Row) and record.fields["scam_type"] == "=job"


def test_a_sheet_cell_holding_the_escape_is_read_without_it(tmp_path: Path) -> None:
    """An exported CSV file opened in a spreadsheet and saved as a workbook keeps the ' in the
    cell's text: it was read with it."""
    book = Workbook()
    book.active.append(["report_id", "reported_at", "country", "phones", "narrative", "notes"])
    book.active.append(["'-r2", "2025-03-01", "TH", "'+66812345678", "'=1+1", "'tis"])
    path = tmp_path / "exported.xlsx"
    book.save(path)
    with path.open("rb") as raw:
        (record,) = list(read_xlsx(raw, path))
    assert isinstance(record, Row), record
    assert record.fields == {
        "report_id": "-r2",
        "reported_at": "2025-03-01",
        "country": "TH",
        "phones": "+66812345678",
        "narrative": "=1+1",
        "notes": "'tis",
    }

"""Review h167 (README "Intake formats": a JSON Lines file that is a pretty-printed document
is refused as a whole). Only a first line of '{' alone was taken for one: an object whose
first line also holds its first key (`{"reports": [` of an API batch saved to a file, or
`{"report_id": "J1",`) was read line by line, and a report of it whose line happened to be
whole was stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.store import Store

from .conftest import stored_ids

REPORTS = [
    {"report_id": "J1", "reported_at": "2025-03-01", "country": "TH"},
    {"report_id": "J2", "reported_at": "2025-03-01", "country": "TH"},
]

#: An API batch body (`POST /api/v1/reports`) saved to a file, one report a line inside it.
BATCH = '{"reports": [\n' + ",\n".join(json.dumps(r) for r in REPORTS) + "\n]}\n"

#: One report with its first key on the '{' line (and the rest one key a line).
OBJECT = json.dumps(REPORTS[0], indent=1).replace('{\n "report_id"', '{"report_id"') + "\n"


@pytest.mark.parametrize("text", [BATCH, OBJECT], ids=["api-batch", "first-key-on-brace-line"])
def test_a_document_over_lines_is_refused_whole(
    sqlite_store: Store, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "reports.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    error = caught.value
    assert str(path) in str(error) and error.line == 1
    assert "spread over lines" in error.message and "one report object per line" in error.message
    assert stored_ids(sqlite_store) == []


@pytest.mark.parametrize("cut", ["two\nlines", "two,\nlines"], ids=["word", "comma"])
def test_a_first_line_cut_inside_a_text_is_one_rejection(
    sqlite_store: Store, tmp_path: Path, cut: str
) -> None:
    """A line end inside a narrative breaks that report only: the file is still read."""
    path = tmp_path / "reports.jsonl"
    broken = '{"report_id": "J0", "narrative": "' + cut + '", "country": "TH"}\n'
    path.write_text(broken + "".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (4, 2, 2)
    assert sorted(stored_ids(sqlite_store)) == ["J1", "J2"]


def test_an_api_batch_on_one_line_is_refused_whole(sqlite_store: Store, tmp_path: Path) -> None:
    """`{"reports": [...], "tlp": "green"}` on one line (a `POST /api/v1/reports` body saved
    to a file) was one rejection: "expected text or a number, got list", field reports."""
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"reports": REPORTS, "tlp": "green"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    error = caught.value
    assert str(path) in str(error) and error.line == 1
    assert "API batch" in error.message and "jq -c '.reports[]'" in error.message
    assert stored_ids(sqlite_store) == []


def test_a_report_with_a_reports_attribute_is_still_a_report(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "reports.jsonl"
    path.write_text(json.dumps(REPORTS[0] | {"reports": "3 earlier"}) + "\n", encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.stored, result.rejected) == (1, 0)

"""Review h167 (README "Intake formats": a value right of a workbook's last header column is
rejected with its line and field). The rejection said "11 fields where the header has 9" and
named no column: the partner could not tell which cell of a wide sheet to clear."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from bigfish.intake import ingest_file
from bigfish.store import Store

from .conftest import stored_ids


def test_a_value_right_of_the_header_names_its_cell(sqlite_store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Reports"
    sheet.append(["report_id", "reported_at", "country", "narrative"])
    sheet.append(["x1", "2025-01-05", "TH", "hi"])
    sheet.append(["x2", "2025-01-05", "TH", "hi", None, None, "stray note"])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 1, 1)
    assert stored_ids(sqlite_store) == ["x1"]
    (line,) = Path(f"{path}.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    reject = json.loads(line)
    assert reject["line"] == 3 and reject["report_id"] == "x2"
    reason = str(reject["reason"])
    assert reason.startswith("7 fields where the header has 4")
    assert "column G of sheet 'Reports'" in reason and "'stray note'" in reason
    assert "last column is D ('narrative')" in reason
    assert reject["field"] == "column G"

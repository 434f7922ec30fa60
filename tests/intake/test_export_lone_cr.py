"""A cell holding a carriage return alone (`x\ry`, an old Mac line end a victim's narrative
can carry) was written unquoted: Python's csv writer quotes the characters of its line
terminator (`\n`) but not `\r`, and a reader ends the row there, so the export of such a report
could not be ingested again ("23 fields where the header has 24"). Such a row is quoted."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bigfish.store import Store
from tests.intake.test_export_roundtrip_h135 import _exported, _fresh, _ingest, _snapshot


def _report(report_id: str, narrative: str, note: str) -> str:
    return json.dumps(
        {
            "report_id": report_id,
            "reported_at": "2025-03-01T00:00:00Z",
            "country": "TH",
            "narrative": narrative,
            "identifiers": [{"kind": "phone", "value": "+66812345678"}],
            "note": note,
        }
    )


def test_an_export_with_a_lone_carriage_return_is_ingested_again_as_it_was(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Before: assert (2, 1, 1) == (2, 2, 0) — the row of r1 was cut at its `\r`."""
    source = tmp_path / "partner.jsonl"
    source.write_text(
        _report("r1", "first line\rsecond line", "a\rb")
        + "\n"
        + _report("r2", "plain, with a comma", "c")
        + "\n",
        encoding="utf-8",
    )
    assert _ingest(sqlite_store, source, "a").stored == 2
    text = _exported(sqlite_store)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 3 and len({len(row) for row in rows}) == 1
    narrative = rows[0].index("narrative")
    assert [row[narrative] for row in rows[1:]] == [
        "first line\rsecond line",
        "plain, with a comma",
    ]
    exported = tmp_path / "exported.csv"
    exported.write_bytes(text.encode("utf-8"))
    fresh = _fresh(tmp_path, "fresh.db")
    try:
        result = _ingest(fresh, exported, "a")
        assert (result.received, result.stored, result.rejected) == (2, 2, 0)
        assert _snapshot(fresh) == _snapshot(sqlite_store)
    finally:
        fresh.close()
    # rows without one are written as before: only the row holding `\r` is quoted whole
    assert text.splitlines()[-1].startswith("r2,")

"""Thai systems write years of the Buddhist Era (2568 BE is 2025 CE). A report dated so is
rejected as an implausible time, as before, and the reason now says what the year likely is
and what to do: the partner read "not a plausible time of a report" and did not know why."""

from __future__ import annotations

import json
from pathlib import Path

from bigfish.intake import ingest_file
from bigfish.store import Store


def test_a_buddhist_era_year_is_named_in_the_rejection(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "th-aoc.csv"
    path.write_text(
        "report_id,reported_at,country\nT1,2568-03-01,TH\nT2,2025-03-01,TH\nT3,2999-01-01,TH\n",
        encoding="utf-8",
    )
    result = ingest_file(sqlite_store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text(encoding="utf-8")
    buddhist, future = (json.loads(line) for line in rejects.splitlines())
    assert (buddhist["line"], buddhist["field"]) == (2, "reported_at")
    assert "Buddhist Era" in buddhist["reason"] and "2025-03-01" in buddhist["reason"]
    assert (future["line"], future["field"]) == (4, "reported_at")
    assert "Buddhist" not in future["reason"]  # 2456 CE is no time of a report either

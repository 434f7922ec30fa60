"""Review h167 (README "Intake formats": `report_id` is text or a whole number, `12` is the
report "12"). A report whose id was given as a number and that was rejected for another field
(`"phones": 5`) was written to the rejects file without its report_id, as only a text id was
echoed: the partner had the line alone to find it by."""

from __future__ import annotations

import json
from pathlib import Path

from bigfish.intake import ingest_file
from bigfish.store import Store


def test_a_rejected_report_keeps_its_whole_number_id(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "reports.jsonl"
    base = {"reported_at": "2025-03-01", "country": "TH", "scam_type": "investment"}
    lines = [
        base | {"report_id": 12, "phones": 5},
        base | {"report_id": "14", "phones": 5},
        base | {"report_id": 1.5, "phones": 5},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 0, 3)
    rejects = [
        json.loads(line)
        for line in Path(f"{path}.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(r["line"], r.get("report_id"), r["field"]) for r in rejects] == [
        (1, "12", "phones"),
        (2, "14", "phones"),
        (3, None, "report_id"),
    ]

"""A date in year 1 or 9999 with a UTC offset has no time in UTC: the report holding one is
rejected naming its field (`parse_datetime` raised OverflowError, which ended the ingest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.intake.records import STANDARD, parse_datetime
from bigfish.store import Store

from .conftest import row, stored_ids

OUT_OF_RANGE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
def test_parse_datetime_refuses_a_time_with_none_in_utc(stamp: str) -> None:
    with pytest.raises(InputError, match="out of range in UTC"):
        parse_datetime(stamp, STANDARD)


def _rejects(path: Path) -> list[dict[str, object]]:
    target = path.with_name(path.name + ".rejects.jsonl")
    return [json.loads(line) for line in target.read_text("utf-8").splitlines()]


def test_a_csv_report_dated_out_of_range_is_rejected_naming_the_field(
    store: Store, write_csv
) -> None:
    rows = [row("ok"), *(row(f"bad{i}", reported_at=s) for i, s in enumerate(OUT_OF_RANGE))]
    path = write_csv("dates.csv", rows)
    result = ingest_file(store, path, org="th-aoc")
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert stored_ids(store) == ["ok"]
    rejects = _rejects(path)
    assert [r["line"] for r in rejects] == [3, 4]
    assert all(r["field"] == "reported_at" for r in rejects), rejects
    assert all("out of range" in str(r["reason"]) for r in rejects), rejects


def test_a_jsonl_report_dated_out_of_range_is_rejected_naming_the_field(
    sqlite_store: Store, tmp_path: Path
) -> None:
    lines = [
        {"report_id": "ok", "reported_at": "2025-04-01T10:00:00+07:00", "country": "VN"},
        {"report_id": "bad", "reported_at": OUT_OF_RANGE[1], "country": "VN"},
    ]
    path = tmp_path / "dates.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = ingest_file(sqlite_store, path, org="vn-police")
    assert (result.stored, result.rejected) == (1, 1)
    assert stored_ids(sqlite_store) == ["ok"]
    (reject,) = _rejects(path)
    assert reject["field"] == "reported_at" and reject["line"] == 2

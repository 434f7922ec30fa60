"""What crosses to and from ingest's worker processes reads back equal, every field of it, and
each object is reduced to its class and its field values in declaration order (helper 147)."""

from __future__ import annotations

import dataclasses
import pickle
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

from bigfish.intake import service
from bigfish.intake.prepare import PreparedMention
from bigfish.intake.readers import Row, Unreadable
from bigfish.models import Marking, RawIdentifier, Report
from bigfish.store.writes import Pending

ROWS = (
    "report_id,reported_at,country,loss_amount,loss_currency,narrative,phones,urls,note\n"
    "R-1,2024-07-01,TH,1500,THB,call 081 234 5678 or see https://shop.example.com,"
    "0812345678,https://shop.example.com/a,kept as an attribute\n"
    "R-2,not a date,TH,,,,,,\n"
    "R-3,2024-07-02T10:00:00+07:00,VN,,,Zalo 0912 345 678,,,\n"
)


def _walk(value: Any) -> list[Any]:
    """VALUE and every registered object inside it (through fields, lists and tuples)."""
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) in service._FIELD_VALUES:
            found.append(item)
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def test_records_and_prepared_reports_read_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "reports.csv"
    path.write_text(ROWS, encoding="utf-8")
    with path.open("rb") as raw:
        records = list(service._records(raw, path, "csv", None, str(path)))
    prepared = service._prepare_chunk(records, None, Marking(), str(path), None, True, "th-aoc")
    objects = _walk(records) + _walk(prepared)
    kinds = {type(obj) for obj in objects}
    assert {Row, Unreadable, Pending, PreparedMention, Report, RawIdentifier, Marking} <= kinds
    for obj in objects:
        cls, values = service._by_fields(obj)
        assert cls is type(obj)
        assert values == tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))
    for sent in (records, prepared):
        back = pickle.loads(ForkingPickler.dumps(sent))
        assert back == sent
        assert [type(x) for x in _walk(back)] == [type(x) for x in _walk(sent)]

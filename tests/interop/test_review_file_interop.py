"""Review of file-level STIX and MISP import/export: what a partner's file may hold (numbers too
long to convert, fields of the wrong type, malformed tags) is refused with a reason, never a
traceback or a silent loss, and what goes out comes back whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.interop import read_misp, read_stix
from bigfish.store import Store

LOCATION = {"type": "location", "spec_version": "2.1", "id": "location--1", "country": "TH"}


def _report(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--44444444-4444-4444-8444-{n:012d}",
        "created": "2025-10-01T00:00:00.000Z",
        "modified": "2025-10-01T00:00:00.000Z",
        "published": "2025-10-01T00:00:00Z",
        "name": f"report {n}",
        "object_refs": ["location--1"],
        **extra,
    }


def _bundle(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": list(objects)}))
    return path


def _rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.with_name(path.name + ".rejects.jsonl").open()]


@pytest.mark.parametrize("reader", [read_stix, read_misp])
def test_a_number_too_long_to_convert_is_an_input_error_not_a_traceback(
    reader: Any, tmp_path: Path
) -> None:
    """Python refuses to convert an integer of over 4,300 digits (ValueError, not a
    JSONDecodeError): the reader raised it as is, and ingest ended in a traceback."""
    path = tmp_path / "big.json"
    path.write_bytes(b'{"type": "bundle", "objects": [], "Event": {"id": 1' + b"0" * 5000 + b"}}")
    with pytest.raises(InputError) as caught:
        list(reader(path.open("rb"), path))
    assert caught.value.file == str(path) and "digits" in caught.value.message


def test_a_report_field_of_the_wrong_type_rejects_the_report_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A description that is a list was read as no narrative, and the report stored without
    it; a published that is a number as no date; an id that is a number was stored as "5"."""
    path = _bundle(
        tmp_path / "typed.json",
        LOCATION,
        _report(1, description=["the victim's story"]),
        _report(2, published=1759276800),
        _report(3, id=5),
        _report(4, description="kept"),
    )
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (result.received, result.stored, result.rejected) == (4, 1, 3)
    rows = _rejects(path)
    assert [(r["object"], r["field"]) for r in rows] == [
        (2, "description"),
        (3, "published"),
        (4, "id"),
    ]
    assert rows[0]["report_id"] == _report(1)["id"] and "list" in rows[0]["reason"]

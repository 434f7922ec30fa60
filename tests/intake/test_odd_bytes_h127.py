"""Review h127: bytes old tools leave in a partner's file. DOS's end-of-file mark (Ctrl-Z,
0x1A) after a CSV's last line is no report: it was rejected as '1 fields where the header has
5' with the report_id '\\x1a'; it is dropped there, and only there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.intake import ingest_file
from bigfish.intake.readers import Row, read_csv
from bigfish.store import Store

from .conftest import stored_ids

HEADER = "report_id,reported_at,country,narrative,phones\r\n"
ROWS = "R1,2025-03-01,TH,hi,0812345678\r\nR2,2025-03-02,TH,yo,0812345679"


@pytest.mark.parametrize("end", ["\r\n\x1a", "\x1a", "\n\x1a"])
def test_a_dos_end_of_file_mark_is_dropped(sqlite_store: Store, tmp_path: Path, end: str) -> None:
    path = tmp_path / "dos.csv"
    path.write_bytes((HEADER + ROWS + end).encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (2, 2, 0)
    assert stored_ids(sqlite_store) == ["R1", "R2"]
    with path.open("rb") as raw:
        records = list(read_csv(raw, path))
    assert [r.fields["phones"] for r in records if isinstance(r, Row)] == [
        "0812345678",
        "0812345679",
    ]


def test_a_ctrl_z_elsewhere_is_kept(tmp_path: Path) -> None:
    """Only at the file's very end is 0x1A the mark: inside a field, or before the last line
    end, it is the partner's text (whatever is done with it next)."""
    path = tmp_path / "mid.csv"
    path.write_bytes(
        (HEADER + "R1,2025-03-01,TH,a\x1ab,0812345678\r\nR2,2025-03-02,TH,\x1a,\x1a\r\n").encode()
    )
    with path.open("rb") as raw:
        records = list(read_csv(raw, path))
    assert [(r.line, r.fields["narrative"]) for r in records if isinstance(r, Row)] == [
        (2, "a\x1ab"),
        (3, "\x1a"),
    ]


def test_rejects_name_no_ctrl_z_report(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dos.csv"
    path.write_bytes((HEADER + ROWS + "\r\nR3,2025-13-45,TH,,\r\n\x1a").encode())
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 2, 1)
    assert result.rejects_path is not None
    [reject] = [json.loads(line) for line in result.rejects_path.read_text().splitlines()]
    assert (reject["line"], reject["report_id"]) == (4, "R3")

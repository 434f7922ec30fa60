"""Review h127: bytes old tools leave in a partner's file. DOS's end-of-file mark (Ctrl-Z,
0x1A) after a CSV's last line is no report: it was rejected as '1 fields where the header has
5' with the report_id '\\x1a'; it is dropped there, and only there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bigfish.intake import ingest_file, load_mapping
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


# --- a JSON line that is not UTF-8 -------------------------------------------------------------

GOOD = b'{"report_id": "J1", "reported_at": "2025-03-01", "country": "FR"}\n'


def _jsonl_rejects(
    store: Store, path: Path, data: bytes, **kwargs: object
) -> list[dict[str, object]]:
    path.write_bytes(data)
    result = ingest_file(store, path, org="a", workers=0, classify=False, **kwargs)  # type: ignore[arg-type]
    assert stored_ids(store) == ["J1"]
    assert result.rejects_path is not None
    return [json.loads(line) for line in result.rejects_path.read_text().splitlines()]


def test_a_latin1_json_line_is_rejected_naming_its_id_key_and_byte(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """It was rejected as 'not valid UTF-8' with no report_id: which report, and where?"""
    bad = '{"report_id": "J2", "reported_at": "2025-03-01", "country": "FR", "narrative": "café"}\n'
    data = GOOD + bad.encode("latin-1")
    [reject] = _jsonl_rejects(sqlite_store, tmp_path / "fr.jsonl", data)
    at = bad.encode("latin-1").index(b"\xe9")
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "J2", "narrative")
    assert reject["reason"] == (
        f"not valid UTF-8: byte 0xE9 at byte {at + 1} of the line (offset {len(GOOD) + at} of "
        "the file); is the file Latin-1? save it as UTF-8"
    )
    assert data[len(GOOD) + at] == 0xE9


def test_a_report_id_in_cp1252_is_echoed_as_windows_reads_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Only echoed: the line is rejected (the encoding of its text is not guessed)."""
    bad = '{"report_id": "Ré-“2”", "reported_at": "2025-03-01", "country": "FR"}\n'
    data = "\ufeff".encode() + GOOD + bad.encode("cp1252")
    [reject] = _jsonl_rejects(sqlite_store, tmp_path / "fr.jsonl", data)
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "Ré-“2”", "report_id")
    assert "byte 0xE9 at byte 17 of the line" in str(reject["reason"])


def test_a_mapped_latin1_json_line_echoes_its_mapped_id(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nreport_id = "CaseNo"\n')
    good = b'{"CaseNo": "J1", "reported_at": "2025-03-01", "country": "FR"}\n'
    bad = '{"CaseNo": "J2", "reported_at": "2025-03-01", "country": "FR", "note": "été"}\n'
    [reject] = _jsonl_rejects(
        sqlite_store,
        tmp_path / "fr.jsonl",
        good + bad.encode("latin-1"),
        mapping=load_mapping(mapping),
    )
    assert (reject["line"], reject["report_id"], reject["field"]) == (2, "J2", "note")


def test_a_latin1_line_that_is_no_json_names_its_byte(sqlite_store: Store, tmp_path: Path) -> None:
    bad = '{"report_id": "J2", "narrative": "café'.encode("latin-1") + b"\n"
    [reject] = _jsonl_rejects(sqlite_store, tmp_path / "fr.jsonl", GOOD + bad)
    assert reject["line"] == 2 and "report_id" not in reject
    at = bad.index(b"\xe9") + 1
    assert str(reject["reason"]).startswith(f"not valid UTF-8: byte 0xE9 at byte {at} of the line")


def test_a_dos_end_of_file_mark_ends_a_json_lines_file(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "dos.jsonl"
    path.write_bytes(GOOD + b"\x1a")
    result = ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)

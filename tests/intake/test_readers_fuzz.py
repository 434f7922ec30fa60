"""Class 17 of spec/security-tests.md: every intake parser survives arbitrary bytes."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigfish.errors import InputError
from bigfish.intake.readers import Row, Unreadable, read_csv, read_jsonl, read_xlsx
from bigfish.intake.records import build_report

from .conftest import csv_text, row

_PATH = Path("fuzz.bin")
_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _drain(reader_output: object) -> None:
    for record in reader_output:  # type: ignore[attr-defined]
        assert isinstance(record, Row | Unreadable)
        if isinstance(record, Row):
            try:
                build_report(record.fields, identifiers=record.identifiers)
            except InputError:
                pass


@_FUZZ
@given(st.binary(max_size=2000))
def test_class17_csv_reader_survives_arbitrary_bytes(data: bytes) -> None:
    try:
        _drain(read_csv(io.BytesIO(data), _PATH))
    except InputError:
        pass


@_FUZZ
@given(st.binary(max_size=2000))
def test_class17_jsonl_reader_survives_arbitrary_bytes(data: bytes) -> None:
    try:
        _drain(read_jsonl(io.BytesIO(data), _PATH))
    except InputError:
        pass


@_FUZZ
@given(st.binary(max_size=500))
def test_class17_xlsx_reader_survives_arbitrary_bytes(data: bytes) -> None:
    try:
        _drain(read_xlsx(io.BytesIO(b"PK\x03\x04" + data), _PATH))
    except InputError:
        pass


@_FUZZ
@given(st.integers(min_value=0, max_value=400), st.binary(max_size=40))
def test_class17_csv_with_corrupted_bytes_keeps_its_count(cut: int, junk: bytes) -> None:
    good = csv_text([row("r1"), row("r2", narrative="ok, fine"), row("r3")]).encode()
    data = good[:cut] + junk + good[cut:]
    try:
        records = list(read_csv(io.BytesIO(data), _PATH))
    except InputError:
        return
    assert all(isinstance(r, Row | Unreadable) for r in records)

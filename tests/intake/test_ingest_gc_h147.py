"""Ingest runs without full garbage collections (helper 147): the young generations are still
collected, and the thresholds are what they were after the file, however it ended."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bigfish.intake import ingest_file, service
from bigfish.store import Store
from tests.polling import WAIT

HEADER = "report_id,reported_at,country,narrative,phones\n"


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The process's gc thresholds, set to known values for the test and put back after."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*before)


def _file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "reports.csv"
    lines = [f"R-{i},2024-07-01,TH,call 081 234 {i:04d},081234{i:04d}\n" for i in range(rows)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def _watch_writes(monkeypatch: pytest.MonkeyPatch, seen: list[tuple[int, int, int]]) -> None:
    write_batch = service.write_batch

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(service, "write_batch", watched)


def test_no_full_collection_while_a_file_is_ingested(
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    thresholds: tuple[int, int, int],
) -> None:
    seen: list[tuple[int, int, int]] = []
    _watch_writes(monkeypatch, seen)
    result = ingest_file(sqlite_store, _file(tmp_path, 30), org="th-aoc", classify=False)
    assert result.stored == 30
    assert seen
    assert all(t == (700, 10, service._NO_FULL_GC) for t in seen)
    assert gc.get_threshold() == thresholds


def test_thresholds_come_back_when_the_ingest_fails(
    sqlite_store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    thresholds: tuple[int, int, int],
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        assert gc.get_threshold()[2] == service._NO_FULL_GC
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "write_batch", broken)
    with pytest.raises(RuntimeError, match="went away"):
        ingest_file(sqlite_store, _file(tmp_path, 3), org="th-aoc", classify=False)
    assert gc.get_threshold() == thresholds


def test_overlapping_ingests_restore_once_the_last_ends(
    thresholds: tuple[int, int, int],
) -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    inside: list[tuple[int, int, int]] = []

    def first() -> None:
        with service._no_full_gc():
            first_in.set()
            second_in.wait(WAIT)
        first_out.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(WAIT)
    with service._no_full_gc():
        second_in.set()
        first_out.wait(WAIT)
        inside.append(gc.get_threshold())  # the first has ended: this one is still inside
    thread.join(WAIT)
    assert inside == [(700, 10, service._NO_FULL_GC)]
    assert gc.get_threshold() == thresholds


def test_worker_start_keeps_young_collections(
    monkeypatch: pytest.MonkeyPatch, thresholds: tuple[int, int, int]
) -> None:
    monkeypatch.setattr(service, "_die_with_parent", lambda parent: None)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    service._start_worker(0)
    assert gc.get_threshold() == (700, 10, service._NO_FULL_GC)

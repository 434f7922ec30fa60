"""Review h127: `bigfish ingest` killed outright (SIGKILL: no `finally`, no end written) in the
middle of a file leaves a run's row that says what the committed batches did: each batch is
written with the row's counts in one transaction, so the row counts exactly the reports
stored, and received = stored + updated + rejected holds for what it counts, the duplicates a
batch refuses included (they were counted only at the next batch, so a killed run's row
received more than it stored or rejected); the rejects file holds every rejection the row
counts. `finished_at` stays NULL: the run did not end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.errors import InputError
from bigfish.intake import service
from bigfish.store import Store
from tests.intake.ingest_kill import (
    ROWS,
    big_csv,
    kill_after_a_batch,
    run_rows,
    stopping_file,
    stored_count,
)


def test_a_killed_ingest_leaves_a_row_counting_what_it_committed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    big_csv(path)
    kill_after_a_batch(sqlite_store, path, f"sqlite:///{tmp_path / 'bigfish.db'}")
    [run] = run_rows(sqlite_store)
    stored = stored_count(sqlite_store)
    assert 0 < stored < ROWS * 98 // 100  # killed after a batch, before the end
    assert run["finished_at"] is None  # it did not end
    assert (run["stored"], run["updated"]) == (stored, 0)
    assert run["received"] == run["stored"] + run["updated"] + run["rejected"], run
    assert run["rejected"] > 0
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text().splitlines()
    assert len(rejects) >= run["rejected"], (len(rejects), run)
    reasons = [json.loads(line)["reason"] for line in rejects[: run["rejected"]]]
    assert any(r.startswith("duplicate report_id") for r in reasons)
    assert any(r.startswith("not a valid date") for r in reasons)


def test_a_batch_run_again_refuses_its_duplicates_once(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's refusals are written to the rejects file in its transaction's attempt; an
    attempt the database undid (a deadlock) leaves none of them behind for the next."""
    real = service.transaction_with_ids
    undone: list[int] = []

    def undone_once(store: Store, ids: Any, work: Callable[[sa.Connection], Any]) -> Any:
        with store.engine.connect() as conn:
            transaction = conn.begin()
            work(conn)
            transaction.rollback()
        undone.append(1)
        return real(store, ids, work)

    monkeypatch.setattr(service, "transaction_with_ids", undone_once)
    path = tmp_path / "dup.csv"
    path.write_text(
        "report_id,reported_at,country,phones\n"
        "R1,2025-03-01,TH,0812345678\nR1,2025-03-01,TH,0812345679\nR2,2025-13-45,TH,\n"
    )
    result = service.ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert undone == [1]
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    rejects = [json.loads(line) for line in result.rejects_path.read_text().splitlines()]  # type: ignore[union-attr]
    assert [(r["line"], r["reason"][:22]) for r in rejects] == [
        (4, "not a valid date '2025"),
        (3, "duplicate report_id (f"),
    ]
    [run] = run_rows(sqlite_store)
    assert (run["received"], run["stored"], run["rejected"]) == (3, 1, 2)


def test_a_refused_file_leaves_no_run_that_never_ends(sqlite_store: Store, tmp_path: Path) -> None:
    """A file refused whole (its columns separated by ';') left a run's row with finished_at
    NULL for ever, as a run killed or still going; it committed nothing: no run is kept."""
    path = tmp_path / "eu.csv"
    path.write_text("report_id;reported_at;country\nR1;2025-03-01;TH\n")
    with pytest.raises(InputError, match="separated by ';'"):
        service.ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    assert run_rows(sqlite_store) == []
    good = tmp_path / "good.csv"
    good.write_text("report_id,reported_at,country\nR1,2025-03-01,TH\n")
    service.ingest_file(sqlite_store, good, org="a", workers=0, classify=False)
    assert [
        (r["source"], r["received"], r["finished_at"] is None) for r in run_rows(sqlite_store)
    ] == [(str(good), 1, False)]


def test_a_file_stopping_after_a_committed_batch_keeps_its_run(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that committed a batch before its file failed keeps its row, counting it (the
    records are read and prepared a chunk of 1,000 at a time)."""
    path = tmp_path / "f.csv"
    stopping_file(path, monkeypatch, InputError("the file stopped", file=str(path)))
    with pytest.raises(InputError, match="the file stopped"):
        service.ingest_file(sqlite_store, path, org="a", workers=0, classify=False, batch_size=2)
    [run] = run_rows(sqlite_store)
    assert (run["received"], run["stored"], run["finished_at"]) == (1000, 1000, None)

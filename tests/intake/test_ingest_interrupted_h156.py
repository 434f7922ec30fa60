"""An ingest stopped (Ctrl-C, or a refused rejects file) between writing its run's row and
reading its file, or while ending the run, left the row with no end and no error: "under way"
in `bigfish ingest --runs` until the file was next ingested, which then said it "did not
finish". Every way out now ends the row: forgotten when the run committed nothing, else saying
why it stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.cli._ingest_runs import list_ingest_runs, run_status
from bigfish.cli._runs import RunStatus
from bigfish.errors import InputError
from bigfish.intake import service
from bigfish.store import Store
from bigfish.store.schema import ingest_runs, reports


def _small_csv(path: Path) -> Path:
    rows = "".join(f"S{n},2025-03-01,TH,08{n:08d}\n" for n in range(1, 4))
    path.write_text("report_id,reported_at,country,phones\n" + rows)
    return path


def _runs(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(ingest_runs)).mappings()]


def _stored(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one())


def _raise(error: BaseException) -> Any:
    def step(*args: object, **kwargs: object) -> None:
        raise error

    return step


@pytest.mark.parametrize("step", ["_Rejects", "IdentifierIds"])
def test_a_ctrl_c_before_the_file_is_read_leaves_no_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    path = _small_csv(tmp_path / "a.csv")
    monkeypatch.setattr(service, step, _raise(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        service.ingest_file(store, path, org="th-aoc", classify=False)
    assert _runs(store) == []  # committed nothing: no run was made
    assert _stored(store) == 0


def test_a_rejects_file_that_cannot_be_written_leaves_no_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_csv(tmp_path / "a.csv")
    refused = InputError("cannot write the reasons of rejected records", file=str(path))
    monkeypatch.setattr(service, "_Rejects", _raise(refused))
    with pytest.raises(InputError):
        service.ingest_file(store, path, org="th-aoc", classify=False)
    assert _runs(store) == []


def test_a_ctrl_c_while_ending_the_run_says_it_was_interrupted(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _small_csv(tmp_path / "a.csv")
    real_stamp = service.stamp_now
    calls: list[int] = []

    def stamp_then_interrupt(conn: sa.Connection) -> Any:
        calls.append(1)
        if len(calls) > 1:  # the run's end, after its batch was committed
            raise KeyboardInterrupt
        return real_stamp(conn)

    monkeypatch.setattr(service, "stamp_now", stamp_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        service.ingest_file(store, path, org="th-aoc", classify=False)
    assert _stored(store) == 3
    [run] = _runs(store)
    assert (run["error"], run["finished_at"]) == ("interrupted (Ctrl-C)", None)
    assert (run["received"], run["stored"]) == (3, 3)
    [listed] = list_ingest_runs(store)
    assert run_status(listed) is RunStatus.FAILED


def test_a_ctrl_c_while_reading_before_any_batch_leaves_no_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Already so before: kept so."""
    path = _small_csv(tmp_path / "a.csv")
    monkeypatch.setattr(service, "_records", _raise(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        service.ingest_file(store, path, org="th-aoc", classify=False)
    assert _runs(store) == []
    assert not (tmp_path / "a.csv.rejects.jsonl").exists()

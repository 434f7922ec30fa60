"""Review h128: an ingest run that never ended (killed outright: SIGKILL, its machine stopped)
is said to have not finished by the next ingest of the same file by the same organization: its
row's `error` becomes `DID_NOT_FINISH`, `finished_at` stays NULL (when it stopped is not
known), its counts stay what it committed. Runs of other files, or of other organizations, are
left alone (two files ingested at once is normal). A run so marked while in fact still going
(the file ingested twice at once) ends truthfully: its end writes error NULL over the mark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import InputError
from bigfish.intake import service
from bigfish.organizations import ensure_org
from bigfish.store import Store
from bigfish.store.schema import ingest_runs
from tests.intake.ingest_kill import ROWS, big_csv, kill_after_a_batch, run_rows, stopping_file

#: The text, as a literal: the tests say what a reader of the row sees.
MARK = (
    "did not finish: the ingest stopped without ending (killed, or its machine stopped); it "
    "counts what it committed until then"
)


def _small_csv(path: Path, first: int = 1) -> None:
    rows = "".join(f"S{n},2025-03-01,TH,08{n:08d}\n" for n in range(first, first + 3))
    path.write_text("report_id,reported_at,country,phones\n" + rows)


def _unended_run(store: Store, org: str, source: str) -> int:
    """A run's row as an ingest under way (or killed) leaves it: no end, no error."""
    with store.begin() as conn:
        org_id = ensure_org(conn, org)
        return int(
            conn.execute(
                ingest_runs.insert()
                .values(
                    org_id=org_id,
                    source=source,
                    started_at=datetime(2025, 1, 2, tzinfo=UTC),
                    received=5,
                    stored=5,
                )
                .returning(ingest_runs.c.id)
            ).scalar_one()
        )


def _by_id(store: Store) -> dict[int, dict[str, Any]]:
    return {run["id"]: run for run in run_rows(store)}


def test_the_next_ingest_of_a_killed_file_says_its_run_did_not_finish(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    big_csv(path)
    other = tmp_path / "other.csv"
    going = _unended_run(sqlite_store, "th-aoc", str(other))  # another file's run, under way
    kill_after_a_batch(sqlite_store, path, f"sqlite:///{tmp_path / 'bigfish.db'}")
    [killed] = [run for run in run_rows(sqlite_store) if run["id"] != going]
    assert 0 < killed["stored"] < ROWS * 98 // 100
    assert (killed["finished_at"], killed["error"]) == (None, None)  # nothing said it stopped

    # The same file again (sent again, cut short to a few rows: the same name is the same source).
    _small_csv(path)
    result = service.ingest_file(sqlite_store, path, org="th-aoc", workers=0, classify=False)
    runs = _by_id(sqlite_store)
    assert runs[killed["id"]] == {**killed, "error": MARK}  # only the error: counts, no end
    assert (runs[going]["finished_at"], runs[going]["error"]) == (None, None)
    new = runs[result.run_id]
    assert (new["source"], new["received"], new["error"]) == (str(path), 3, None)
    assert new["finished_at"] is not None


def test_only_the_same_organizations_runs_of_the_same_file_are_marked(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "reports.csv"
    _small_csv(path)
    same = _unended_run(store, "a", str(path))
    other_file = _unended_run(store, "a", str(tmp_path / "more.csv"))
    other_org = _unended_run(store, "b", str(path))
    api = _unended_run(store, "a", "api")
    ended = service.ingest_file(store, path, org="a", workers=0, classify=False).run_id
    runs = _by_id(store)
    assert runs[same]["error"] == MARK
    assert (runs[same]["finished_at"], runs[same]["received"], runs[same]["stored"]) == (
        None,
        5,
        5,
    )
    for untouched in (other_file, other_org, api):
        assert (runs[untouched]["finished_at"], runs[untouched]["error"]) == (None, None)
    assert runs[ended]["error"] is None and runs[ended]["finished_at"] is not None
    # A third ingest leaves the runs that ended, and the one already marked, as they are.
    again = service.ingest_file(store, path, org="a", workers=0, classify=False).run_id
    after = _by_id(store)
    assert after[same] == runs[same] and after[ended] == runs[ended]
    assert after[again]["error"] is None


def test_a_run_marked_while_still_going_ends_truthfully(store: Store, tmp_path: Path) -> None:
    """The file ingested twice at once: the second marks the first, which then ends (error
    NULL over the mark); the second's run ends too."""
    path = tmp_path / "twice.csv"
    rows = "".join(f"R{n},2025-03-01,TH\n" for n in range(1500))
    path.write_text("report_id,reported_at,country\n" + rows)
    inner: list[int] = []

    def progress(done: int, total: int) -> None:
        if not inner:  # after the first run's first committed batch, outside its transaction
            (first,) = [run for run in run_rows(store) if run["finished_at"] is None]
            assert first["error"] is None
            inner.append(
                service.ingest_file(store, path, org="a", workers=0, classify=False).run_id
            )
            marked = _by_id(store)[first["id"]]
            assert (marked["finished_at"], marked["error"]) == (None, MARK)

    outer = service.ingest_file(
        store, path, org="a", workers=0, classify=False, batch_size=500, progress=progress
    ).run_id
    runs = _by_id(store)
    assert len(inner) == 1 and set(runs) == {outer, inner[0]}
    for run in runs.values():
        assert run["finished_at"] is not None and run["error"] is None, run
    assert runs[outer]["received"] == 1500


def test_a_refused_file_still_says_its_earlier_run_did_not_finish(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The marking is the new run's first transaction; a file then refused whole leaves no run
    of its own (04ddb41) but the earlier run stays marked: it is not going either way."""
    path = tmp_path / "eu.csv"
    earlier = _unended_run(sqlite_store, "a", str(path))
    path.write_text("report_id;reported_at;country\nR1;2025-03-01;TH\n")
    with pytest.raises(InputError, match="separated by ';'"):
        service.ingest_file(sqlite_store, path, org="a", workers=0, classify=False)
    [run] = run_rows(sqlite_store)
    assert (run["id"], run["error"], run["finished_at"]) == (earlier, MARK, None)


def test_a_run_stopping_after_a_batch_says_why_and_is_not_marked_later(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose file failed after a committed batch keeps its row (04ddb41), which now says
    why it stopped; the next ingest of the file does not take it for one killed."""
    path = tmp_path / "f.csv"
    real = stopping_file(path, monkeypatch, InputError("the file stopped", file=str(path)))
    with pytest.raises(InputError, match="the file stopped"):
        service.ingest_file(store, path, org="a", workers=0, classify=False, batch_size=2)
    [failed] = run_rows(store)
    assert (failed["received"], failed["stored"], failed["finished_at"]) == (1000, 1000, None)
    assert failed["error"] == f"{path}: the file stopped"
    monkeypatch.setattr(service, "_records", real)
    service.ingest_file(store, path, org="a", workers=0, classify=False)
    assert _by_id(store)[failed["id"]] == failed


def test_a_run_interrupted_after_a_batch_says_so(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.csv"
    stopping_file(path, monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        service.ingest_file(sqlite_store, path, org="a", workers=0, classify=False, batch_size=2)
    [run] = run_rows(sqlite_store)
    assert (run["stored"], run["finished_at"], run["error"]) == (1000, None, "interrupted (Ctrl-C)")

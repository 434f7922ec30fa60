"""What the ingest kill tests share (tests/intake/test_ingest_kill_h127.py and _h128.py): a
file of many rows, and `bigfish ingest` of it in a process killed outright (SIGKILL: no
`finally`, no end written) once it has committed a batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import service
from bigfish.store import Store
from bigfish.store.schema import ingest_runs, reports
from tests.polling import WAIT, eventually

#: The rows of the file; a batch (2,000 reports) is committed within the first 2,100.
ROWS = 200_000
#: `service._records`: the records of a file, as its reader gives them.
Reader = Callable[..., Iterator[Any]]


def big_csv(path: Path) -> None:
    """ROWS rows: every 100th a second copy of the report_id before it (refused by the batch
    it is in, as a duplicate), every 100th from the 50th a bad date (rejected as read)."""
    lines = ["report_id,reported_at,country,loss_amount,loss_currency,phones\n"]
    for n in range(1, ROWS + 1):
        report_id = f"R{n - 1}" if n % 100 == 0 else f"R{n}"
        day = "2025-13-45" if n % 100 == 50 else "2025-03-01"
        lines.append(f"{report_id},{day},TH,{n},THB,08{n % 100_000_000:08d}\n")
    path.write_text("".join(lines))


def stored_count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one())


def run_rows(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(ingest_runs)).mappings()]


def kill_after_a_batch(store: Store, path: Path, url: str) -> None:
    """`bigfish ingest PATH --org th-aoc` into the store at URL (STORE), in a process killed
    with SIGKILL once a report is stored (or it ended); it must have been killed so."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bigfish", "--db", url, "ingest", str(path), "--org", "th-aoc"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        committed = eventually(lambda: stored_count(store) > 0 or process.poll() is not None)
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
    assert committed and process.returncode == -signal.SIGKILL, stderr


def stopping_file(path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> Reader:
    """A file of 1,500 reports at PATH whose reading (`service._records`) raises ERROR after
    its last record, as a file that stops after a committed batch; the real reader returned."""
    rows = "".join(f"R{n},2025-03-01,TH\n" for n in range(1500))
    path.write_text("report_id,reported_at,country\n" + rows)
    real: Reader = service._records

    def then_stops(*args: Any) -> Iterator[Any]:
        yield from real(*args)
        raise error

    monkeypatch.setattr(service, "_records", then_stops)
    return real

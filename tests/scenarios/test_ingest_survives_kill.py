"""Classes 22 and 23 of spec/security-tests.md: kill -9 of the ingest at random moments.

After every kill each stored report is there exactly once with all its identifiers; a final
run completes without duplicates, and the store's signature (count + hash of the canonical
rows) equals that of a clean ingest of the same file.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.intake import forks_workers, ingest_file
from bigfish.store import open_store
from bigfish.store.schema import identifiers, mentions, reports
from tests.polling import WAIT

from ..intake.conftest import csv_text, row

#: Four of the ingest's batches (it commits every `batch_size` reports), in a file of 1.2 MiB:
#: above the size whose ingest forks worker processes (`forks_workers`), as the kills need.
#: (12,000 shorter rows made six batches: eight ingests of 12,000 rows, most of them of rows
#: stored before, cost 45 s.)
ROWS = 8000
BATCH: int = inspect.signature(ingest_file).parameters["batch_size"].default


def _write_file(path: Path) -> None:
    rows = [
        row(
            f"r{i:05d}-{uuid.UUID(int=i)}",
            phones=f"08{i % 97:02d}{i:06d}"[:10],
            urls=f"https://scam{i % 301}.example.com/th/promo/{i}/claim-your-reward",
            loss_amount=str(100 + i),
        )
        for i in range(ROWS)
    ]
    path.write_text(csv_text(rows), encoding="utf-8")


def _ingest(db: Path, data: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bigfish", "--db", f"sqlite:///{db}", "ingest", str(data)]
    return subprocess.Popen(
        [*cmd, "--org", "th-aoc"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _stored_so_far(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=WAIT) as conn:
            return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])
    except sqlite3.Error:  # not created yet
        return 0


def _kill_mid_ingest(db: Path, data: Path, rng: random.Random) -> None:
    """Start an ingest, wait until it has committed something new (start-up time varies with
    the machine's load), then kill it with SIGKILL after a random delay."""
    before = _stored_so_far(db)
    proc = _ingest(db, data)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if _stored_so_far(db) > before:
            break
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + WAIT
    while _processes_of(db) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _processes_of(db), "the killed ingest left worker processes behind"


def _processes_of(db: Path) -> list[int]:
    """Live processes whose command line names DB (the ingest and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile
            continue
        if str(db).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def signature(db: Path) -> tuple[int, str, int]:
    """(reports, hash of canonical rows, reports without identifiers)."""
    store = open_store(f"sqlite:///{db}")
    with store.connect() as conn:
        query = (
            sa.select(reports.c.report_id, reports.c.loss_amount, identifiers.c.canonical)
            .select_from(reports)
            .join(mentions, mentions.c.report_pk == reports.c.id, isouter=True)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id, isouter=True)
            .order_by(reports.c.report_id, identifiers.c.canonical)
        )
        digest = hashlib.sha256()
        seen: set[str] = set()
        bare = 0
        for report_id, amount, canonical in conn.execute(query):
            seen.add(report_id)
            bare += canonical is None
            digest.update(f"{report_id}|{amount}|{canonical}\n".encode())
        count = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    store.close()
    assert count == len(seen), "a report_id stored twice"
    return int(count), digest.hexdigest(), bare


@pytest.mark.slow
def test_class22_kill_minus_9_never_leaves_partial_or_duplicate_reports(tmp_path: Path) -> None:
    data = tmp_path / "th.csv"
    _write_file(data)
    assert forks_workers(data)
    clean_db = tmp_path / "clean.db"
    assert _ingest(clean_db, data).wait(timeout=300) == 0
    expected = signature(clean_db)
    assert expected[0] == ROWS and expected[2] == 0

    db = tmp_path / "killed.db"
    rng = random.Random(int(os.environ.get("BIGFISH_KILL_SEED", "22")))
    counts = []
    for _ in range(ROWS // BATCH):  # each kill lands after a batch more is committed
        _kill_mid_ingest(db, data, rng)
        if db.exists():
            count, _, bare = signature(db)
            assert bare == 0, "a report was stored without its identifiers"
            counts.append(count)
    proc = _ingest(db, data)
    assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
    assert signature(db) == expected
    assert any(0 < c < ROWS for c in counts), f"no kill landed mid-ingest: {counts}"


def test_class23_every_row_is_stored_or_rejected_with_a_reason(tmp_path: Path) -> None:
    rows = [row(f"r{i}") for i in range(50)] + [row("bad", country="QQ"), row("r1")]
    data = tmp_path / "mixed.csv"
    data.write_text(csv_text(rows), encoding="utf-8")
    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    result = ingest_file(store, data, org="a")
    assert result.received == result.stored + result.updated + result.rejected == 52
    rejects = data.with_name(data.name + ".rejects.jsonl").read_text().splitlines()
    assert len(rejects) == result.rejected == 2

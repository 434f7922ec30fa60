"""The audit writer: one hash chain however many processes write, each request acknowledged only
once its row is committed (security class 19)."""

from __future__ import annotations

import fcntl
import os
import threading
from concurrent.futures import Future
from pathlib import Path

from bigfish.audit import AuditEntry, AuditWriter, verify_audit
from bigfish.store import Store, open_store
from tests.polling import WAIT


def _entry(i: int) -> AuditEntry:
    return AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


def test_writers_of_two_workers_keep_one_chain(store_url: str) -> None:
    """Two writers on two engines (as two uvicorn workers have) append to the same chain."""
    stores = [open_store(store_url), open_store(store_url)]
    writers = [AuditWriter(s) for s in stores]
    futures: list[Future[int]] = []
    lock = threading.Lock()

    def submit(writer: AuditWriter, start: int) -> None:
        for i in range(start, start + 150):
            future = writer.submit(_entry(i))
            with lock:
                futures.append(future)

    threads = [
        threading.Thread(target=submit, args=(w, n * 1000)) for n, w in enumerate(writers * 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = sorted(f.result(timeout=60) for f in futures)
    for writer in writers:
        writer.close()
    assert seqs == list(range(1, 601))
    check = verify_audit(stores[0])
    assert check.ok and check.rows == 600
    for s in stores:
        s.close()


def test_a_sqlite_writer_waits_its_turn_on_the_lock_file(sqlite_store: Store) -> None:
    """While another process holds the audit lock file, nothing is committed or acknowledged."""
    database = sqlite_store.engine.url.database
    assert database is not None
    writer = AuditWriter(sqlite_store)
    fd = os.open(database + "-audit.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        future = writer.submit(_entry(1))
        threading.Event().wait(0.3)
        assert not future.done()
        assert verify_audit(sqlite_store).rows == 0
    finally:
        os.close(fd)
    assert future.result(timeout=WAIT) == 1
    writer.close()
    assert verify_audit(sqlite_store).ok and Path(database + "-audit.lock").exists()

"""The audit writer's batching: requests on an event loop are acknowledged together once their
batch is committed, and a batch waits for the entries of requests that announced themselves
(security class 19: nothing acknowledged that is not committed)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

from bigfish.audit import AuditEntry, AuditWriter, verify_audit
from bigfish.store import Store
from tests.api.helpers import Partnership
from tests.polling import WAIT


def _entry(i: int) -> AuditEntry:
    return AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


def _lock_file(store: Store) -> str:
    database = store.engine.url.database
    assert database is not None
    return database + "-audit.lock"


def test_one_wake_up_of_the_loop_per_committed_batch(sqlite_store: Store) -> None:
    """Twenty requests queued while another process writes are committed in one transaction
    and resolved with one call into their event loop, each with its own seq."""
    writer = AuditWriter(sqlite_store)
    fd = os.open(_lock_file(sqlite_store), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # "another process" holds the turn
    wake_ups: list[Callable[..., Any]] = []

    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            wake_ups.append(callback)
            return original(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        tasks = [asyncio.ensure_future(writer.record(_entry(i))) for i in range(20)]
        await asyncio.sleep(0)  # every task has queued its entry
        assert not any(task.done() for task in tasks)
        assert verify_audit(sqlite_store).rows == 0
        os.close(fd)  # the other process's turn ends
        return list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=WAIT))

    try:
        seqs = asyncio.run(scenario())
    finally:
        writer.close()
    assert sorted(seqs) == list(range(1, 21))
    assert seqs == sorted(seqs)  # in the order the requests queued
    assert len(wake_ups) <= 2  # the first entry may have gone alone; never one per request
    check = verify_audit(sqlite_store)
    assert check.ok and check.rows == 20


def test_the_lock_file_is_released_after_each_turn(sqlite_store: Store) -> None:
    """The writer keeps the lock file open between turns but never holds the lock idle."""
    writer = AuditWriter(sqlite_store)
    assert writer.submit(_entry(1)).result(timeout=WAIT) == 1
    fd = os.open(_lock_file(sqlite_store), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the writer still held it
    finally:
        os.close(fd)
    assert writer.submit(_entry(2)).result(timeout=WAIT) == 2
    writer.close()
    assert verify_audit(sqlite_store).ok


def test_a_batch_waits_for_an_announced_request(store: Store) -> None:
    """While an announced request is still being answered, the entry before it is not yet
    committed; the two are committed together, and nothing is acknowledged before that."""
    writer = AuditWriter(store, gather=60.0)
    committed = threading.Event()

    async def scenario() -> tuple[int, int]:
        writer.announce()
        writer.announce()
        first = asyncio.ensure_future(writer.record(_entry(1), announced=True))
        await asyncio.sleep(0.2)
        assert not first.done()  # waits for the second announced request
        assert verify_audit(store).rows == 0
        second = await asyncio.wait_for(writer.record(_entry(2), announced=True), timeout=WAIT)
        committed.set()
        return await first, second

    try:
        seqs = asyncio.run(scenario())
    finally:
        writer.close()
    assert committed.is_set() and seqs == (1, 2)
    assert writer.announced == 0
    assert verify_audit(store).rows == 2


def test_a_withdrawn_request_holds_no_batch_back(sqlite_store: Store) -> None:
    """A request that ends without an entry withdraws: the next batch does not wait for it."""
    writer = AuditWriter(sqlite_store, gather=60.0)

    async def scenario() -> int:
        writer.announce()
        writer.withdraw()
        return await asyncio.wait_for(writer.record(_entry(1)), timeout=WAIT)

    try:
        assert asyncio.run(scenario()) == 1
    finally:
        writer.close()
    assert writer.announced == 0


def test_every_answer_ends_its_announcement(sqlite_partnership: Partnership) -> None:
    """Answers of every kind (200, 401, 404, 405, 422) leave no request announced."""
    c = sqlite_partnership.client
    h = sqlite_partnership.headers("A")
    statuses = [
        c.get("/api/v1/lookup", params={"kind": "phone", "value": "+66812345678"}, headers=h),
        c.get("/api/v1/lookup", params={"kind": "phone", "value": "1"}),
        c.get("/api/v1/nothing-here", headers=h),
        c.put("/api/v1/lookup", headers=h),
        c.get("/api/v1/lookup", params={"kind": "fax", "value": "1"}, headers=h),
    ]
    assert [r.status_code for r in statuses] == [200, 401, 404, 405, 422]
    writer = c.app.state.audit_writer  # type: ignore[attr-defined]
    assert isinstance(writer, AuditWriter)
    assert writer.announced == 0
    assert verify_audit(sqlite_partnership.store).rows == 5


def test_a_failed_batch_is_not_acknowledged_and_the_next_one_commits(store: Store) -> None:
    """A statement failing in the middle of a batch fails every request of it (none is
    acknowledged), leaves nothing half-written, and the writer goes on with a fresh connection."""
    writer = AuditWriter(store)
    assert writer.submit(_entry(1)).result(timeout=WAIT) == 1
    chain = writer._chain
    good_sql = chain.insert.sql
    chain.insert.sql = good_sql.replace("audit_log", "no_such_table", 1)
    failed = writer.submit(_entry(2))
    with pytest.raises(Exception, match="no_such_table"):  # the driver's error, passed on
        failed.result(timeout=WAIT)
    chain.insert.sql = good_sql
    assert writer.submit(_entry(3)).result(timeout=WAIT) == 2
    writer.close()
    check = verify_audit(store)
    assert check.ok and check.rows == 2

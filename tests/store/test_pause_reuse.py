"""`settled_newest` on PostgreSQL pauses the writers less often: callers that ask at once share a
pause, and callers that take one (REUSE) the bound a pause read a moment before.

A pause holds off every new writer while it waits for those in flight, so an alerts poll every
few seconds per organization took a good part of the writers' concurrency (measured with
benchmarks/bench_pauses.py). Any bound once settled stays one: every stamp committed after it
was read is later than it. A reused one is only older, and only as long as `REUSE_SECONDS`
(the clock here is the module's `_clock`, set by the tests, never slept on), while no writer
of this process has announced itself since (a process reads its own writes at once), and never
when earlier than where the caller is (`not_before`). Another process's writer is played by a
connection of the driver's own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store, stamps
from bigfish.store.schema_linking import networks
from bigfish.store.stamps import announce_writer, settled_newest
from tests.linking.conftest import Ingest, jsonl_ingest, report

pytestmark = pytest.mark.postgres

NEWEST = sa.select(sa.func.max(networks.c.updated_at))
#: Generous: how long a thread of these tests may take, never a measure of speed.
JOIN_SECONDS = 120.0


class Clock:
    """The module's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    at = Clock()
    monkeypatch.setattr(stamps, "_clock", at)
    return at


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(store, org, rows): ROWS written as JSONL and ingested as ORG, to the partnership."""
    return jsonl_ingest(tmp_path, Marking(TLP.GREEN, Distribution.PARTNERSHIP))


@pytest.fixture
def pauses() -> Iterator[list[str]]:
    """Each exclusive lock a pause of this process asks for (one per pause)."""
    asked: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "pg_advisory_xact_lock(" in statement:
            asked.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", seen)
    try:
        yield asked
    finally:
        sa.event.remove(Engine, "before_cursor_execute", seen)


def test_two_calls_within_the_window_take_one_pause(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    first = _stamp(pg_store, 1)
    assert _settled(pg_store) == first
    assert len(pauses) == 1
    clock.now += stamps.REUSE_SECONDS
    assert _settled(pg_store) == first
    assert len(pauses) == 1


def test_a_call_after_the_window_pauses_again(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    first = _stamp(pg_store, 1)
    assert _settled(pg_store) == first
    later = _stamp_elsewhere(pg_store, 2)  # another process's write: this one never hears of it
    clock.now += stamps.REUSE_SECONDS / 2
    assert _settled(pg_store) == first  # at most that late
    clock.now += stamps.REUSE_SECONDS
    assert _settled(pg_store) == later
    assert len(pauses) == 2


def test_a_call_without_reuse_always_pauses(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    """The default: every caller reads a bound of its own pause (or of one it shares)."""
    first = _stamp(pg_store, 1)
    for _ in range(3):
        with pg_store.connect() as conn:
            assert settled_newest(conn, NEWEST) == first
    assert len(pauses) == 3


def test_a_writer_of_this_process_makes_the_next_call_pause(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    """A process reads its own writes at once: a report it stored, an alert its next poll."""
    _stamp(pg_store, 1)
    _settled(pg_store)
    later = _stamp(pg_store, 2)
    assert _settled(pg_store) == later
    assert len(pauses) == 2


def test_a_bound_before_where_the_caller_is_is_not_reused(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    """NOT_BEFORE (an alerts client's `since`) later than the bound kept: the bound of a pause
    of another process answered it, so this one pauses, and never answers with a bound before
    it when a later one is there to read."""
    first = _stamp(pg_store, 1)
    _settled(pg_store)
    later = _stamp_elsewhere(pg_store, 2)
    assert _settled(pg_store, not_before=first) == first  # not before it: kept
    assert len(pauses) == 1
    assert _settled(pg_store, not_before=later) == later
    assert len(pauses) == 2


def test_a_stamp_committed_after_a_reused_bound_is_later_than_it(
    pg_store: Store, clock: Clock, pauses: list[str]
) -> None:
    """Another process's writer announces itself once the bound was read, stamps, and is still
    in flight: the reused bound is served without waiting for it, and the writer's stamp,
    committed later, is later than it. After the window, a call pauses and reads it."""
    _stamp(pg_store, 1)
    bound = _settled(pg_store)
    assert bound is not None
    with _elsewhere(pg_store) as writer:
        writer.execute("SELECT pg_advisory_xact_lock_shared(%s)", (stamps.WRITE_LOCK,))
        stamp = _insert(writer, 2)
        assert _in_a_thread(lambda: _settled(pg_store)) == bound  # a pause waits for the writer
    assert stamp > bound
    assert _settled(pg_store) == bound  # at most REUSE_SECONDS late
    clock.now += stamps.REUSE_SECONDS * 2
    assert _settled(pg_store) == stamp
    assert len(pauses) == 2


def test_callers_at_once_share_one_pause_that_reads_after_each_came(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch, pauses: list[str]
) -> None:
    """Four callers without REUSE while a writer is in flight: the first pauses and waits for
    the writer, the other three join it, and all four read the writer's stamp (the read began
    after each of them came)."""
    joined = threading.Semaphore(0)

    class Counted(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            joined.release()
            return super().wait(timeout)

    class Round(stamps._Round):
        def __init__(self) -> None:
            super().__init__()
            self.done = Counted()

    monkeypatch.setattr(stamps, "_Round", Round)
    _stamp(pg_store, 1)
    read: list[datetime | None] = []

    def caller() -> None:
        with pg_store.connect() as conn:
            read.append(settled_newest(conn, NEWEST))

    with pg_store.engine.connect() as writer, writer.begin():
        announce_writer(writer)
        stamp = datetime.now(UTC)
        writer.execute(networks.insert().values(id=2, created_at=stamp, updated_at=stamp))
        first = threading.Thread(target=caller)
        first.start()
        _until_a_pause_waits(pg_store)
        others = [threading.Thread(target=caller) for _ in range(3)]
        for thread in others:
            thread.start()
        for _ in others:
            assert joined.acquire(timeout=JOIN_SECONDS)
    for thread in [first, *others]:
        thread.join(timeout=JOIN_SECONDS)
    assert read == [stamp] * 4
    assert len(pauses) == 1


def test_an_alerts_poll_reuses_the_bound_but_never_goes_back_before_since(
    pg_store: Store, clock: Clock, pauses: list[str], ingest: Ingest
) -> None:
    """Polls from the last `as_of` take the bound kept; a `since` after it (the `as_of` a
    later pause of another process answered) makes the poll pause: its `as_of` is never before
    the client's `since` when there is a later bound to read."""
    ingest(pg_store, "th-aoc", [report("v0", ("phone", "0811111111"))])
    ingest(pg_store, "telco", [report("t0", ("phone", "0811111111"))])
    viewer = viewer_as(pg_store, "th-aoc")
    first = list_alerts(pg_store, viewer)
    assert [a.report_id for a in first.alerts] == ["t0"]
    assert first.as_of is not None
    paused = len(pauses)
    again = list_alerts(pg_store, viewer, since=first.as_of)
    assert (again.alerts, again.as_of) == ((), first.as_of)
    assert len(pauses) == paused  # the bound kept
    ahead = first.as_of + timedelta(microseconds=1)
    assert list_alerts(pg_store, viewer, since=ahead).as_of == first.as_of  # none later
    assert len(pauses) == paused + 1


def _settled(store: Store, not_before: datetime | None = None) -> datetime | None:
    with store.connect() as conn:
        return settled_newest(conn, NEWEST, reuse=True, not_before=not_before)


def _stamp(store: Store, network_id: int) -> datetime:
    """A network stamped now, by a writer of this process (it commits here)."""
    stamp = datetime.now(UTC)
    with store.engine.begin() as conn:
        announce_writer(conn)
        conn.execute(networks.insert().values(id=network_id, created_at=stamp, updated_at=stamp))
    return stamp


def _stamp_elsewhere(store: Store, network_id: int) -> datetime:
    """A network stamped now by another process's writer (`_elsewhere`)."""
    with _elsewhere(store) as conn:
        return _insert(conn, network_id)


@contextmanager
def _elsewhere(store: Store) -> Iterator[psycopg.Connection[Any]]:
    """A transaction on a connection of the driver's own, committed at the end, as another
    process's would be: nothing of this process hears of it."""
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        yield conn


def _insert(conn: psycopg.Connection[Any], network_id: int) -> datetime:
    stamp = datetime.now(UTC)
    conn.execute(
        "INSERT INTO networks (id, status, created_at, updated_at, report_count, score,"
        " total_loss_usd, growth_30d, community_split)"
        " VALUES (%s, 'active', %s, %s, 0, 0, 0, 0, false)",
        (network_id, stamp, stamp),
    )
    return stamp


def _in_a_thread(work: Any) -> Any:
    """WORK's result, from a thread: a call that would wait for this one fails, never hangs."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(timeout=JOIN_SECONDS)
    assert result, "the call waited (for the writer in flight?)"
    return result[0]


def _until_a_pause_waits(store: Store) -> None:
    """Return once some session waits for an advisory lock (no fixed sleep)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    with store.engine.connect() as conn:
        for _ in range(int(JOIN_SECONDS * 100)):
            if conn.execute(waiting).scalar():
                return
            conn.rollback()
            threading.Event().wait(0.01)
    raise AssertionError("the pause never waited for the writer")

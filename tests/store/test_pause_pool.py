"""`writers_paused` on PostgreSQL takes its second connection from a small pool of its own.

A pause holds its caller's pooled connection while it takes the exclusive lock on another:
from the store's pool, as many pauses at once as that pool holds (TAXII first pages, link runs)
each waited for a connection none would return, and failed when the pool timed out.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool, QueuePool

from bigfish.errors import StoreError
from bigfish.store import Store, stamps
from bigfish.store.stamps import PAUSE_CONNECTIONS, announce_writer, writers_paused

pytestmark = pytest.mark.postgres

#: Generous: how long a thread of these tests may take, never a measure of speed.
JOIN_SECONDS = 120.0
_THIS_DATABASE = "(SELECT oid FROM pg_database WHERE datname = current_database())"
_WAITING = sa.text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
    f"AND database = {_THIS_DATABASE}"
)
_PAUSE_SESSIONS = sa.text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name = :name"
)


@pytest.fixture(autouse=True)
def pause_sessions(monkeypatch: pytest.MonkeyPatch) -> sa.TextClause:
    """Counts the sessions of this test's pauses: their application name is the test's own,
    so pause connections of stores that earlier tests of this worker left open (same
    database) are not counted."""
    name = f"{stamps.PAUSE_APPLICATION} {uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(stamps, "PAUSE_APPLICATION", name)  # read when a pause pool is made
    return _PAUSE_SESSIONS.bindparams(name=name)


@pytest.fixture
def outsider(pg_store: Store) -> Iterator[sa.Engine]:
    """An engine on the same database without a pool: a writer, and eyes on the server."""
    engine = sa.create_engine(pg_store.engine.url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def test_as_many_callers_as_the_pool_holds_all_pause_at_once(
    pg_store: Store, outsider: sa.Engine, pause_sessions: sa.TextClause
) -> None:
    """Every connection of the store's pool is held by a caller that pauses, all at once and
    behind a writer in flight: each pauses and reads once the writer has committed. Before,
    none could get a second connection; those that failed when the pool timed out let others
    through (measured with the pool's own 30 s: 8 of 15 failed)."""
    pool = pg_store.engine.pool
    assert isinstance(pool, QueuePool)
    callers = pool.size() + pool._max_overflow  # 5 + 10 as the store makes its engine
    # The pauses never take a connection of this pool; shortened only so that the old code,
    # which did, fails in seconds rather than the pool's 30.
    pool._timeout = 2.0
    barrier = threading.Barrier(callers + 1)
    outcomes: list[str] = []
    record = threading.Lock()

    def caller() -> None:
        with pg_store.connect() as conn:
            barrier.wait(timeout=JOIN_SECONDS)
            try:
                with writers_paused(conn):
                    conn.execute(sa.text("SELECT 1"))
                outcome = "paused"
            except Exception as exc:  # what each caller met is the assertion below
                outcome = type(exc).__name__
        with record:
            outcomes.append(outcome)

    with outsider.connect() as writer, writer.begin():
        announce_writer(writer)
        threads = [threading.Thread(target=caller) for _ in range(callers)]
        for thread in threads:
            thread.start()
        barrier.wait(timeout=JOIN_SECONDS)
        _until(outsider, _WAITING, lambda waiting: waiting > 0)  # a pause waits for the writer
        with outsider.connect() as conn:  # the others wait for a connection of the pauses' pool
            assert conn.execute(pause_sessions).scalar_one() <= PAUSE_CONNECTIONS
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert outcomes == ["paused"] * callers


def test_closing_the_store_closes_the_pauses_connections(
    pg_store: Store, outsider: sa.Engine, pause_sessions: sa.TextClause
) -> None:
    with outsider.connect() as conn:
        assert conn.execute(pause_sessions).scalar_one() == 0
    with pg_store.connect() as conn, writers_paused(conn):
        pass
    with outsider.connect() as conn:
        assert conn.execute(pause_sessions).scalar_one() == 1  # kept for the next pause
    pg_store.close()
    _until(outsider, pause_sessions, lambda sessions: sessions == 0)
    with pg_store.connect() as conn, writers_paused(conn):  # a closed store opens again
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    pg_store.close()
    _until(outsider, pause_sessions, lambda sessions: sessions == 0)


def test_a_pause_that_waits_too_long_for_a_connection_is_a_store_error(
    pg_store: Store, outsider: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both of the pauses' connections wait behind a writer in flight: a third pause gives up
    after PAUSE_WAIT with a StoreError (the API's 503), naming no URL."""
    monkeypatch.setattr(stamps, "PAUSE_WAIT", 0.2)  # read when the store's first pause is made
    queued = threading.Barrier(PAUSE_CONNECTIONS + 1)
    refused: list[BaseException] = []

    def pause() -> None:
        with pg_store.connect() as conn:
            queued.wait(timeout=JOIN_SECONDS)
            with writers_paused(conn):
                pass

    def third() -> None:
        with pg_store.connect() as conn:
            try:
                with writers_paused(conn):
                    pass
            except StoreError as exc:
                refused.append(exc)

    with outsider.connect() as writer, writer.begin():
        announce_writer(writer)
        threads = [threading.Thread(target=pause) for _ in range(PAUSE_CONNECTIONS)]
        for thread in threads:
            thread.start()
        queued.wait(timeout=JOIN_SECONDS)
        _until(outsider, _WAITING, lambda waiting: waiting == PAUSE_CONNECTIONS)
        late = threading.Thread(target=third)  # a thread: a pause that never gives up fails,
        late.start()  # once the writer commits, instead of waiting for it here for ever
        late.join(timeout=JOIN_SECONDS)
    for thread in [*threads, late]:
        thread.join(timeout=JOIN_SECONDS)
    assert len(refused) == 1
    assert "pause" in str(refused[0])
    assert "postgresql" not in str(refused[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_process_pauses_on_connections_of_its_own(pg_store: Store) -> None:
    """A child forked after the parent paused makes its own pause connection: it neither
    shares the parent's session nor closes it (the parent's next pause is on the same one)."""
    backend = sa.text("SELECT pg_backend_pid()")
    parents = _pause_session(pg_store)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
        code = 1
        try:
            os.close(read)
            pg_store.engine.dispose(close=False)  # the store's own pool is the parent's too
            with pg_store.connect() as conn, writers_paused(conn):
                conn.execute(backend)
            os.write(write, str(_pause_session(pg_store)).encode())
            pg_store.engine.dispose()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        childs = pipe.read()
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert int(childs) != parents
    assert _pause_session(pg_store) == parents


def _pause_session(store: Store) -> int:
    """The server process of the session a pause of STORE takes its lock on."""
    pid: list[int] = []
    with store.connect() as conn, writers_paused(conn):
        for row in conn.execute(
            sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                f"AND mode = 'ExclusiveLock' AND database = {_THIS_DATABASE}"
            )
        ):
            pid.append(row.pid)
    assert len(pid) == 1
    return pid[0]


def _until(engine: sa.Engine, count: sa.TextClause, done: Callable[[int], bool]) -> None:
    """Return once DONE(what COUNT counts) holds (no fixed sleep); fail after JOIN_SECONDS."""
    with engine.connect() as conn:
        for _ in range(int(JOIN_SECONDS * 100)):
            if done(conn.execute(count).scalar_one()):
                return
            conn.rollback()
            threading.Event().wait(0.01)
    raise AssertionError(f"never true: {count}")

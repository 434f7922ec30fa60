"""Writers of reports and the readers of their stamps: no stamp is read out of commit order.

A transaction that stores, replaces, re-marks or deletes reports stamps them with its clock's
`now` (reports.updated_at, report_withdrawals.withdrawn_at) when it writes them, and commits
later. A link run finds its work by the stamps later than the newest it read before (its
watermark), so a writer that stamped first and committed after another writer's later stamp had
been read was never found (PostgreSQL, where two organizations' writers run at once; a
re-marking on SQLite too, which stamped before it took the write lock).

So each such transaction calls `announce_writer` first, before it takes its `now` and before it
locks anything, and a reader that needs "every stamp not yet read is later than those read"
reads inside `writers_paused`: it waits until every writer that announced itself before has
ended, and holds off new ones until it has read. What it reads is then every stamp taken
before, and every stamp taken by a writer that commits later is taken after it. This assumes
the clocks of the writers (each process's own) agree and do not go back: one host, or hosts
whose clocks are kept in step more closely than a writer takes to start after the pause.

PostgreSQL: a shared advisory lock (writers do not wait for each other) and the exclusive one
in a short transaction on another connection, so writers wait only for the reader's read, not
for its whole transaction. That connection comes from a small pool of the pauses' own (at most
`PAUSE_CONNECTIONS` per store and process), never from the store's: a pause holds its caller's
pooled connection while it asks for the other, so as many pauses at once as the store's pool
holds (15: 5 and 10 overflow) each waited for a connection none would return, and failed after
the pool's 30 s (a TAXII page answered 500) while every writer of the process waited too. Pauses
take the exclusive lock one after the other anyway, so they queue for the pool instead, as long
as they would have queued for the lock. The pool is made on first use, closed with the store's
engine (`Store.close`, `Engine.dispose`), and a forked process makes its own: it never uses, or
closes, its parent's connections. SQLite: the one write lock (the sqlite3 module takes it only at
the first write, maybe after `now` was taken, so a write that changes nothing takes it at once).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bigfish.errors import StoreError
from bigfish.store.schema_linking import link_state

#: The key of PostgreSQL's advisory lock that writers of reports hold (shared).
WRITE_LOCK = 0x6269_6766_646C  # "bigfdl": the key deletions took before writers took it too
#: The most connections the pauses of one store use at once in one process (PostgreSQL): one
#: holds the exclusive lock, the next already waits for it in PostgreSQL's queue, where it holds
#: off new writers; only one stays open when idle.
PAUSE_CONNECTIONS = 2
#: Seconds a pause waits for one of them. Long: a pause waits for the one before it, which
#: waits for the writers in flight (an import of a large file among them), as the lock would.
PAUSE_WAIT = 600.0
#: How the pauses' connections show in pg_stat_activity (unless the URL names the application).
PAUSE_APPLICATION = "bigfish writers pause"


def announce_writer(conn: Connection) -> None:
    """Call first in a transaction that stamps (stores, replaces, re-marks) or deletes reports,
    before its `now` is taken and before it locks anything: a reader in `writers_paused` waits
    for it, and its stamps are later than whatever such a reader read. Calling it again in the
    same transaction does nothing more."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": WRITE_LOCK})
    else:
        _take_the_write_lock(conn)


@contextmanager
def writers_paused(conn: Connection) -> Iterator[None]:
    """While inside, no writer (`announce_writer`) is in flight: on entry every one that began
    before has ended, and those that begin meanwhile wait until the block is left. Keep the
    block to a few reads on CONN (they see what the writers committed): writers wait for it.
    CONN must hold no lock a writer may wait for. PostgreSQL: the exclusive lock, taken on
    another connection (from the pauses' own pool, so callers holding every connection of the
    store's pool still pause) in a transaction of its own that ends with the block; StoreError
    after `PAUSE_WAIT` seconds without one. SQLite: the one write lock, taken on CONN (a link
    run has it already): writers wait for CONN's transaction."""
    if conn.dialect.name != "postgresql":
        _take_the_write_lock(conn)
        yield
        return
    try:
        other = _pause_engine(conn.engine).connect()
    except sa.exc.TimeoutError:
        raise StoreError(
            f"waited {PAUSE_WAIT:.0f} s for the writers of reports to pause: the pauses before "
            "this one are still waiting for writers in flight; try again later"
        ) from None
    with other, other.begin():
        other.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
        yield


def settled_newest(conn: Connection, newest: sa.Select[Any]) -> datetime | None:
    """The stamp NEWEST (a one-row, one-column select of the newest of some stamps) reads, read
    so that every stamp committed after it is later: on PostgreSQL inside `writers_paused`
    (writers wait only for this one read); on SQLite as is, since every writer takes the one
    write lock before its stamps (`announce_writer`) and holds it until it commits, so stamps
    are committed in their order and nothing is locked here. A reader that serves only stamps
    up to what this returns serves none out of commit order, even across several statements.
    Stored times are UTC: a time SQLite returns without a zone comes back with it."""
    if conn.dialect.name != "postgresql":
        found = conn.execute(newest).scalar()
    else:
        with writers_paused(conn):
            found = conn.execute(newest).scalar()
    if found is not None and not isinstance(found, datetime):
        raise TypeError(f"the newest stamp read as {type(found).__name__}: give the select a type")
    return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)


#: Each store engine's pause engine, made in this process; forgotten with the store engine.
_pause_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_pause_engines_lock = threading.Lock()


def _pause_engine(engine: Engine) -> Engine:
    """The engine whose small pool the pauses of ENGINE's store take their connection from."""
    engine = _pooled(engine)
    with _pause_engines_lock:
        found = _pause_engines.get(engine)
        if found is None:
            # The same URL object: its password is never rendered, and an error shows none.
            found = sa.create_engine(
                engine.url,
                pool_size=1,
                max_overflow=PAUSE_CONNECTIONS - 1,
                pool_timeout=PAUSE_WAIT,
                pool_pre_ping=True,
                connect_args={}
                if "application_name" in engine.url.query
                else {"application_name": PAUSE_APPLICATION},
            )
            _pause_engines[engine] = found
            if not sa.event.contains(engine, "engine_disposed", _dispose_pause_engine):
                sa.event.listen(engine, "engine_disposed", _dispose_pause_engine)
        return found


def _dispose_pause_engine(engine: Engine) -> None:
    """Close the pauses' idle connections with ENGINE's (`Store.close`); a later pause makes a
    new pool, as ENGINE does."""
    with _pause_engines_lock:
        found = _pause_engines.pop(_pooled(engine), None)
    if found is not None:
        found.dispose()


def _pooled(engine: Engine) -> Engine:
    """The engine whose pool ENGINE uses: an engine with other execution options shares its
    engine's pool (and so its pauses)."""
    proxied: Engine = getattr(engine, "_proxied", engine)
    return proxied


def _forget_the_parents_pause_engines() -> None:
    """In a forked process: the pause engines' connections are the parent's, to leave alone
    (closing one would end the parent's session too), and the lock may have been held."""
    global _pause_engines_lock
    _pause_engines_lock = threading.Lock()
    for inherited in list(_pause_engines.values()):
        inherited.dispose(close=False)
    _pause_engines.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(after_in_child=_forget_the_parents_pause_engines)


def _take_the_write_lock(conn: Connection) -> None:
    conn.execute(link_state.update().where(link_state.c.id == 1).values(id=1))

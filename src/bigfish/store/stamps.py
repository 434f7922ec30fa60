"""Writers of reports and the readers of their stamps: no stamp is read out of commit order.

A transaction that stores, replaces, re-marks or deletes reports stamps them with the time
(reports.updated_at, report_withdrawals.withdrawn_at) when it writes them, and commits later;
so do writers of cooperation requests (cooperation_requests.updated_at). A link run finds its
work by the stamps later than the newest it read before (its watermark), so a writer that
stamped first and committed after another writer's later stamp had been read was never found
(PostgreSQL, where two organizations' writers run at once; a re-marking on SQLite too, which
stamped before it took the write lock).

So each such transaction calls `announce_writer` first, before it takes its stamp and before it
locks anything, and a reader that needs "every stamp not yet read is later than those read" reads
inside `writers_paused`: it waits until every writer that announced itself before has ended, and
holds off new ones until it has read. What it reads is then every stamp taken before, and every
stamp taken by a writer that commits later is taken after it: later by one clock, so each stamp
comes from `stamp_now`. On PostgreSQL that is the database server's clock for every writer,
whichever host or process it runs on (with each process's own clock, a writer on a host whose clock
lagged by a second stamped rows before a bound another host's reader had gone past, and they were
never served nor linked). SQLite keeps the process's clock: one file, written by processes of one
host. Neither clock is trusted never to go back (a step back by hand, or a failover to a server
whose clock lags): a stamp is never earlier than just after the newest stamp stored
(`after_stored`). A link run's own time (the `now` it ages networks by, kept as
link_state.updated_at) is not one of these stamps (its process's clock, or its caller's), and link
runs compare no stamp with it: a run reads the newest withdrawal stamp in its pause, beside its
watermark (`bigfish.linking.state.settled`), keeps it (link_state.withdrawn_upto), and the next run
looks for networks that lost a member when a withdrawal is later than that stamp.

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
the first write, maybe after the stamp was taken, so a write that changes nothing takes it at
once).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bigfish.errors import StoreError
from bigfish.store.schema import reports
from bigfish.store.schema_evidence import cooperation_requests
from bigfish.store.schema_interop import report_withdrawals
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
    before its stamp is taken (`stamp_now`) and before it locks anything: a reader in
    `writers_paused` waits for it, and its stamps are later than whatever such a reader read.
    Calling it again in the same transaction does nothing more."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": WRITE_LOCK})
        _writer_announced()  # once it holds the lock: no pause holds it, nor reads, until it ends
    else:
        _take_the_write_lock(conn)


def stamp_now(conn: Connection) -> datetime:
    """The time (aware, UTC) to stamp what CONN's transaction writes, taken once it has called
    `announce_writer`: on PostgreSQL the database server's clock, one clock for every writer and
    reader of the store wherever they run, read once per transaction (later calls in the same
    transaction return the same time); on SQLite the process's clock, its writers sharing a host.

    `clock_timestamp()`, the time when it is read, not `now()` (`transaction_timestamp()`): that
    is when the transaction began, maybe before `announce_writer` waited for a pause, so before
    the bound the pause's reader read, and a stamp that early, committed after the read, would
    never be served. Read once the shared lock is granted, it is later than every stamp
    committed before the pause, so later than what the reader read."""
    if conn.dialect.name != "postgresql":
        return after_stored(conn, local_clock())
    kept = conn.info.get(_STAMP)
    current = conn.get_transaction()
    if kept is not None and current is not None and kept[0]() is current:
        taken: datetime = kept[1]
        return taken
    stamp = after_stored(conn, server_clock(conn))
    transaction = conn.get_transaction()  # begun by the read when there was none
    if transaction is not None:  # held weakly: a freed one's id may be a later one's
        conn.info[_STAMP] = (weakref.ref(transaction), stamp)
    return stamp


def local_clock() -> datetime:
    """This process's clock now, aware, in UTC (SQLite's stamps)."""
    return datetime.now(UTC)


def server_clock(conn: Connection) -> datetime:
    """The database server's clock now (PostgreSQL's `clock_timestamp()`), aware, in UTC."""
    found = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
    if not isinstance(found, datetime) or found.tzinfo is None:
        raise TypeError(f"clock_timestamp() read as {found!r}, not an aware datetime")
    return found.astimezone(UTC)


#: The step a stamp takes past the newest one stored when the clock reads no later than it.
_TICK = timedelta(microseconds=1)


def after_stored(conn: Connection, clock: datetime) -> datetime:
    """CLOCK, or just after the newest stamp stored (reports, withdrawals, cooperation
    requests) when CLOCK is not later than it: a clock set back (by hand, by a time sync after
    running fast, by a failover to a database server whose clock lags) stamped writes before
    a bound that readers had already gone past (a link run's watermark, a TAXII client's
    `added_after`), and they were never linked nor served. Read after `announce_writer`, so
    every stamp committed before a pause's read is in the maximum. Three indexed maxima."""
    newest = conn.execute(
        sa.select(
            sa.select(sa.func.max(reports.c.updated_at)).scalar_subquery(),
            sa.select(sa.func.max(report_withdrawals.c.withdrawn_at)).scalar_subquery(),
            sa.select(sa.func.max(cooperation_requests.c.updated_at)).scalar_subquery(),
        )
    ).one()
    stored = [t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in newest if t is not None]
    floor = max(stored, default=None)
    return floor + _TICK if floor is not None and floor >= clock else clock


#: Where `stamp_now` keeps its transaction's stamp, on the connection (PostgreSQL).
_STAMP = "bigfish.stamp"


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


def settled_newest(
    conn: Connection,
    newest: sa.Select[Any],
    *,
    reuse: bool = False,
    not_before: datetime | None = None,
) -> datetime | None:
    """The stamp NEWEST (a one-row, one-column select of the newest of some stamps) reads, read
    so that every stamp committed after it is later: on PostgreSQL inside `writers_paused`
    (writers wait only for this one read); on SQLite as is, since every writer takes the one
    write lock before its stamps (`announce_writer`) and holds it until it commits, so stamps
    are committed in their order and nothing is locked here. A reader that serves only stamps
    up to what this returns serves none out of commit order, even across several statements.
    Stored times are UTC: a time SQLite returns without a zone comes back with it.

    PostgreSQL, where each pause holds off every writer until the writers in flight are done:
    callers of one process that ask at once for the same NEWEST of the same engine share a
    pause, one whose read begins after each of them called (what it reads is what a pause of
    each one's own could have read). With REUSE, a caller also takes the bound a pause of this
    process read at most `REUSE_SECONDS` before (`_clock`), unless a writer of this process has
    announced itself since (a process reads its own writes at once; others', at most that late)
    or the bound is earlier than NOT_BEFORE (the caller's own position, which it must not go back
    before). Any bound once settled stays one: a stamp committed after it was read is later."""
    if conn.dialect.name != "postgresql":
        return _as_stamp(conn.execute(newest).scalar())
    return _settled_on_postgresql(conn, newest, reuse, not_before)


#: Seconds a bound read by a pause of this process serves callers that take one read earlier
#: (`settled_newest(..., reuse=True)`): at most one pause in as long per reader and engine.
REUSE_SECONDS = 0.5
#: The clock of `REUSE_SECONDS` (tests set it).
_clock = time.monotonic


class _Round:
    """A pause that callers asking for the same newest stamp share: those that join it before
    it reads (while it is `_open`) take what it read."""

    __slots__ = ("done", "failure", "found")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.found: datetime | None = None
        self.failure: BaseException | None = None


@dataclass(frozen=True)
class _Settled:
    """A bound a pause read, when (`_clock`), and how many writers of this process had
    announced themselves then."""

    found: datetime | None
    at: float
    writers: int


#: The rounds not yet reading, by store engine and the select's text; what each last read.
_open: dict[tuple[Engine, str], _Round] = {}
_settled: weakref.WeakKeyDictionary[Engine, dict[str, _Settled]] = weakref.WeakKeyDictionary()
#: Writers of this process that announced themselves (PostgreSQL): a bound read before one did
#: is not reused, so a process reads its own writes at once.
_writers = 0
_rounds_lock = threading.Lock()


def _settled_on_postgresql(
    conn: Connection, newest: sa.Select[Any], reuse: bool, not_before: datetime | None
) -> datetime | None:
    engine = conn.engine
    compiled = newest.compile(dialect=conn.dialect)
    text = f"{compiled.string} {sorted(compiled.params.items())!r}"
    key = (engine, text)
    while True:
        with _rounds_lock:
            kept = _settled.get(engine, {}).get(text) if reuse else None
            if (
                kept is not None
                and kept.writers == _writers
                and _clock() - kept.at <= REUSE_SECONDS
                and (not_before is None or (kept.found is not None and kept.found >= not_before))
            ):
                return kept.found
            joined = _open.get(key)
            if joined is None:
                mine = _open[key] = _Round()
        if joined is None:
            return _lead(conn, newest, key, mine)
        joined.done.wait()
        if joined.failure is None:
            return joined.found
        if isinstance(joined.failure, StoreError):  # this one would wait as long: the same
            raise StoreError(str(joined.failure)) from None
        # Its caller's own trouble (its connection, an interrupt): pause for this one.


def _lead(
    conn: Connection, newest: sa.Select[Any], key: tuple[Engine, str], mine: _Round
) -> datetime | None:
    """Pause, close MINE to new callers, read NEWEST, and hand it to those that joined."""
    try:
        with writers_paused(conn):
            with _rounds_lock:  # who comes now needs a read that begins after it came
                if _open.get(key) is mine:
                    del _open[key]
                writers, at = _writers, _clock()
            mine.found = _as_stamp(conn.execute(newest).scalar())
        with _rounds_lock:
            engine, text = key
            kept = _settled.setdefault(engine, {})
            if text not in kept or kept[text].at <= at:
                kept[text] = _Settled(mine.found, at, writers)
        return mine.found
    except BaseException as exc:
        mine.failure = exc
        raise
    finally:
        with _rounds_lock:
            if _open.get(key) is mine:
                del _open[key]
        mine.done.set()


def _as_stamp(found: Any) -> datetime | None:
    if found is not None and not isinstance(found, datetime):
        raise TypeError(f"the newest stamp read as {type(found).__name__}: give the select a type")
    return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)


def _writer_announced() -> None:
    """A writer of this process holds the shared lock: no bound read before is reused. A bound
    a pause reads later is read after it has ended (it holds off the pause until then)."""
    global _writers
    with _rounds_lock:
        _writers += 1


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
    global _pause_engines_lock, _rounds_lock
    _pause_engines_lock = threading.Lock()
    for inherited in list(_pause_engines.values()):
        inherited.dispose(close=False)
    _pause_engines.clear()
    _rounds_lock = threading.Lock()  # the parent's rounds are its threads', never read here
    _open.clear()
    _settled.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(after_in_child=_forget_the_parents_pause_engines)


def _take_the_write_lock(conn: Connection) -> None:
    conn.execute(link_state.update().where(link_state.c.id == 1).values(id=1))

"""The background writer: one `AuditWriter` thread per process commits everything waiting in
one transaction (group commit: one sync for many requests) and only then resolves each request's
future, so an acknowledged request is never missing from the log. On SQLite the writers of
several processes first queue on an OS file lock beside the database (see the package's
docstring for why)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bigfish.audit.chain import (
    _MOVE_HEAD,
    _TOUCH_HEAD,
    _chain_rows,
    _with_alert,
    bound_signer,
    record,
)
from bigfish.audit.entry import AuditEntry, _truncated
from bigfish.audit.head import HeadSigner, _unsigned, database_place, new_chain_id
from bigfish.store import Store
from bigfish.store.schema_access import audit_log

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

_MAX_BATCH = 2000
#: How long a batch may wait for the entries of requests still being answered (announced).
GATHER_SECONDS = 0.001


_ROW_COLUMNS = ("seq", "at", "actor", "org", "action", "target", "status", "prev_hash", "row_hash")


class _Prepared:
    """A statement compiled once for a dialect, run on a DBAPI cursor. Its parameters are plain
    integers and strings, which need no bind processing on either backend."""

    def __init__(
        self, statement: ClauseElement, dialect: sa.Dialect, columns: Sequence[str] = ()
    ) -> None:
        compiled = cast(
            SQLCompiler, statement.compile(dialect=dialect, column_keys=list(columns) or None)
        )
        self.sql = str(compiled)
        self._names = list(compiled.positiontup or ()) if compiled.positional else None
        self._fixed = {
            name: value
            for name, value in compiled.params.items()
            if isinstance(value, int | str)  # literals such as the head's id
        }

    def params(self, values: dict[str, object]) -> tuple[object, ...] | dict[str, object]:
        """VALUES (and the statement's literals) in the driver's parameter style."""
        merged = self._fixed | values
        if self._names is None:
            return merged
        return tuple(merged[name] for name in self._names)


class _DirectChain:
    """The writer's append on a DBAPI connection of its own, with statements compiled once.

    Through a pooled SQLAlchemy connection a commit of one entry cost about 0.6 ms of CPU,
    0.4 ms of it SQLAlchemy's work per statement (measured: 0.2 ms this way), and the writer
    does that work holding the GIL that the requests of its process wait for. Same statements,
    same transaction, same commit before anyone is acknowledged."""

    def __init__(self, store: Store, signer: HeadSigner | None = None) -> None:
        dialect = store.engine.dialect
        self.store = store
        self.signer = signer
        self._signed: tuple[int, str, object] | None = None  # the head this writer signed last
        self._started: str | None = None  # the chain whose signing this writer marked started
        self._place = database_place(store.engine.url)
        self.touch = _Prepared(_TOUCH_HEAD, dialect)
        self.insert = _Prepared(audit_log.insert(), dialect, _ROW_COLUMNS)
        self.move = _Prepared(_MOVE_HEAD, dialect)
        self._connection: Any = None

    def append(self, entries: Sequence[AuditEntry]) -> int:
        """Append ENTRIES in a transaction of their own and commit; returns the last seq."""
        if self._connection is None:
            self._connection = self.store.engine.raw_connection()
        connection = self._connection
        cursor = connection.cursor()
        try:
            cursor.execute(self.touch.sql, self.touch.params({"new_chain": new_chain_id()}))
            head = cursor.fetchone()
            if head is None:  # the node's first entry: `append` creates the head row
                connection.rollback()
                return record(self.store, entries, self.signer)
            signer = bound_signer(self.signer, head, self._place)
            if signer is not None and (int(head[0]), str(head[1]), head[4]) != self._signed:
                entries = _with_alert(signer, head, entries)  # another process's or changed
            rows, seq, prev = _chain_rows(int(head[0]), str(head[1]), entries)
            cursor.executemany(self.insert.sql, [self.insert.params(row) for row in rows])
            sealed = signer.seal(seq, prev) if signer else _unsigned()
            cursor.execute(
                self.move.sql, self.move.params({"new_seq": seq, "new_hash": prev, **sealed})
            )
            connection.commit()
            if signer is not None:
                # the next batch need not check its own head again
                self._signed = (seq, prev, signer.chain)
                signer.note(seq)
                if self._started != signer.chain:
                    signer.start()
                    self._started = signer.chain
        except BaseException:
            self._connection = None
            with contextlib.suppress(Exception):  # the connection may be broken
                connection.invalidate()  # discarded: the next batch starts on a fresh one
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()
        return seq

    def close(self) -> None:
        """Give the connection back to the pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _lock_path(store: Store) -> str | None:
    """The file beside STORE's SQLite database on which audit writers queue (None: no file)."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return url.database + "-audit.lock"


#: A request waiting for its entry: a thread's future, or an event loop and its future.
_Waiter = Future[int] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]


def _complete(future: Future[int] | asyncio.Future[int], outcome: int | BaseException) -> None:
    """Give FUTURE its seq or its failure, unless it is already done (cancelled)."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _settle(outcomes: list[tuple[asyncio.Future[int], int | BaseException]]) -> None:
    """Resolve, on their event loop, the futures of one committed batch."""
    for future, outcome in outcomes:
        _complete(future, outcome)


class AuditWriter:
    """One thread per process that group-commits audit entries and then acknowledges them.

    Requests on an event loop `await record(entry)`: the writer wakes each loop once per
    committed batch, not once per request (every wake-up is a write to the loop's self-pipe,
    taken while the loop's thread competes for the GIL). Threads `submit(entry)` and wait on the
    returned future.

    A request may `announce()` itself when it starts; its `record` (or `withdraw`) ends the
    announcement. While announced requests are still being answered, a batch waits for their
    entries up to GATHER seconds before it commits (as PostgreSQL's commit_delay waits for
    commit_siblings): a commit costs a sync and about 0.4 ms of CPU however many entries it
    holds, and without the wait a process answering lookups one after the other on its event
    loop committed batches of 1-2 entries even with 50 requests open. Nothing is acknowledged
    before its commit, as before. SIGNER (the node key) signs the head of every batch."""

    def __init__(
        self, store: Store, *, gather: float = GATHER_SECONDS, signer: HeadSigner | None = None
    ) -> None:
        self.store = store
        self.gather = gather
        self._chain = _DirectChain(store, signer)  # used by the writer thread only
        self._announced = 0  # requests that will record an entry soon
        self._announced_lock = threading.Lock()
        self._lock_file = _lock_path(store) if fcntl is not None else None
        self._lock_fd: int | None = None  # opened once by the writer thread, closed by close()
        self._queue: queue.SimpleQueue[tuple[AuditEntry, _Waiter] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False
        # Held to queue an entry and to close: no entry is queued behind close()'s sentinel,
        # where the thread, gone, would never answer it.
        self._closing = threading.Lock()

    def submit(self, entry: AuditEntry) -> Future[int]:
        """Queue ENTRY; the future resolves to its seq once committed (or fails)."""
        future: Future[int] = Future()
        if not self._closed:
            self._start()
            with self._closing:
                if not self._closed:
                    self._queue.put((entry, future))
                    return future
        future.set_exception(RuntimeError("the audit writer is closed"))
        return future

    def announce(self) -> None:
        """A request has started that will `record(entry, announced=True)` or `withdraw()`."""
        with self._announced_lock:
            self._announced += 1

    def withdraw(self) -> None:
        """An announced request ended without recording an entry."""
        with self._announced_lock:
            self._announced -= 1

    @property
    def announced(self) -> int:
        """Requests announced and not yet recorded or withdrawn."""
        return self._announced

    async def record(self, entry: AuditEntry, *, announced: bool = False) -> int:
        """ENTRY's seq once it is committed; raises when it could not be recorded. ANNOUNCED:
        the request announced itself, and recording ends its announcement."""
        if announced:
            self.withdraw()
        if self._closed:
            raise RuntimeError("the audit writer is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._start()
        with self._closing:
            if self._closed:
                raise RuntimeError("the audit writer is closed")
            self._queue.put((entry, (loop, future)))
        return await future

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="bigfish-audit", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                stop = self._gather(batch)
                outcome: list[int] | BaseException
                try:
                    with self._processes_in_turn():
                        # Collected once this process's turn has come: what arrived while another
                        # process wrote goes into the same transaction (one sync for all of it).
                        stop = self._take_waiting(batch) or stop
                        outcome = self._commit(batch)
                except Exception as exc:  # the lock file failed: nothing of the batch is recorded
                    outcome = exc
                # Acknowledged once the turn is over: the commit is done, and the other
                # processes' writers need not wait while these requests are woken.
                _resolve(batch, outcome)
                if stop:
                    return
        finally:
            self._chain.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _gather(self, batch: list[tuple[AuditEntry, _Waiter]]) -> bool:
        """Add to BATCH the entries of announced requests that arrive within `gather` seconds
        (none when no request is announced); True when close() was asked."""
        deadline = time.monotonic() + self.gather
        while self._announced > 0 and len(batch) < _MAX_BATCH:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if item is None:
                return True
            batch.append(item)
        return False

    def _take_waiting(self, batch: list[tuple[AuditEntry, _Waiter]]) -> bool:
        """Add the queued entries to BATCH (up to the batch limit); True when close() was asked."""
        while len(batch) < _MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is None:
                return True
            batch.append(item)
        return False

    @contextmanager
    def _processes_in_turn(self) -> Iterator[None]:
        """Hold the file lock that orders the audit writers of all processes (SQLite only). The
        file stays open between turns: a turn is one flock and one unlock."""
        if self._lock_file is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._lock_fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _commit(self, batch: list[tuple[AuditEntry, _Waiter]]) -> list[int] | BaseException:
        """Append BATCH and commit: the seq of each entry, or why none was recorded (every
        waiting request must learn it)."""
        try:
            last = self._chain.append(_truncated([entry for entry, _ in batch]))
        except Exception as exc:
            return exc
        first = last - len(batch) + 1
        return [first + offset for offset in range(len(batch))]

    def close(self) -> None:
        """Commit what is queued and stop the thread."""
        with self._closing:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout=30)


def _resolve(batch: list[tuple[AuditEntry, _Waiter]], outcome: list[int] | BaseException) -> None:
    """Tell every request of BATCH its seq (OUTCOME lists them in order) or the failure: threads
    through their futures, each event loop with one call for all of its requests."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | BaseException]]]
    by_loop = {}
    for index, (_, waiter) in enumerate(batch):
        result: int | BaseException = (
            outcome if isinstance(outcome, BaseException) else outcome[index]
        )
        if isinstance(waiter, Future):
            _complete(waiter, result)
        else:
            loop, future = waiter
            by_loop.setdefault(loop, []).append((future, result))
    for loop, outcomes in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, outcomes)
        except RuntimeError:  # the loop was closed: nobody waits any more
            pass

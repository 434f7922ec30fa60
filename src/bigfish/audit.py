"""The audit log: every request through the API (who, organization, what, when, result) in an
append-only, hash-chained table, and the verifier that finds a changed, deleted, inserted or
reordered row.

Each row's hash covers its sequence number, its fields and the previous row's hash; the chain's
head (last seq and hash) lives in `audit_head`, so deleting the newest rows is caught as well.

Durability without a disk sync per request: requests hand their entry to one `AuditWriter`
thread per process, which commits everything waiting in one transaction (group commit: one
sync for many requests) and only then resolves each request's future. A response is sent only
after its future resolved, so an acknowledged request is never missing from the log. Writers of
several processes serialize on the head row (UPDATE first: SQLite's write lock, PostgreSQL's row
lock), so the chain stays one line. On SQLite the writers of several processes (uvicorn
workers) first queue on an OS file lock beside the database: SQLite's own busy handler sleeps
1, 2, 5, 10, … ms between tries, so two writers colliding on its lock cost milliseconds (measured:
p99 of a lookup 42-58 ms with two processes), while a blocked file lock wakes its waiter as soon
as it is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import unquote_plus

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

GENESIS = "0" * 64
_MAX_BATCH = 2000
#: How long a batch may wait for the entries of requests still being answered (announced).
GATHER_SECONDS = 0.001


#: Query parameters that carry credentials: never kept in the log, whatever the route does with
#: them (a key belongs in the Authorization header; one pasted into a URL must not outlive it).
_SECRET_PARAMETERS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "password", "secret", "auth", "bearer"}
)


def redacted_query(query: str) -> str:
    """QUERY (a URL's query string) with the value of every credential-like parameter, and every
    value that is a bigfish key (`bf_…`), replaced by `[redacted]`; the rest as it was."""
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        secret = unquote_plus(name).strip().lower() in _SECRET_PARAMETERS
        if equals and (secret or unquote_plus(value).strip().startswith("bf_")):
            part = f"{name}=[redacted]"
        parts.append(part)
    return "&".join(parts)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One request: who, for which organization, what, on what, with which result."""

    actor: str
    org: str | None
    action: str
    target: str | None
    status: int
    at: str = ""  # ISO 8601 UTC; stamped on append when empty


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The verifier's finding: `ok`, the rows checked, and the first broken link if any."""

    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None


def now_iso() -> str:
    """The current time as the log writes it."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def row_hash(seq: int, entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the row's fields and the previous hash."""
    fields = [
        seq,
        entry.at,
        entry.actor,
        entry.org,
        entry.action,
        entry.target,
        entry.status,
        prev_hash,
    ]
    data = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


_TOUCH_HEAD = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(seq=audit_head.c.seq)
    .returning(audit_head.c.seq, audit_head.c.row_hash)
)

_MOVE_HEAD = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(seq=sa.bindparam("new_seq"), row_hash=sa.bindparam("new_hash"))
)


def _lock_head(conn: Connection) -> tuple[int, str]:
    # Write before reading: takes SQLite's write lock / PostgreSQL's row lock for this chain, and
    # reads the head in the same statement.
    head = conn.execute(_TOUCH_HEAD).first()
    if head is None:
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
            audit_head
        ).on_conflict_do_nothing(index_elements=["id"])
        conn.execute(insert.values(id=1, seq=0, row_hash=GENESIS))
        head = conn.execute(_TOUCH_HEAD).one()
    return int(head.seq), str(head.row_hash)


def append(conn: Connection, entries: Sequence[AuditEntry]) -> int:
    """Append ENTRIES to the chain in CONN's transaction; returns the last seq."""
    seq, prev = _lock_head(conn)
    rows, seq, prev = _chain_rows(seq, prev, entries)
    if rows:
        conn.execute(audit_log.insert(), rows)
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return seq


def _chain_rows(
    seq: int, prev: str, entries: Sequence[AuditEntry]
) -> tuple[list[dict[str, object]], int, str]:
    """The rows of ENTRIES following the head (SEQ, PREV), and the new head."""
    rows = []
    stamp = now_iso()
    for entry in entries:
        if not entry.at:
            entry = AuditEntry(
                entry.actor, entry.org, entry.action, entry.target, entry.status, stamp
            )
        seq += 1
        digest = row_hash(seq, entry, prev)
        rows.append(
            {
                "seq": seq,
                "at": entry.at,
                "actor": entry.actor[:120],
                "org": entry.org,
                "action": entry.action[:300],
                "target": entry.target[:1000] if entry.target else entry.target,
                "status": entry.status,
                "prev_hash": prev,
                "row_hash": digest,
            }
        )
        prev = digest
    return rows, seq, prev


def record(store: Store, entries: Sequence[AuditEntry]) -> int:
    """Append ENTRIES in a transaction of their own (the CLI and tests)."""
    with store.begin() as conn:
        return append(conn, _truncated(entries))


def _truncated(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    return [
        AuditEntry(
            e.actor[:120],
            e.org,
            e.action[:300],
            e.target[:1000] if e.target else e.target,
            e.status,
            e.at,
        )
        for e in entries
    ]


def verify_audit(store: Store) -> AuditCheck:
    """Walk the chain from the start; report the first row whose link or hash does not hold."""
    prev = GENESIS
    expected_seq = 0
    count = 0
    with store.connect() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.row_hash)).first()
        head_seq, head_hash = (int(head.seq), str(head.row_hash)) if head else (0, GENESIS)
        result = conn.execution_options(yield_per=5000).execute(
            sa.select(audit_log).order_by(audit_log.c.seq)
        )
        for row in result:
            expected_seq += 1
            count += 1
            entry = AuditEntry(row.actor, row.org, row.action, row.target, row.status, row.at)
            if row.seq != expected_seq:
                return AuditCheck(
                    False,
                    count,
                    head_seq,
                    head_hash,
                    row.seq,
                    f"row {row.seq} follows row {expected_seq - 1}: a row was deleted or inserted",
                )
            if row.prev_hash != prev:
                return AuditCheck(
                    False,
                    count,
                    head_seq,
                    head_hash,
                    row.seq,
                    f"row {row.seq} does not link to the row before it (reordered or replaced)",
                )
            if row_hash(row.seq, entry, prev) != row.row_hash:
                return AuditCheck(
                    False,
                    count,
                    head_seq,
                    head_hash,
                    row.seq,
                    f"row {row.seq} was changed after it was written",
                )
            prev = row.row_hash
    if expected_seq != head_seq or prev != head_hash:
        return AuditCheck(
            False,
            count,
            head_seq,
            head_hash,
            min(expected_seq, head_seq) + 1,
            f"the log ends at row {expected_seq} but its head says row {head_seq}: rows were "
            "deleted from or added to the end",
        )
    return AuditCheck(True, count, head_seq, head_hash)


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

    def __init__(self, store: Store) -> None:
        dialect = store.engine.dialect
        self.store = store
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
            cursor.execute(self.touch.sql, self.touch.params({}))
            head = cursor.fetchone()
            if head is None:  # the node's first entry: `append` creates the head row
                connection.rollback()
                return record(self.store, entries)
            rows, seq, prev = _chain_rows(int(head[0]), str(head[1]), entries)
            cursor.executemany(self.insert.sql, [self.insert.params(row) for row in rows])
            cursor.execute(self.move.sql, self.move.params({"new_seq": seq, "new_hash": prev}))
            connection.commit()
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
    before its commit, as before."""

    def __init__(self, store: Store, *, gather: float = GATHER_SECONDS) -> None:
        self.store = store
        self.gather = gather
        self._chain = _DirectChain(store)  # used by the writer thread only
        self._announced = 0  # requests that will record an entry soon
        self._announced_lock = threading.Lock()
        self._lock_file = _lock_path(store) if fcntl is not None else None
        self._lock_fd: int | None = None  # opened once by the writer thread, closed by close()
        self._queue: queue.SimpleQueue[tuple[AuditEntry, _Waiter] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, entry: AuditEntry) -> Future[int]:
        """Queue ENTRY; the future resolves to its seq once committed (or fails)."""
        future: Future[int] = Future()
        if self._closed:
            future.set_exception(RuntimeError("the audit writer is closed"))
            return future
        self._start()
        self._queue.put((entry, future))
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
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
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

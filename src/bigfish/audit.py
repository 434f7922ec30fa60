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

import hashlib
import json
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

GENESIS = "0" * 64
_MAX_BATCH = 2000


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
    if rows:
        conn.execute(audit_log.insert(), rows)
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return seq


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


def _lock_path(store: Store) -> str | None:
    """The file beside STORE's SQLite database on which audit writers queue (None: no file)."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return url.database + "-audit.lock"


class AuditWriter:
    """One thread per process that group-commits audit entries and then acknowledges them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock_file = _lock_path(store) if fcntl is not None else None
        self._queue: queue.SimpleQueue[tuple[AuditEntry, Future[int]] | None] = queue.SimpleQueue()
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

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="bigfish-audit", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            try:
                with self._processes_in_turn():
                    # Collected once this process's turn has come: what arrived while another
                    # process wrote goes into the same transaction (one sync for all of it).
                    stop = self._take_waiting(batch)
                    self._commit(batch)
            except Exception as exc:  # the lock file failed: nothing of the batch is recorded
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            if stop:
                return

    def _take_waiting(self, batch: list[tuple[AuditEntry, Future[int]]]) -> bool:
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
        """Hold the file lock that orders the audit writers of all processes (SQLite only)."""
        if self._lock_file is None:
            yield
            return
        fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _commit(self, batch: list[tuple[AuditEntry, Future[int]]]) -> None:
        try:
            with self.store.begin() as conn:
                last = append(conn, _truncated([entry for entry, _ in batch]))
        except Exception as exc:  # every waiting request must learn that it was not recorded
            for _, future in batch:
                future.set_exception(exc)
            return
        first = last - len(batch) + 1
        for offset, (_, future) in enumerate(batch):
            future.set_result(first + offset)

    def close(self) -> None:
        """Commit what is queued and stop the thread."""
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

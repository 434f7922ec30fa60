"""The audit log: every request through the API (who, organization, what, when, result) in an
append-only, hash-chained table, and the verifier that finds a changed, deleted, inserted or
reordered row.

Each row's hash covers its sequence number, its fields and the previous row's hash; the chain's
head (last seq and hash) lives in `audit_head`, so deleting the newest rows is caught as well.
The server signs the head with the node key at every append (the key of the chain of custody,
under the data directory, never in the database), so whoever can write to the database but does
not hold the key cannot rewrite rows and re-chain them to a head that verifies.

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
import dataclasses
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
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote_plus

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log

if TYPE_CHECKING:
    from bigfish.evidence.custody import NodeKey

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
    """The verifier's finding: `ok`, the rows checked, and the first broken link if any; who
    signed the head, and whether that signature was checked against the node key."""

    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None
    signed_by: str | None = None
    signature_checked: bool = False


#: The action of a row the server adds when the head it was to append to did not verify.
ALERT_ACTION = "AUDIT-ALERT head did not verify"
#: Under the data directory: heads have been signed on this node (an unsigned head then means
#: the log was rewritten). Written once, by the first signed append or `bigfish audit seal`.
SIGNING_MARK = Path("keys") / "audit-head-signed"
#: Under the data directory: the highest row a head was signed at here, so that a log cut back
#: to an earlier signed head (its rows after it deleted) is found.
HIGH_WATER = Path("keys") / "audit-head-seq"


def head_message(seq: int, row_hash: str) -> bytes:
    """What the node key signs for the head (SEQ, ROW_HASH)."""
    return f"bigfish-audit-head/1\n{seq}\n{row_hash}".encode()


@dataclass(frozen=True, slots=True)
class HeadSigner:
    """The node key, which signs the audit log's head, and the node's data directory, where the
    mark that heads are signed lives (beside the key, out of the database's reach)."""

    key: NodeKey
    data_dir: Path

    @property
    def started(self) -> bool:
        """True once heads have been signed on this node."""
        return (self.data_dir / SIGNING_MARK).exists()

    def start(self) -> None:
        """Mark that heads are signed from now on (idempotent)."""
        mark = self.data_dir / SIGNING_MARK
        if not mark.exists():
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.write_text(f"{self.key.fingerprint} {now_iso()}\n", encoding="utf-8")

    def signed_up_to(self) -> int:
        """The highest row a head was signed at on this node (0: none recorded)."""
        try:
            return int((self.data_dir / HIGH_WATER).read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def note(self, seq: int) -> None:
        """Record that the head at row SEQ was signed (the highest wins; processes queue on the
        file's lock), after its transaction committed."""
        path = self.data_dir / HIGH_WATER
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            current = os.pread(fd, 32, 0).strip()
            if current.isdigit() and int(current) >= seq:
                return
            os.pwrite(fd, f"{seq:020d}\n".encode("ascii"), 0)
        finally:
            os.close(fd)  # releases the lock

    def seal(self, seq: int, row_hash: str) -> dict[str, object]:
        """The head columns for (SEQ, ROW_HASH), signed."""
        signature = self.key.sign(head_message(seq, row_hash))
        return {"signature": signature, "signed_by": self.key.fingerprint}

    def problem(self, seq: int, row_hash: str, signature: str | None, by: str | None) -> str | None:
        """Why the head (SEQ, ROW_HASH, SIGNATURE, BY) found in the database does not verify
        with this key, or None when it does (or was written before heads were signed here)."""
        highest = self.signed_up_to()
        if seq < highest:
            return f"at row {seq}, below row {highest} where a head was signed before"
        if seq == 0:
            return None
        if signature is None or by is None:
            return "unsigned, though heads are signed on this node" if self.started else None
        if by != self.key.fingerprint:
            return f"signed by key {by[:16]}…, not by this node's key {self.key.fingerprint[:16]}…"
        from bigfish.evidence.custody import verify_signature

        if not verify_signature(self.key.public_key, signature, head_message(seq, row_hash)):
            return "its signature does not verify"
        return None


def _unsigned() -> dict[str, object]:
    return {"signature": None, "signed_by": None}


def _alert(seq: int, row_hash: str, problem: str) -> AuditEntry:
    """The row that records that the head (SEQ, ROW_HASH) did not verify: PROBLEM."""
    target = f"head {seq} {row_hash}: {problem}: the log was changed without the node key"
    return AuditEntry("bigfish", None, ALERT_ACTION, target[:1000], 0)


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
    .returning(
        audit_head.c.seq, audit_head.c.row_hash, audit_head.c.signature, audit_head.c.signed_by
    )
)

_MOVE_HEAD = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(
        seq=sa.bindparam("new_seq"),
        row_hash=sa.bindparam("new_hash"),
        signature=sa.bindparam("signature"),
        signed_by=sa.bindparam("signed_by"),
    )
)


def _lock_head(conn: Connection) -> Any:
    # Write before reading: takes SQLite's write lock / PostgreSQL's row lock for this chain, and
    # reads the head in the same statement.
    head = conn.execute(_TOUCH_HEAD).first()
    if head is None:
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
            audit_head
        ).on_conflict_do_nothing(index_elements=["id"])
        conn.execute(insert.values(id=1, seq=0, row_hash=GENESIS))
        head = conn.execute(_TOUCH_HEAD).one()
    return head


def _with_alert(
    signer: HeadSigner | None, head: Sequence[Any], entries: Sequence[AuditEntry]
) -> list[AuditEntry]:
    """ENTRIES, after an alert row when SIGNER finds the HEAD (seq, hash, signature, signed_by)
    they follow does not verify: the alert stays in the log, signed over by the new head."""
    problem = signer.problem(int(head[0]), str(head[1]), head[2], head[3]) if signer else None
    if problem is None:
        return list(entries)
    return [_alert(int(head[0]), str(head[1]), problem), *entries]


def append(
    conn: Connection, entries: Sequence[AuditEntry], signer: HeadSigner | None = None
) -> int:
    """Append ENTRIES to the chain in CONN's transaction, the new head signed by SIGNER (the
    node key; unsigned without one) after checking the head it follows; returns the last seq.
    The caller marks signing as started (`HeadSigner.start`) once the transaction commits."""
    head = _lock_head(conn)
    entries = _with_alert(signer, head, entries) if entries else []
    rows, seq, prev = _chain_rows(int(head[0]), str(head[1]), entries)
    if rows:
        conn.execute(audit_log.insert(), rows)
        sealed = signer.seal(seq, prev) if signer else _unsigned()
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev, **sealed})
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


def record(store: Store, entries: Sequence[AuditEntry], signer: HeadSigner | None = None) -> int:
    """Append ENTRIES in a transaction of their own (the CLI and tests)."""
    with store.begin() as conn:
        seq = append(conn, _truncated(entries), signer)
    if signer is not None:
        signer.note(seq)
        signer.start()
    return seq


def seal_audit(store: Store, signer: HeadSigner) -> AuditCheck:
    """Sign the current head after checking the whole chain: a head written before heads were
    signed on this node. Refused (nothing signed, the finding returned) when the chain does not
    verify, or when heads are already signed here and this one does not verify with the key:
    then the log was changed without it, and sealing would vouch for the change."""
    with store.begin() as conn:
        head = _lock_head(conn)
        check = _walk(conn, None)
        if not check.ok:
            return check
        problem = signer.problem(int(head[0]), str(head[1]), head[2], head[3])
        if problem is not None:
            return dataclasses.replace(
                check, ok=False, broken_seq=check.head_seq, reason=f"the head is {problem}"
            )
        seq, prev = int(head[0]), str(head[1])
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev, **signer.seal(seq, prev)})
    signer.note(seq)
    signer.start()
    return dataclasses.replace(check, signed_by=signer.key.fingerprint, signature_checked=True)


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


def verify_audit(store: Store, signer: HeadSigner | None = None) -> AuditCheck:
    """Walk the chain from the start; report the first row whose link or hash does not hold,
    or that records a head the server found not to verify (an alert). With SIGNER (the node key
    and data directory), the head must also carry the key's signature of it, once heads are
    signed on this node."""
    with store.connect() as conn:
        return _walk(conn, signer)


def _walk(conn: Connection, signer: HeadSigner | None) -> AuditCheck:
    prev = GENESIS
    expected_seq = 0
    count = 0
    head = conn.execute(
        sa.select(
            audit_head.c.seq, audit_head.c.row_hash, audit_head.c.signature, audit_head.c.signed_by
        )
    ).first()
    head_seq, head_hash = (int(head.seq), str(head.row_hash)) if head else (0, GENESIS)
    signature, signed_by = (head.signature, head.signed_by) if head else (None, None)
    alert: tuple[int, str] | None = None

    def broken(seq: int, reason: str) -> AuditCheck:
        return AuditCheck(False, count, head_seq, head_hash, seq, reason, signed_by)

    result = conn.execute(  # streamed (statement option: CONN may be used for more after)
        sa.select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=5000)
    )
    for row in result:
        expected_seq += 1
        count += 1
        entry = AuditEntry(row.actor, row.org, row.action, row.target, row.status, row.at)
        if row.seq != expected_seq:
            return broken(
                row.seq,
                f"row {row.seq} follows row {expected_seq - 1}: a row was deleted or inserted",
            )
        if row.prev_hash != prev:
            return broken(
                row.seq, f"row {row.seq} does not link to the row before it (reordered or replaced)"
            )
        if row_hash(row.seq, entry, prev) != row.row_hash:
            return broken(row.seq, f"row {row.seq} was changed after it was written")
        if alert is None and row.action == ALERT_ACTION and row.actor == "bigfish":
            alert = (int(row.seq), str(row.target))
        prev = row.row_hash
    if expected_seq != head_seq or prev != head_hash:
        return broken(
            min(expected_seq, head_seq) + 1,
            f"the log ends at row {expected_seq} but its head says row {head_seq}: rows were "
            "deleted from or added to the end",
        )
    if alert is not None:
        return broken(alert[0], f"row {alert[0]}: the server found the {alert[1]}")
    if signer is None:
        return AuditCheck(True, count, head_seq, head_hash, signed_by=signed_by)
    problem = signer.problem(head_seq, head_hash, signature, signed_by)
    if problem is not None:
        return broken(head_seq, f"the head (row {head_seq}) is {problem}: the log was changed")
    checked = signature is not None and head_seq > 0
    return AuditCheck(
        True, count, head_seq, head_hash, signed_by=signed_by, signature_checked=checked
    )


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
        self._signed: tuple[int, str] | None = None  # the head this writer signed last
        self._started = False
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
                return record(self.store, entries, self.signer)
            signer = self.signer
            if signer is not None and (int(head[0]), str(head[1])) != self._signed:
                entries = _with_alert(signer, head, entries)  # another process's or changed
            rows, seq, prev = _chain_rows(int(head[0]), str(head[1]), entries)
            cursor.executemany(self.insert.sql, [self.insert.params(row) for row in rows])
            sealed = signer.seal(seq, prev) if signer else _unsigned()
            cursor.execute(
                self.move.sql, self.move.params({"new_seq": seq, "new_hash": prev, **sealed})
            )
            connection.commit()
            if signer is not None:
                self._signed = (seq, prev)  # the next batch need not check its own head again
                signer.note(seq)
                if not self._started:
                    signer.start()
                    self._started = True
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

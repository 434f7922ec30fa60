"""The hash-chained log: append entries to the chain (each row's hash covers its sequence number,
its fields and the previous row's hash; the head row holds the chain's id, the last seq and
hash), and the verifier that finds a changed, deleted, inserted or reordered row, or a head that
does not verify with the node key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bigfish.audit.entry import AuditEntry, _truncated, now_iso
from bigfish.audit.head import HeadSigner, _unsigned, database_place, new_chain_id
from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log

GENESIS = "0" * 64


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
    chain_id: str | None = None


#: The action of a row the server adds when the head it was to append to did not verify.
ALERT_ACTION = "AUDIT-ALERT head did not verify"


def _alert(seq: int, row_hash: str, problem: str) -> AuditEntry:
    """The row that records that the head (SEQ, ROW_HASH) did not verify: PROBLEM."""
    target = f"head {seq} {row_hash}: {problem}: the log was changed without the node key"
    return AuditEntry("bigfish", None, ALERT_ACTION, target[:1000], 0)


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


_HEAD_COLUMNS = (
    audit_head.c.seq,
    audit_head.c.row_hash,
    audit_head.c.signature,
    audit_head.c.signed_by,
    audit_head.c.chain_id,
)

# A head without a chain id (none is, after migration 0023) gets one: NEW_CHAIN.
_TOUCH_HEAD = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(
        seq=audit_head.c.seq,
        chain_id=sa.func.coalesce(
            audit_head.c.chain_id, sa.bindparam("new_chain", type_=sa.String)
        ),
    )
    .returning(*_HEAD_COLUMNS)
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
    head = conn.execute(_TOUCH_HEAD, {"new_chain": new_chain_id()}).first()
    if head is None:  # the chain starts: its id is made here
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
            audit_head
        ).on_conflict_do_nothing(index_elements=["id"])
        conn.execute(insert.values(id=1, seq=0, row_hash=GENESIS, chain_id=new_chain_id()))
        head = conn.execute(_TOUCH_HEAD, {"new_chain": new_chain_id()}).one()
    return head


def bound_signer(
    signer: HeadSigner | None, head: Sequence[Any], place: str | None
) -> HeadSigner | None:
    """SIGNER bound to the chain of HEAD (seq, hash, signature, signed_by, chain_id) of the
    database at PLACE."""
    return signer.for_chain(head[4], place) if signer is not None else None


def _with_alert(
    signer: HeadSigner | None, head: Sequence[Any], entries: Sequence[AuditEntry]
) -> list[AuditEntry]:
    """ENTRIES, after an alert row when SIGNER (bound to HEAD's chain) finds the HEAD (seq, hash,
    signature, signed_by, chain_id) they follow does not verify: the alert stays in the log,
    signed over by the new head."""
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
    return _append(conn, entries, signer)[0]


def _append(
    conn: Connection, entries: Sequence[AuditEntry], signer: HeadSigner | None
) -> tuple[int, HeadSigner | None]:
    """`append`, and SIGNER bound to the chain appended to."""
    head = _lock_head(conn)
    signer = bound_signer(signer, head, database_place(conn.engine.url))
    entries = _with_alert(signer, head, entries) if entries else []
    rows, seq, prev = _chain_rows(int(head[0]), str(head[1]), entries)
    if rows:
        conn.execute(audit_log.insert(), rows)
        sealed = signer.seal(seq, prev) if signer else _unsigned()
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev, **sealed})
    return seq, signer


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
        seq, bound = _append(conn, _truncated(entries), signer)
    if bound is not None:
        bound.note(seq)
        bound.start()
    return seq


def seal_audit(store: Store, signer: HeadSigner) -> AuditCheck:
    """Sign the current head after checking the whole chain: a head written before heads were
    signed on this node. Refused (nothing signed, the finding returned) when the chain does not
    verify, or when heads are already signed here and this one does not verify with the key:
    then the log was changed without it, and sealing would vouch for the change."""
    with store.begin() as conn:
        head = _lock_head(conn)
        signer = signer.for_chain(head[4], database_place(store.engine.url))
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


def verify_audit(store: Store, signer: HeadSigner | None = None) -> AuditCheck:
    """Walk the chain from the start; report the first row whose link or hash does not hold,
    or that records a head the server found not to verify (an alert). With SIGNER (the node key
    and data directory), the head must also carry the key's signature of it, once heads are
    signed on this node."""
    # The mark first: the server notes a row only after committing it, so a head read after
    # the mark is at or above it however many requests are recorded while the log is walked.
    # The mark is the chain's, so its id is read before (the server never changes it).
    highest = 0
    if signer is not None:
        with store.connect() as conn:
            chain = conn.execute(sa.select(audit_head.c.chain_id)).scalar()
        signer = signer.for_chain(chain, database_place(store.engine.url))
        highest = signer.signed_up_to()
    with store.connect() as conn:
        _one_snapshot(conn)
        return _walk(conn, signer, highest)


def _one_snapshot(conn: Connection) -> None:
    """Make the reads on CONN see one state of the log: on a live node a request recorded
    between the head's read and the rows' would look like rows added to the end."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    elif not getattr(conn.connection.dbapi_connection, "in_transaction", False):
        conn.exec_driver_sql("BEGIN")  # the sqlite3 driver would read each statement on its own


def _walk(conn: Connection, signer: HeadSigner | None, highest: int | None = None) -> AuditCheck:
    """The finding over the log as CONN sees it; HIGHEST, the signer's high-water mark when it
    was read before CONN's snapshot (else it is read at the end)."""
    prev = GENESIS
    expected_seq = 0
    count = 0
    head = conn.execute(sa.select(*_HEAD_COLUMNS)).first()
    head_seq, head_hash = (int(head.seq), str(head.row_hash)) if head else (0, GENESIS)
    signature, signed_by = (head.signature, head.signed_by) if head else (None, None)
    chain = head.chain_id if head else None
    if signer is not None and chain != signer.chain:  # changed since the mark was read
        signer, highest = signer.for_chain(chain, signer.place), None
    alert: tuple[int, str] | None = None

    def broken(seq: int, reason: str) -> AuditCheck:
        return AuditCheck(False, count, head_seq, head_hash, seq, reason, signed_by, False, chain)

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
        return AuditCheck(True, count, head_seq, head_hash, signed_by=signed_by, chain_id=chain)
    problem = signer.problem(head_seq, head_hash, signature, signed_by, highest)
    if problem is not None:
        return broken(head_seq, f"the head (row {head_seq}) is {problem}: the log was changed")
    checked = signature is not None and head_seq > 0
    return AuditCheck(
        True,
        count,
        head_seq,
        head_hash,
        signed_by=signed_by,
        signature_checked=checked,
        chain_id=chain,
    )

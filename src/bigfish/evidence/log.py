"""The node's custody log in the store: append, read, sign tree heads, verify, prove growth.

Appends are serialized (an advisory lock on PostgreSQL, the single writer on SQLite, and a
unique `seq` with a retry as the last word), so the hash chain never forks.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from bigfish.audit import database_place, evidence_actions
from bigfish.errors import ConfigError, IntegrityError, StoreError
from bigfish.evidence import marks, merkle
from bigfish.evidence.audited import Audited, appends, compare_with_audit, first_signed_account
from bigfish.evidence.binding import LATER_FIELDS, check_binding
from bigfish.evidence.custody import (
    GENESIS,
    KEY_PATH,
    AcquiredFile,
    CustodyDraft,
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    NodeKey,
    Party,
    TreeHead,
    canonical_json,
    check_log,
    clock_notes,
    fingerprint,
    load_node_key,
    load_or_create_node_key,
    load_public_key,
    parse_utc,
    seal,
    sign_tree_head,
    utc_text,
)
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_evidence import custody_events, custody_tree_heads, evidence

_LOCK_ID = 0x6269676669736865  # "bigfishe": the advisory lock of custody appends


def _row_to_record(row: Any) -> CustodyRecord:
    try:
        return _parse_row(row)
    except (ValueError, TypeError) as exc:
        # A column edited to something no record could hold (an unknown event, a time in
        # another form): named like any other edit, not a traceback out of verify-log.
        raise IntegrityError(
            f"custody record seq {row.seq}: a column holds what no signed record can ({exc}; "
            "edited)"
        ) from None


def _parse_row(row: Any) -> CustodyRecord:
    draft = CustodyDraft(
        evidence_id=row.evidence_id,
        sha256=row.sha256,
        report=row.report,
        event=CustodyEvent(row.event),
        purpose=row.purpose,
        released_by=Party(row.released_person, row.released_org),
        received_by=Party(row.received_person, row.received_org),
        at=parse_utc(row.at),
        place=row.place,
        channel=row.channel,
        hash_check=HashCheck(row.hash_check),
        tlp=row.tlp,
        distribution=row.distribution,
        group=row.group_name,
        acquisition=_acquisition(row),
        recorded_by=row.recorded_by,
    )
    return CustodyRecord(
        seq=int(row.seq),
        draft=draft,
        prev_hash=row.prev_hash,
        evidence_prev_hash=row.evidence_prev_hash,
        record_hash=row.record_hash,
        signature=row.signature,
    )


def _acquisition(row: Any) -> AcquiredFile | None:
    if row.acquisition is None:
        return None
    try:
        return AcquiredFile.from_json(json.loads(row.acquisition))
    except (ValueError, KeyError, TypeError, RecursionError):
        raise IntegrityError(
            f"custody record seq {row.seq}: its acquisition column is not the signed metadata "
            "(edited)"
        ) from None


def _record_to_row(record: CustodyRecord) -> dict[str, Any]:
    d = record.draft
    return {
        "seq": record.seq,
        "evidence_id": d.evidence_id,
        "sha256": d.sha256,
        "report": d.report,
        "event": d.event.value,
        "purpose": d.purpose,
        "released_person": d.released_by.person,
        "released_org": d.released_by.organization,
        "received_person": d.received_by.person,
        "received_org": d.received_by.organization,
        "at": utc_text(d.at),
        "place": d.place,
        "channel": d.channel,
        "hash_check": d.hash_check.value,
        "tlp": d.tlp,
        "distribution": d.distribution,
        "group_name": d.group,
        "prev_hash": record.prev_hash,
        "evidence_prev_hash": record.evidence_prev_hash,
        "leaf_hash": record.leaf().hex(),
        "record_hash": record.record_hash,
        "signature": record.signature,
        "acquisition": (
            None if d.acquisition is None else canonical_json(d.acquisition.to_json()).decode()
        ),
        "recorded_by": d.recorded_by,
    }


def _latest_head_row(conn: Connection) -> Any:
    return conn.execute(
        sa.select(custody_tree_heads).order_by(custody_tree_heads.c.id.desc()).limit(1)
    ).first()


def _head(row: Any) -> TreeHead:
    return TreeHead(int(row.size), row.root, row.timestamp, row.key_fingerprint, row.signature)


def _log_id(conn: Connection) -> str | None:
    """The custody log's id: its first record's hash (None: an empty log)."""
    found = conn.execute(sa.select(custody_events.c.record_hash).where(custody_events.c.seq == 1))
    return found.scalar()


def _log_fingerprint(conn: Connection) -> str | None:
    """The fingerprint of the key that signed the log's last tree head (None: empty log)."""
    row = _latest_head_row(conn)
    return None if row is None else str(row.key_fingerprint)


def _key_for_log(data_dir: Path, expected: str | None, *, create: bool) -> NodeKey:
    """The node key under DATA_DIR, which must be the key EXPECTED signed the log with."""
    path = data_dir / KEY_PATH
    if expected is None:
        return load_or_create_node_key(data_dir) if create else load_node_key(data_dir)
    if not path.exists():
        # A wrong or missing data directory: a new key would sign records the log's key did
        # not, and the log would never verify again under either key.
        raise ConfigError(
            f"no node key at {path}, but the custody log is signed by key {expected}: "
            f"is {data_dir} this node's data directory? (no new key was created)"
        )
    key = load_node_key(data_dir)
    if key.fingerprint != expected:
        raise ConfigError(
            f"the node key at {path} has fingerprint {key.fingerprint}, but the custody log is "
            f"signed by key {expected}: is {data_dir} this node's data directory?"
        )
    return key


def signing_key(store: Store, data_dir: Path) -> NodeKey:
    """The node key under DATA_DIR to append to the custody log with.

    Created on first use, while the log is empty; once the log is signed, ConfigError unless
    DATA_DIR holds the key that signed it.
    """
    with store.connect() as conn:
        expected = _log_fingerprint(conn)
    return _key_for_log(data_dir, expected, create=True)


# Work that must succeed for an append to count, run inside its transaction: it sees the new
# records and tree head, and whatever it raises rolls the append back.
Finish = Callable[[Connection, TreeHead], None]


def _in_driver_transaction(conn: Connection) -> bool:
    dbapi = conn.connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))


def _take_lock(conn: Connection) -> None:
    """Take the custody log's lock for the transaction of CONN (held until it ends)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    elif conn.dialect.name == "sqlite" and not _in_driver_transaction(conn):
        # The driver opens the transaction only at the first INSERT: the reads below would each
        # see another writer's newest commit (a log of N records next to a head of N + 1).
        # IMMEDIATE takes the write lock first (waiting up to the busy timeout).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def locked(store: Store) -> Iterator[Connection]:
    """A transaction holding the custody log's lock, as an append does: what it reads of the
    evidence and its custody cannot change before it ends (the evidence files are moved into
    the store and destroyed under it)."""
    with store.begin() as conn:
        _take_lock(conn)
        yield conn


def _append_once(
    conn: Connection, key: NodeKey, drafts: Sequence[CustodyDraft], finish: Finish | None
) -> tuple[TreeHead, str | None]:
    _take_lock(conn)
    last = conn.execute(
        sa.select(custody_events.c.seq, custody_events.c.record_hash)
        .order_by(custody_events.c.seq.desc())
        .limit(1)
    ).first()
    size, prev = (int(last.seq), last.record_hash) if last else (0, GENESIS)
    head_row = _latest_head_row(conn)
    frontier = merkle.Frontier()
    if head_row is not None:
        if head_row.key_fingerprint != key.fingerprint:
            raise ConfigError(
                f"the custody log is signed by key {head_row.key_fingerprint}, not by this "
                f"node's key {key.fingerprint}: is the data directory the right one?"
            )
        if int(head_row.size) != size:
            raise IntegrityError(
                f"the custody log holds {size} records but its last tree head says "
                f"{head_row.size}: run `bigfish evidence verify-log`"
            )
        try:
            frontier = merkle.Frontier(size, [bytes.fromhex(h) for h in head_row.frontier])
        except (TypeError, ValueError):
            raise IntegrityError(
                "the last tree head's stored frontier is malformed (edited?): run "
                "`bigfish evidence verify-log`"
            ) from None
    elif size:
        raise IntegrityError("the custody log has records but no tree head")
    log_id = _log_id(conn) if size else None
    if key.data_dir is not None and log_id is not None:
        # Fewer records than a head signed here: appending would bury their deletion.
        found = marks.append_problem(key.data_dir, log_id, size, head_row.root)
        if found is not None:
            raise IntegrityError(found)
    chains: dict[str, str] = {}
    now = datetime.now(UTC)
    for draft in drafts:
        if draft.event is not CustodyEvent.ACQUIRED:
            # Dated as it takes its place, under the append's lock: a time taken before (an
            # export's, before its files were copied) would date it before records that
            # another writer appended meanwhile, and the log's times would not follow its order.
            draft = dataclasses.replace(draft, at=now)
        if draft.evidence_id not in chains:
            found = conn.execute(
                sa.select(custody_events.c.record_hash)
                .where(custody_events.c.evidence_id == draft.evidence_id)
                .order_by(custody_events.c.seq.desc())
                .limit(1)
            ).scalar()
            chains[draft.evidence_id] = found or GENESIS
        size += 1
        record = seal(
            draft, seq=size, prev_hash=prev, evidence_prev_hash=chains[draft.evidence_id], key=key
        )
        conn.execute(custody_events.insert().values(**_record_to_row(record)))
        frontier.append(record.leaf())
        prev = chains[draft.evidence_id] = record.record_hash
        log_id = log_id or record.record_hash
    head = sign_tree_head(frontier, datetime.now(UTC), key)
    conn.execute(
        custody_tree_heads.insert().values(
            size=head.size,
            root=head.root,
            timestamp=head.timestamp,
            key_fingerprint=head.key_fingerprint,
            signature=head.signature,
            frontier=[n.hex() for n in frontier.nodes],
        )
    )
    if finish is not None:
        finish(conn, head)
    return head, log_id


def append(
    store: Store, key: NodeKey, drafts: Sequence[CustodyDraft], finish: Finish | None = None
) -> TreeHead:
    """Append DRAFTS to the log in one transaction and sign the new tree head.

    FINISH, when given, runs before the commit (an export writes its package there), and the
    append is tried once: its side effects are not repeated.
    """
    attempts = 1 if finish is not None else 5
    for attempt in range(attempts):
        try:
            with store.begin() as conn:
                head, log_id = _append_once(conn, key, drafts, finish)
        except (sa.exc.IntegrityError, StoreError):
            if attempt == attempts - 1:
                raise
            continue
        if key.data_dir is not None and log_id is not None:  # committed: marked beside the key
            place = database_place(store.engine.url)
            marks.note_signed(key.data_dir, place, log_id, marks.SignedHead(head.size, head.root))
        return head
    raise StoreError("could not append to the custody log")  # pragma: no cover


def read_records(
    conn: Connection, evidence_ids: Sequence[str] | None = None
) -> list[CustodyRecord]:
    """Custody records in log order, of EVIDENCE_IDS or of the whole log."""
    query = sa.select(custody_events).order_by(custody_events.c.seq)
    if evidence_ids is not None:
        query = query.where(custody_events.c.evidence_id.in_(list(evidence_ids)))
    return [_row_to_record(row) for row in conn.execute(query)]


def stored_leaves(conn: Connection, size: int) -> list[bytes]:
    """The stored leaf hashes of the first SIZE records."""
    rows = conn.execute(
        sa.select(custody_events.c.leaf_hash)
        .where(custody_events.c.seq <= size)
        .order_by(custody_events.c.seq)
    ).scalars()
    return [bytes.fromhex(h) for h in rows]


def latest_tree_head(store: Store) -> TreeHead | None:
    """The last signed tree head, or None for an empty log."""
    with store.connect() as conn:
        row = _latest_head_row(conn)
    return None if row is None else _head(row)


@dataclass(frozen=True, slots=True)
class LogCheck:
    """What `verify_custody_log` found."""

    ok: bool
    problem: str | None
    records: int
    tree_heads: int
    notes: tuple[str, ...] = ()  # what could not be checked (records older than a check)
    # Records signing `recorded_by` whose action's audit row names the same account, and those
    # (by seq) whose action has no audit row (`bigfish.evidence.audited`).
    recorded_by_checked: int = 0
    without_audit_row: tuple[int, ...] = ()


def verify_custody_log(store: Store, data_dir: Path, public_pem: bytes | None = None) -> LogCheck:
    """Check the whole custody log as stored: every record, link, signature, stored leaf hash
    and tree head (with the frontier kept for the next append).

    Detects rows edited, deleted, inserted or reordered directly in the database, and the newest
    records deleted with their tree heads when DATA_DIR holds the marks of heads it signed for
    this log (`bigfish.evidence.marks`). Without PUBLIC_PEM the key is the one under DATA_DIR,
    which must be the key that signed the log. Each record that signs `recorded_by` is then held
    to the audit log's row of its action, read in the same snapshot (`bigfish.evidence.audited`).
    """
    with store.connect() as conn:
        kept = marks.read_marks(data_dir, database_place(store.engine.url), _log_id(conn))
    with store.connect() as conn:
        _one_snapshot(conn)
        head_rows = conn.execute(sa.select(custody_tree_heads).order_by("id")).all()
        try:
            records = read_records(conn)
        except IntegrityError as exc:
            count = conn.execute(sa.select(sa.func.count()).select_from(custody_events))
            return LogCheck(False, str(exc), int(count.scalar_one()), len(head_rows))
        leaves = stored_leaves(conn, len(records))
        evidence_rows = conn.execute(
            sa.select(
                evidence,
                (organizations.c.name + "/" + reports.c.report_id).label("report"),
            )
            .join(reports, reports.c.id == evidence.c.report_pk)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .order_by(evidence.c.id)
        ).all()
        since = first_signed_account(records, head_rows)
        actions = [] if since is None else list(evidence_actions(conn, since))
    if not records and not head_rows and not evidence_rows:
        wiped = marks.log_problem(kept, None, [])
        return LogCheck(wiped is None, wiped, 0, 0)
    if public_pem:
        key = load_public_key(public_pem)
    else:
        expected = str(head_rows[-1].key_fingerprint) if head_rows else None
        key = _key_for_log(data_dir, expected, create=False).public_key
    problem = check_log(records, key)
    if problem is None:
        problem = _check_leaves(records, leaves)
    if problem is None:
        problem = _check_heads(records, head_rows, key)
    notes: list[str] = []
    if problem is None:
        problem = _check_evidence_rows(evidence_rows, records, notes)
    if problem is None:
        problem = marks.log_problem(kept, records[0].record_hash if records else None, leaves)
    audited = Audited()
    if problem is None:
        problem = compare_with_audit(appends(records, head_rows), actions, audited)
    if problem is None:
        notes += clock_notes(records, [_head(row) for row in head_rows])
    return LogCheck(
        problem is None,
        problem,
        len(records),
        len(head_rows),
        tuple(notes),
        audited.agree,
        tuple(sorted(audited.missing)),
    )


def _one_snapshot(conn: Connection) -> None:
    """Make the reads on CONN see one state of the database: on a live node an append
    between two of them (the heads before a new record, the records after it) would look
    like records deleted or added."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    elif conn.dialect.name == "sqlite" and not _in_driver_transaction(conn):
        conn.exec_driver_sql("BEGIN")  # the driver would read each statement on its own


_ROW_FIELDS = ("sha256", "report", "acquired_by", "acquired_at", "source", *LATER_FIELDS)


def _check_evidence_rows(
    rows: Sequence[Any], records: Sequence[CustodyRecord], notes: list[str]
) -> str | None:
    """Every evidence row against its signed custody records, and no records without a row."""
    by_item: dict[str, list[CustodyRecord]] = {}
    for record in records:
        by_item.setdefault(record.draft.evidence_id, []).append(record)
    for row in rows:
        claimed = {field: getattr(row, field) for field in _ROW_FIELDS}
        claimed["size"] = int(claimed["size"])
        found = check_binding(
            row.evidence_id, claimed, by_item.pop(row.evidence_id, []), "the evidence table"
        )
        if found.problem:
            return found.problem
        if found.note:
            notes.append(found.note)
    for evidence_id, orphans in by_item.items():
        return (
            f"custody record seq {orphans[0].seq}: evidence {evidence_id} is not in the "
            "evidence table (its row was deleted)"
        )
    return None


def _check_leaves(records: Sequence[CustodyRecord], leaves: Sequence[bytes]) -> str | None:
    """Stored leaf hashes serve proofs without rehashing the records: they must agree."""
    for record, stored in zip(records, leaves, strict=True):
        if record.leaf() != stored:
            return (
                f"custody record seq {record.seq}: its stored leaf hash does not match the "
                "record (the leaf_hash column was changed; proofs would be wrong)"
            )
    return None


def _check_heads(
    records: Sequence[CustodyRecord], head_rows: Sequence[Any], key: Ed25519PublicKey
) -> str | None:
    if not head_rows:
        # No records either: the evidence rows are checked next, and a row without its
        # acquired record is named there.
        return "the custody log has records but no signed tree head" if records else None
    heads = [_head(row) for row in head_rows]
    for head in heads:
        if not head.verify(key):
            return f"tree head of size {head.size} signed {head.timestamp}: bad signature"
    if heads[-1].size != len(records):
        return (
            f"the last signed tree head covers {heads[-1].size} records but the log holds "
            f"{len(records)}: records were deleted or added"
        )
    # Every head ever signed, not only the last: a copy of an older head stored as the latest
    # would hide the newest records' removal from the last-head check alone.
    for head in heads:
        if head.size > len(records):
            return (
                f"tree head of size {head.size} signed {head.timestamp} covers more records "
                f"than the log holds ({len(records)}): records were deleted"
            )
    for before, after in pairwise(heads):
        if after.size < before.size:
            return (
                f"tree head of size {after.size} signed {after.timestamp} follows one of size "
                f"{before.size} signed {before.timestamp}: the log only grows (a tree head was "
                "replaced)"
            )
    by_size: dict[int, list[tuple[TreeHead, list[str]]]] = {}
    for head, row in zip(heads, head_rows, strict=True):
        # Not a list when the column was edited: it then matches no frontier, and is named.
        kept = list(row.frontier) if isinstance(row.frontier, list) else [repr(row.frontier)]
        by_size.setdefault(head.size, []).append((head, kept))
    frontier = merkle.Frontier()
    for record in records:
        frontier.append(record.leaf())
        for head, kept in by_size.get(frontier.size, []):
            if frontier.root().hex() != head.root:
                return (
                    f"tree head of size {head.size} signed {head.timestamp} does not match the "
                    "records: the log was rewritten"
                )
            if kept != [n.hex() for n in frontier.nodes]:
                return (
                    f"tree head of size {head.size} signed {head.timestamp}: its stored "
                    "frontier does not match the records (the next append would sign a wrong "
                    "root)"
                )
    return None


@dataclass(frozen=True, slots=True)
class GrowthProof:
    """What a partner holding an old tree head needs to check the log only grew."""

    old_size: int
    tree_head: TreeHead
    proof: tuple[str, ...]  # hex


def prove_growth(store: Store, old_size: int) -> GrowthProof:
    """A consistency proof from the tree of OLD_SIZE records to the latest signed tree head."""
    with store.connect() as conn:
        row = _latest_head_row(conn)
        if row is None:
            raise IntegrityError("the custody log is empty")
        head = _head(row)
        if old_size < 0:
            raise IntegrityError(f"size {old_size}: a tree head's size is 0 or more")
        if old_size > head.size:
            raise IntegrityError(
                f"size {old_size} is outside this log: its latest signed tree head covers "
                f"{head.size} records, so a kept tree head of {old_size} is not of this log as it "
                "stands (records were removed, or the kept head is another node's)"
            )
        leaves = stored_leaves(conn, head.size)
    proof = merkle.consistency_proof(leaves, old_size)
    return GrowthProof(old_size, head, tuple(p.hex() for p in proof))


def check_growth(old: TreeHead, new: TreeHead, proof: Sequence[str], public_pem: bytes) -> bool:
    """True when NEW extends OLD (both signed by the key in PUBLIC_PEM) as PROOF shows."""
    key = load_public_key(public_pem)
    if not (old.verify(key) and new.verify(key)):
        return False
    return merkle.verify_consistency(
        old.size,
        new.size,
        bytes.fromhex(old.root),
        bytes.fromhex(new.root),
        [bytes.fromhex(p) for p in proof],
    )


def _lacking(exc: Exception) -> str:
    """What a malformed document lacks, in words (a KeyError names the missing key)."""
    if isinstance(exc, KeyError) and exc.args:
        return f"no {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def growth_problem(
    kept: dict[str, Any],
    answer: dict[str, Any],
    public_pem: bytes,
    expected_key: str,
    *,
    kept_name: str = "the kept tree head",
    answer_name: str = "the answer",
) -> str | None:
    """What is wrong with ANSWER (a `head --from-size N` document: tree head, from_size and
    consistency proof) as proof that the log grew from KEPT (a document holding the tree head a
    partner kept: `head`'s output, or a package's manifest.json), both signed by the key in
    PUBLIC_PEM whose fingerprint must be EXPECTED_KEY; None when the log only grew. A malformed
    document is named as KEPT_NAME or ANSWER_NAME (the CLI gives the file names)."""
    try:
        public_key = load_public_key(public_pem)
    except IntegrityError as exc:
        return f"the public key: {exc}"
    actual = fingerprint(public_key)
    expected = expected_key.strip().lower().replace(":", "").removeprefix("sha256")
    if actual != expected:
        return f"the public key has fingerprint {actual}, not the expected key {expected}"
    try:
        old = TreeHead.from_json(kept["tree_head"])
        old_root = bytes.fromhex(old.root)
    except (KeyError, TypeError, ValueError) as exc:
        return (
            f"{kept_name}: {_lacking(exc)}; expected a tree head as `bigfish evidence head` "
            "prints it, or a package's manifest.json"
        )
    try:
        new = TreeHead.from_json(answer["tree_head"])
        new_root = bytes.fromhex(new.root)
        from_size = int(answer["from_size"])
        proof = [bytes.fromhex(str(h)) for h in answer["consistency_proof"]]
    except (KeyError, TypeError, ValueError) as exc:
        return (
            f"{answer_name}: {_lacking(exc)}; expected the sender's answer to `bigfish "
            f"evidence head --from-size {old.size}` (a tree head and its consistency proof)"
        )
    if not old.verify(public_key):
        return f"the kept tree head of size {old.size}: bad signature"
    if not new.verify(public_key):
        return f"the new tree head of size {new.size}: bad signature"
    if from_size != old.size:
        return (
            f"the proof is from size {from_size}, but the kept tree head has size {old.size}: "
            f"ask for `bigfish evidence head --from-size {old.size}`"
        )
    if not merkle.verify_consistency(old.size, new.size, old_root, new_root, proof):
        return (
            f"the log of {new.size} records signed {new.timestamp} does not extend the kept tree "
            f"head of {old.size} records signed {old.timestamp}: records were removed or rewritten"
        )
    return None

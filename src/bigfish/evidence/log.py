"""The node's custody log in the store: append, read, sign tree heads, verify, prove growth.

Appends are serialized (an advisory lock on PostgreSQL, the single writer on SQLite, and a
unique `seq` with a retry as the last word), so the hash chain never forks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from bigfish.errors import IntegrityError, StoreError
from bigfish.evidence import merkle
from bigfish.evidence.custody import (
    GENESIS,
    CustodyDraft,
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    NodeKey,
    Party,
    TreeHead,
    check_log,
    load_node_key,
    load_public_key,
    parse_utc,
    seal,
    sign_tree_head,
    utc_text,
)
from bigfish.store import Store
from bigfish.store.schema_evidence import custody_events, custody_tree_heads

_LOCK_ID = 0x6269676669736865  # "bigfishe": the advisory lock of custody appends


def _row_to_record(row: Any) -> CustodyRecord:
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
    )
    return CustodyRecord(
        seq=int(row.seq),
        draft=draft,
        prev_hash=row.prev_hash,
        evidence_prev_hash=row.evidence_prev_hash,
        record_hash=row.record_hash,
        signature=row.signature,
    )


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
    }


def _latest_head_row(conn: Connection) -> Any:
    return conn.execute(
        sa.select(custody_tree_heads).order_by(custody_tree_heads.c.id.desc()).limit(1)
    ).first()


def _head(row: Any) -> TreeHead:
    return TreeHead(int(row.size), row.root, row.timestamp, row.key_fingerprint, row.signature)


def _append_once(conn: Connection, key: NodeKey, drafts: Sequence[CustodyDraft]) -> TreeHead:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    last = conn.execute(
        sa.select(custody_events.c.seq, custody_events.c.record_hash)
        .order_by(custody_events.c.seq.desc())
        .limit(1)
    ).first()
    size, prev = (int(last.seq), last.record_hash) if last else (0, GENESIS)
    head_row = _latest_head_row(conn)
    frontier = merkle.Frontier()
    if head_row is not None:
        if int(head_row.size) != size:
            raise IntegrityError(
                f"the custody log holds {size} records but its last tree head says "
                f"{head_row.size}: run `bigfish evidence verify-log`"
            )
        frontier = merkle.Frontier(size, [bytes.fromhex(h) for h in head_row.frontier])
    elif size:
        raise IntegrityError("the custody log has records but no tree head")
    chains: dict[str, str] = {}
    for draft in drafts:
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
    return head


def append(store: Store, key: NodeKey, drafts: Sequence[CustodyDraft]) -> TreeHead:
    """Append DRAFTS to the log in one transaction and sign the new tree head."""
    for attempt in range(5):
        try:
            with store.begin() as conn:
                return _append_once(conn, key, drafts)
        except (sa.exc.IntegrityError, StoreError):
            if attempt == 4:
                raise
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


def verify_custody_log(store: Store, data_dir: Path, public_pem: bytes | None = None) -> LogCheck:
    """Check the whole custody log as stored: every record, link, signature and tree head.

    Detects rows edited, deleted, inserted or reordered directly in the database.
    """
    with store.connect() as conn:
        records = read_records(conn)
        heads = [_head(r) for r in conn.execute(sa.select(custody_tree_heads).order_by("id"))]
    if not records and not heads:
        return LogCheck(True, None, 0, 0)
    key = load_public_key(public_pem) if public_pem else load_node_key(data_dir).public_key
    problem = check_log(records, key)
    if problem is None:
        problem = _check_heads(records, heads, key)
    return LogCheck(problem is None, problem, len(records), len(heads))


def _check_heads(
    records: Sequence[CustodyRecord], heads: Sequence[TreeHead], key: Ed25519PublicKey
) -> str | None:
    if not heads:
        return "the custody log has records but no signed tree head"
    for head in heads:
        if not head.verify(key):
            return f"tree head of size {head.size} signed {head.timestamp}: bad signature"
    if heads[-1].size != len(records):
        return (
            f"the last signed tree head covers {heads[-1].size} records but the log holds "
            f"{len(records)}: records were deleted or added"
        )
    by_size: dict[int, list[TreeHead]] = {}
    for head in heads:
        by_size.setdefault(head.size, []).append(head)
    frontier = merkle.Frontier()
    for record in records:
        frontier.append(record.leaf())
        for head in by_size.get(frontier.size, []):
            if frontier.root().hex() != head.root:
                return (
                    f"tree head of size {head.size} signed {head.timestamp} does not match the "
                    "records: the log was rewritten"
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
        if not 0 <= old_size <= head.size:
            raise IntegrityError(f"old size {old_size} outside 0..{head.size}")
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

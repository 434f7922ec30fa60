"""Chain-of-custody records: canonical form, hash chain, Ed25519 signatures, tree heads (pure).

Each record carries the fields NIST's definition of chain of custody and ISO/IEC 27037 ask for
(what, when, who released and who received it, why, where, how, the integrity check and the
marking at that moment). A record's *body* is its canonical JSON without the hash and signature;
``record_hash = SHA-256(body)``, the signature is Ed25519 over the body, and the body is also the
RFC 6962 Merkle leaf entry. Two links make removal visible: ``prev_hash`` to the previous record
of the node's log and ``evidence_prev_hash`` to the previous record of the same evidence item,
so an exported package, which holds only some evidence items, still carries whole chains.

The node key lives in ``<data_dir>/keys/node_ed25519.pem`` (mode 0600) and never leaves
`NodeKey`: nothing here logs, prints or exports the private half. The key, its fingerprint and
the checks of signatures are in `bigfish.evidence.node_key`; their names are re-exported here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bigfish.evidence.merkle import Frontier, leaf_hash
from bigfish.evidence.node_key import KEY_PATH as KEY_PATH
from bigfish.evidence.node_key import NodeKey as NodeKey
from bigfish.evidence.node_key import fingerprint as fingerprint
from bigfish.evidence.node_key import first_bad_signature as first_bad_signature
from bigfish.evidence.node_key import load_node_key as load_node_key
from bigfish.evidence.node_key import load_or_create_node_key as load_or_create_node_key
from bigfish.evidence.node_key import load_public_key as load_public_key
from bigfish.evidence.node_key import public_pem as public_pem
from bigfish.evidence.node_key import verify_signature as verify_signature

GENESIS = "0" * 64


class CustodyEvent(StrEnum):
    """What happened to a piece of evidence."""

    ACQUIRED = "acquired"
    ACCESSED = "accessed"
    EXPORTED = "exported"
    TRANSFERRED = "transferred"
    SEALED = "sealed"
    DISPOSED = "disposed"


class HashCheck(StrEnum):
    """The result of re-hashing the stored bytes when the event was recorded."""

    MATCH = "match"
    MISMATCH = "mismatch"
    MISSING = "missing"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class Party:
    """A person acting for an organization (either may be unknown)."""

    person: str | None
    organization: str | None


@dataclass(frozen=True, slots=True)
class AcquiredFile:
    """What an `acquired` record states about the file besides its digest, the report, who
    acquired it (``received_by.person``), when (``at``) and from where (``released_by``): signed
    with the record, so that the evidence row and a package's manifest can be checked against it.
    """

    file_name: str | None
    size: int
    media_type: str
    source: str
    method: str
    tool: str | None
    tool_version: str | None
    description: str | None

    def to_json(self) -> dict[str, Any]:
        """The object records carry under "acquisition" (its fields, in their order)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AcquiredFile:
        """The inverse of to_json; KeyError/TypeError/ValueError on a malformed object."""
        size = obj["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError(f"acquisition size is not an integer: {size!r}")
        return cls(
            file_name=_optional_text(obj["file_name"]),
            size=size,
            media_type=str(obj["media_type"]),
            source=str(obj["source"]),
            method=str(obj["method"]),
            tool=_optional_text(obj["tool"]),
            tool_version=_optional_text(obj["tool_version"]),
            description=_optional_text(obj["description"]),
        )


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"not a text or null: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class CustodyDraft:
    """A custody event before it takes its place in the log."""

    evidence_id: str
    sha256: str
    report: str  # "org/report_id"
    event: CustodyEvent
    purpose: str
    released_by: Party
    received_by: Party
    at: datetime
    place: str
    channel: str
    hash_check: HashCheck
    tlp: str
    distribution: str
    group: str | None
    # Only on `acquired` records; records written before bigfish signed it have none.
    acquisition: AcquiredFile | None = None
    # The account that wrote the record into bigfish, as the audit log names it ("user:alice",
    # "key:12", "console:<OS user>"): the people above are what that account stated. Records
    # written before bigfish signed it have none.
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    """A sealed custody record: a draft with its position, links, hash and signature."""

    seq: int  # 1-based position in the node's log; leaf index seq - 1
    draft: CustodyDraft
    prev_hash: str
    evidence_prev_hash: str
    record_hash: str
    signature: str

    def body(self) -> bytes:
        """The canonical bytes that are hashed, signed and used as the Merkle leaf entry."""
        return canonical_body(self.seq, self.draft, self.prev_hash, self.evidence_prev_hash)

    def leaf(self) -> bytes:
        """The RFC 6962 leaf hash of this record."""
        return leaf_hash(self.body())

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (the form in packages)."""
        return {
            **json.loads(self.body()),
            "record_hash": self.record_hash,
            "signature": self.signature,
        }


def utc_text(at: datetime) -> str:
    """AT as ISO 8601 UTC with microseconds and a Z, the one form records use."""
    if at.tzinfo is None:
        raise ValueError("custody times must carry a time zone")
    u = at.astimezone(UTC)
    # Not strftime: its %Y gives "999", not "0999", before the year 1000 on glibc, and parse_utc
    # (strict) would refuse what was signed, making the whole log unreadable.
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


def parse_utc(text: str) -> datetime:
    """The inverse of utc_text (strict: exactly the form utc_text writes)."""
    if len(text) != 27 or text[10] != "T" or text[-1] != "Z":
        raise ValueError(f"not a custody time: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes for the same value everywhere.

    For the JSON documents that are signed and verified elsewhere (custody records, package
    manifests, request events): JSON's own values only, so a time is given as text first (a
    datetime raises TypeError) and text must be valid Unicode (a lone surrogate raises
    UnicodeEncodeError). A report's `bigfish.store.writes.content_digest` is another encoding,
    on purpose: it stays on the node and takes the values a report is written with; on plain
    JSON content the two give the same bytes (tests/evidence/test_review_h107.py)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_body(seq: int, d: CustodyDraft, prev_hash: str, evidence_prev_hash: str) -> bytes:
    """The canonical JSON of a record without its hash and signature."""
    body: dict[str, Any] = {
        "seq": seq,
        "evidence_id": d.evidence_id,
        "sha256": d.sha256,
        "report": d.report,
        "event": d.event.value,
        "purpose": d.purpose,
        "released_by": {
            "person": d.released_by.person,
            "organization": d.released_by.organization,
        },
        "received_by": {
            "person": d.received_by.person,
            "organization": d.received_by.organization,
        },
        "at": utc_text(d.at),
        "place": d.place,
        "channel": d.channel,
        "hash_check": d.hash_check.value,
        "marking": {"tlp": d.tlp, "distribution": d.distribution, "group": d.group},
        "prev_hash": prev_hash,
        "evidence_prev_hash": evidence_prev_hash,
    }
    if d.acquisition is not None:  # absent, not null: older records keep their exact bytes
        body["acquisition"] = d.acquisition.to_json()
    if d.recorded_by is not None:  # the same: absent on records written before it was signed
        body["recorded_by"] = d.recorded_by
    return canonical_json(body)


def record_from_json(obj: dict[str, Any]) -> CustodyRecord:
    """A record from its JSON object; KeyError/ValueError on a malformed one."""
    marking = obj["marking"]
    draft = CustodyDraft(
        evidence_id=str(obj["evidence_id"]),
        sha256=str(obj["sha256"]),
        report=str(obj["report"]),
        event=CustodyEvent(obj["event"]),
        purpose=str(obj["purpose"]),
        released_by=Party(obj["released_by"]["person"], obj["released_by"]["organization"]),
        received_by=Party(obj["received_by"]["person"], obj["received_by"]["organization"]),
        at=parse_utc(str(obj["at"])),
        place=str(obj["place"]),
        channel=str(obj["channel"]),
        hash_check=HashCheck(obj["hash_check"]),
        tlp=str(marking["tlp"]),
        distribution=str(marking["distribution"]),
        group=marking["group"],
        acquisition=(AcquiredFile.from_json(obj["acquisition"]) if "acquisition" in obj else None),
        recorded_by=_recorded_by(obj),
    )
    return CustodyRecord(
        seq=int(obj["seq"]),
        draft=draft,
        prev_hash=str(obj["prev_hash"]),
        evidence_prev_hash=str(obj["evidence_prev_hash"]),
        record_hash=str(obj["record_hash"]),
        signature=str(obj["signature"]),
    )


def _recorded_by(obj: dict[str, Any]) -> str | None:
    """A record's "recorded_by": absent on records written before bigfish signed it. A null is
    read as absent (no record bigfish signed holds one: the body then differs from the signed
    one and the record is named as edited); a number or an object is no record at all."""
    if "recorded_by" not in obj:
        return None
    return _optional_text(obj["recorded_by"])


def seal(
    draft: CustodyDraft, *, seq: int, prev_hash: str, evidence_prev_hash: str, key: NodeKey
) -> CustodyRecord:
    """Give DRAFT its place in the log: position, links, hash and signature."""
    body = canonical_body(seq, draft, prev_hash, evidence_prev_hash)
    return CustodyRecord(
        seq=seq,
        draft=draft,
        prev_hash=prev_hash,
        evidence_prev_hash=evidence_prev_hash,
        record_hash=hashlib.sha256(body).hexdigest(),
        signature=key.sign(body),
    )


def check_record(record: CustodyRecord, public_key: Ed25519PublicKey) -> str | None:
    """The problem with one record on its own (hash, signature), or None."""
    body = record.body()
    if hashlib.sha256(body).hexdigest() != record.record_hash:
        return f"custody record seq {record.seq}: its content does not match its hash (edited)"
    if not verify_signature(public_key, record.signature, body):
        return f"custody record seq {record.seq}: bad signature"
    return None


def check_evidence_chains(records: Iterable[CustodyRecord]) -> str | None:
    """The first break in the per-evidence chains of RECORDS (in log order), or None."""
    last: dict[str, str] = {}
    for record in records:
        expected = last.get(record.draft.evidence_id, GENESIS)
        if record.evidence_prev_hash != expected:
            return (
                f"custody record seq {record.seq} of evidence {record.draft.evidence_id}: "
                "the record before it is missing or out of order"
            )
        last[record.draft.evidence_id] = record.record_hash
    return None


def check_log(records: Sequence[CustodyRecord], public_key: Ed25519PublicKey) -> str | None:
    """The first problem with a whole node log (records in storage order), or None.

    Catches edited rows (hash or signature), deleted, inserted and reordered rows (positions
    and links) and records signed by another key.
    """
    prev = GENESIS
    for position, record in enumerate(records, start=1):
        if record.seq != position:
            return (
                f"custody log position {position} holds seq {record.seq}: "
                "a record was deleted, inserted or moved"
            )
        problem = check_record(record, public_key)
        if problem:
            return problem
        if record.prev_hash != prev:
            return f"custody record seq {record.seq}: its link to the previous record is broken"
        prev = record.record_hash
    return check_evidence_chains(records)


# Before records were dated under the append's lock, two writers could also do this.
_OVERLAP = (
    " (or, in a log written before bigfish dated records as it appended them, two writers "
    "overlapped)"
)


def clock_notes(records: Iterable[CustodyRecord], heads: Iterable[TreeHead] = ()) -> list[str]:
    """A note for each place where the node's clock went back: a record (in log order) dated
    before the record before it, or a tree head (in the order signed) dated before a record it
    covers or before the tree head before it.

    Acquired records are left out: their time is the acquirer's word (it may be long past, or
    up to a day ahead); the others are dated by the node's clock as they take their place in
    the log. The order of the log is what the signatures prove; a time out of that order is no
    forgery, but a court reading the chain is told rather than left to find it (a clock set
    back to back-date an event shows here)."""
    notes: list[str] = []
    clock = [r for r in records if r.draft.event is not CustodyEvent.ACQUIRED]
    for before, record in pairwise(clock):
        if record.draft.at < before.draft.at:
            notes.append(
                f"custody record seq {record.seq} ({record.draft.event.value}, "
                f"{utc_text(record.draft.at)}) is dated before the record before it (seq "
                f"{before.seq}, {utc_text(before.draft.at)}): the node's clock went back{_OVERLAP}"
            )
    newest: CustodyRecord | None = None  # the latest dated record the heads so far cover
    covered = 0
    previous: TreeHead | None = None
    for head in heads:
        while covered < len(clock) and clock[covered].seq <= head.size:
            if newest is None or clock[covered].draft.at > newest.draft.at:
                newest = clock[covered]
            covered += 1
        if newest is not None and head.timestamp < utc_text(newest.draft.at):
            notes.append(
                f"tree head of size {head.size} is dated {head.timestamp}, before custody "
                f"record seq {newest.seq} that it covers ({utc_text(newest.draft.at)}): the "
                "node's clock went back"
            )
        elif previous is not None and head.timestamp < previous.timestamp:
            notes.append(
                f"tree head of size {head.size} is dated {head.timestamp}, before the tree head "
                f"of size {previous.size} ({previous.timestamp}): the node's clock went back"
            )
        previous = head
    return notes


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A signed statement of the log's size and Merkle root at a moment."""

    size: int
    root: str  # hex
    timestamp: str  # utc_text
    key_fingerprint: str
    signature: str

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers."""
        return tree_head_bytes(self.size, self.root, self.timestamp, self.key_fingerprint)

    def to_json(self) -> dict[str, Any]:
        """The tree head as a JSON object."""
        return {
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
            "key_fingerprint": self.key_fingerprint,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TreeHead:
        """The inverse of to_json; KeyError/ValueError on a malformed object."""
        return cls(
            int(obj["size"]),
            str(obj["root"]),
            str(obj["timestamp"]),
            str(obj["key_fingerprint"]),
            str(obj["signature"]),
        )

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        """True when the signature holds for PUBLIC_KEY."""
        return fingerprint(public_key) == self.key_fingerprint and verify_signature(
            public_key, self.signature, self.signed_bytes()
        )


def tree_head_bytes(size: int, root_hex: str, timestamp: str, key_fingerprint: str) -> bytes:
    """What a tree head's signature covers."""
    return canonical_json(
        {
            "format": "bigfish-custody-tree-head/1",
            "size": size,
            "root": root_hex,
            "timestamp": timestamp,
            "key_fingerprint": key_fingerprint,
        }
    )


def sign_tree_head(frontier: Frontier, at: datetime, key: NodeKey) -> TreeHead:
    """A tree head for the log summarized by FRONTIER, signed now (AT) with KEY."""
    root_hex = frontier.root().hex()
    stamp = utc_text(at)
    message = tree_head_bytes(frontier.size, root_hex, stamp, key.fingerprint)
    return TreeHead(frontier.size, root_hex, stamp, key.fingerprint, key.sign(message))

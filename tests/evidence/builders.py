"""Build custody logs and packages with the pure core only (no database)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bigfish.evidence import merkle
from bigfish.evidence.custody import (
    GENESIS,
    AcquiredFile,
    CustodyDraft,
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    NodeKey,
    Party,
    load_or_create_node_key,
    seal,
    sign_tree_head,
)
from bigfish.evidence.files import store_stream
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.package import PackageContents, write_package

T0 = datetime(2025, 12, 17, 3, 0, tzinfo=UTC)


def draft(evidence_id: str, sha: str, event: CustodyEvent, minute: int) -> CustodyDraft:
    return CustodyDraft(
        evidence_id=evidence_id,
        sha256=sha,
        report="TH-AOC/R-1",
        event=event,
        purpose="investigation of case 1441/2025",
        released_by=Party("Somchai", "TH-AOC"),
        received_by=Party("Lan", "VN-MPS"),
        at=T0 + timedelta(minutes=minute),
        place="bigfish node th-aoc",
        channel="bigfish",
        hash_check=HashCheck.MATCH,
        tlp="amber",
        distribution="organization",
        group=None,
    )


def acquired(item: EvidenceRecord, *, signed_metadata: bool = True) -> CustodyDraft:
    """The acquired record of ITEM as the node writes it (without the file metadata: as
    bigfish wrote it before it signed that)."""
    facts = AcquiredFile(
        file_name=item.file_name,
        size=item.size,
        media_type=item.media_type,
        source=item.source,
        method=item.method,
        tool=item.tool,
        tool_version=item.tool_version,
        description=item.description,
    )
    return replace(
        draft(item.evidence_id, item.sha256, CustodyEvent.ACQUIRED, 0),
        purpose=f"acquisition from {item.source} by {item.method}",
        released_by=Party(None, item.source),
        received_by=Party(item.acquired_by, item.org),
        at=item.acquired_at,
        channel="upload",
        acquisition=facts if signed_metadata else None,
    )


def build_log(drafts: list[CustodyDraft], key: NodeKey) -> list[CustodyRecord]:
    records: list[CustodyRecord] = []
    last: dict[str, str] = {}
    prev = GENESIS
    for seq, d in enumerate(drafts, start=1):
        record = seal(
            d,
            seq=seq,
            prev_hash=prev,
            evidence_prev_hash=last.get(d.evidence_id, GENESIS),
            key=key,
        )
        records.append(record)
        prev = record.record_hash
        last[d.evidence_id] = record.record_hash
    return records


def evidence_record(
    evidence_id: str, sha: str, size: int, name: str, at: datetime = T0
) -> EvidenceRecord:
    return EvidenceRecord(
        evidence_id=evidence_id,
        org="TH-AOC",
        report_id="R-1",
        sha256=sha,
        size=size,
        media_type="text/plain",
        file_name=name,
        acquired_by="Somchai",
        acquired_at=at,
        source="victim's phone",
        method="WhatsApp chat export",
        tool="WhatsApp",
        tool_version="2.25",
        description="chat with the scammer",
        tlp="amber",
        distribution="organization",
        group=None,
        integrity=HashCheck.MATCH,
    )


def build_package(
    tmp_path: Path, *, files: int = 2, other_events: int = 3, signed_metadata: bool = True
) -> tuple[Path, NodeKey]:
    """A package for report TH-AOC/R-1 with FILES files, in a log shared with other evidence
    (without SIGNED_METADATA: acquired records as bigfish wrote them before it signed that)."""
    data_dir = tmp_path / "node"
    key = load_or_create_node_key(data_dir)
    items: list[EvidenceRecord] = []
    blobs: dict[str, Path] = {}
    drafts: list[CustodyDraft] = []
    for i in range(files):
        content = f"chat export {i}\nscammer: send 5000 baht to 123-4-56789-{i}\n".encode()
        stored = store_stream(data_dir, io.BytesIO(content))
        at = T0 + timedelta(minutes=i)
        items.append(evidence_record(f"ev-{i}", stored.sha256, stored.size, f"chat{i}.txt", at))
        blobs[stored.sha256] = stored.path
        drafts.append(acquired(items[-1], signed_metadata=signed_metadata))
    for j in range(other_events):  # another report's evidence interleaved in the node log
        drafts.append(
            draft("ev-other", hashlib.sha256(b"x").hexdigest(), CustodyEvent.ACCESSED, 10 + j)
        )
    for i in range(files):
        drafts.append(draft(f"ev-{i}", items[i].sha256, CustodyEvent.EXPORTED, 20 + i))
    log = build_log(drafts, key)
    frontier = merkle.Frontier()
    for record in log:
        frontier.append(record.leaf())
    head = sign_tree_head(frontier, T0 + timedelta(hours=1), key)
    tree = merkle.MerkleTree([r.leaf() for r in log])
    mine = [r for r in log if r.draft.evidence_id != "ev-other"]
    contents = PackageContents(
        org="TH-AOC",
        report_id="R-1",
        evidence=items,
        blobs=blobs,
        records=mine,
        tree_head=head,
        proofs={r.seq: tree.inclusion_proof(r.seq - 1) for r in mine},
    )
    out = tmp_path / "package.zip"
    write_package(out, contents, key, created_at=T0 + timedelta(hours=1))
    return out, key


def rewrite(package: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of PACKAGE with its members changed by CHANGE (name -> bytes, in order)."""
    with zipfile.ZipFile(package) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    change(members)
    out = package.with_name("tampered-" + package.name)
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out

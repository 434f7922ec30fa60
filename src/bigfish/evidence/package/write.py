"""Writing an evidence package: the evidence files first (hashed on the way), then the signed
manifest and the other documents, atomically under the name asked for."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bigfish.evidence.casejson import case_document
from bigfish.evidence.custody import CustodyRecord, NodeKey, Party, canonical_json, utc_text
from bigfish.evidence.files import copy_hashing
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.package.layout import (
    PackageContents,
    _as_binary,
    disposals,
    package_format,
)


def _evidence_entry(item: EvidenceRecord, disposed: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "evidence_id": item.evidence_id,
        "path": f"files/{item.sha256}",
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "file_name": item.file_name,
        "acquired_by": item.acquired_by,
        "organization": item.org,
        "acquired_at": utc_text(item.acquired_at),
        "source": item.source,
        "method": item.method,
        "tool": item.tool,
        "tool_version": item.tool_version,
        "description": item.description,
        "marking": {"tlp": item.tlp, "distribution": item.distribution, "group": item.group},
    }
    if disposed:  # no bytes in the package: its chain ends in the signed disposal
        entry["path"] = None
        entry["disposed"] = True
    return entry


def _shown(text: str | None) -> str | None:
    """TEXT on one line as a reader sees it: a line break, a tab or a character that changes
    the direction of the text (anything not printable) escaped, so that text a person typed
    (a purpose, a file name) cannot lay a line that looks like another record into the
    summary."""
    if text is None:
        return None
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def summary_text(contents: PackageContents, key_fingerprint: str, created_at: datetime) -> str:
    """The human-readable summary of a package (free text shown on one line, escaped)."""
    contents = replace(
        contents,
        evidence=[_shown_item(item) for item in contents.evidence],
        records=[_shown_record(record) for record in contents.records],
    )
    head = contents.tree_head
    disposed = disposals(contents.records)
    # A disposed item's bytes acquired again for the report: the package carries them once,
    # for the live item (its summary must not say the bytes are absent).
    carried_for = {
        item.sha256: item.evidence_id
        for item in contents.evidence
        if item.evidence_id not in disposed
    }
    count = str(len(contents.evidence))
    if disposed:
        files = "its file" if len(disposed) == 1 else "their files"
        count += f"; {len(disposed)} disposed of, carried without {files}"
    lines = [
        f"Evidence package for report {_shown(f'{contents.org}/{contents.report_id}')}",
        f"Created {utc_text(created_at)} by the bigfish node with key fingerprint (SHA-256):",
        f"  {key_fingerprint}",
        "Compare this fingerprint with the one the sending organization gave you separately,",
        "then run:  bigfish evidence verify PACKAGE.zip --key FINGERPRINT",
        "",
        f"Custody log tree head: size {head.size}, root {head.root}, signed {head.timestamp}",
        "",
        f"Evidence ({count}):",
    ]
    for item in contents.evidence:
        lines += [
            f"- {item.evidence_id}: {item.file_name or '(unnamed)'} ({item.media_type}, "
            f"{item.size} bytes)",
            f"  SHA-256 {item.sha256}",
            f"  acquired {utc_text(item.acquired_at)} by {item.acquired_by} ({item.org}) "
            f"from {item.source} by {item.method}"
            + (f" with {item.tool} {item.tool_version or ''}".rstrip() if item.tool else ""),
        ]
        if item.evidence_id in disposed:
            carried = carried_for.get(item.sha256)
            lines.append(f"  {_disposal_text(disposed[item.evidence_id], carried)}")
    lines += ["", f"Chain of custody ({len(contents.records)} records):"]
    for record in contents.records:
        d = record.draft
        lines.append(
            f"{record.seq:>8}  {utc_text(d.at)}  {d.evidence_id}  {d.event.value:<11} "
            f"from {d.released_by.person or '-'} ({d.released_by.organization or '-'}) "
            f"to {d.received_by.person or '-'} ({d.received_by.organization or '-'}) "
            f"via {d.channel} at {d.place}; purpose: {d.purpose}; hash {d.hash_check.value}; "
            f"TLP:{d.tlp.upper()} {d.distribution}"
            + (f"; recorded by {d.recorded_by}" if d.recorded_by is not None else "")
        )
    return "\n".join(lines) + "\n"


def _disposal_text(record: CustodyRecord, carried_as: str | None = None) -> str:
    """What the `disposed` RECORD of an item says, for a reader: who, when, why, and that the
    package holds no bytes of it (its text as the record holds it; the caller escapes it), or,
    when the same bytes are carried for CARRIED_AS (the report's item acquired again), so."""
    d = record.draft
    said = (
        f"DISPOSED OF by {d.released_by.person or '-'} ({d.released_by.organization or '-'}) "
        f"on {utc_text(d.at)} (custody record seq {record.seq}; purpose: {d.purpose}): "
    )
    if carried_as is None:
        return said + "its file is not in this package, as recorded"
    return (
        said + "it has no file of its own in this package, as recorded; the same bytes are in "
        f"it as evidence {carried_as}"
    )


def _shown_item(item: EvidenceRecord) -> EvidenceRecord:
    return replace(
        item,
        file_name=_shown(item.file_name),
        media_type=_shown(item.media_type) or "",
        acquired_by=_shown(item.acquired_by) or "",
        source=_shown(item.source) or "",
        method=_shown(item.method) or "",
        tool=_shown(item.tool),
        tool_version=_shown(item.tool_version),
    )


def _shown_party(party: Party) -> Party:
    return Party(_shown(party.person), _shown(party.organization))


def _shown_record(record: CustodyRecord) -> CustodyRecord:
    d = record.draft
    draft = replace(
        d,
        purpose=_shown(d.purpose) or "",
        released_by=_shown_party(d.released_by),
        received_by=_shown_party(d.received_by),
        place=_shown(d.place) or "",
        channel=_shown(d.channel) or "",
        recorded_by=_shown(d.recorded_by),
    )
    return replace(record, draft=draft)


def write_files(tmp: Path, blobs: Mapping[str, Path]) -> dict[str, tuple[str, int]]:
    """Start a package at TMP with the evidence files BLOBS (digest -> stored file).

    Returns each member's SHA-256 and size as written, hashed on the way: the exporter compares
    them with the digests before it records anything.
    """
    written: dict[str, tuple[str, int]] = {}
    with zipfile.ZipFile(tmp, "w") as zf:
        for sha in sorted(blobs):
            source = blobs[sha]
            stat = source.stat()
            stamp = max(time.gmtime(stat.st_mtime)[:6], (1980, 1, 1, 0, 0, 0))  # zip's epoch
            info = zipfile.ZipInfo(f"files/{sha}", stamp)
            # Files are stored, not compressed: evidence is often compressed already and
            # storing keeps export and verification at disk speed.
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = stat.st_size  # zip64 headers only when the file needs them
            with source.open("rb") as stream, zf.open(info, "w") as member:
                written[info.filename] = copy_hashing(stream, _as_binary(member))
    return written


def write_documents(
    tmp: Path, contents: PackageContents, key: NodeKey, *, created_at: datetime
) -> None:
    """Add the manifest, its signature and the other documents of CONTENTS to the package
    started at TMP by `write_files`, signed with KEY. An item disposed of (its records hold
    `disposed`) has its entry marked so, and no file: `write_files` was not given it."""
    disposed = disposals(contents.records)
    documents: dict[str, bytes] = {
        "public_key.pem": key.public_pem(),
        "custody.jsonl": b"".join(canonical_json(r.to_json()) + b"\n" for r in contents.records),
        "proofs.json": canonical_json(
            {str(seq): [h.hex() for h in proof] for seq, proof in contents.proofs.items()}
        ),
        "case.jsonld": json.dumps(
            case_document(contents.org, contents.report_id, contents.evidence, contents.records),
            indent=1,
            ensure_ascii=False,
        ).encode(),
        "summary.txt": summary_text(contents, key.fingerprint, created_at).encode(),
    }
    manifest = canonical_json(
        {
            "format": package_format(contents.records),
            "created_at": utc_text(created_at),
            "report": {"org": contents.org, "report_id": contents.report_id},
            "key_fingerprint": key.fingerprint,
            "evidence": [
                _evidence_entry(item, item.evidence_id in disposed) for item in contents.evidence
            ],
            "custody": [
                {"seq": r.seq, "evidence_id": r.draft.evidence_id, "record_hash": r.record_hash}
                for r in contents.records
            ],
            "tree_head": contents.tree_head.to_json(),
            "documents": {
                name: hashlib.sha256(data).hexdigest() for name, data in documents.items()
            },
        }
    )
    with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", manifest)
        zf.writestr("manifest.sig", key.sign(manifest))
        for name, data in documents.items():
            zf.writestr(name, data)
    with tmp.open("rb+") as written:
        os.fsync(written.fileno())


def write_package(
    out: Path, contents: PackageContents, key: NodeKey, *, created_at: datetime
) -> Path:
    """Write the package for CONTENTS to OUT (atomically), signed with KEY."""
    tmp = partial_path(out)
    try:
        disposed = disposals(contents.records)
        kept = [item for item in contents.evidence if item.evidence_id not in disposed]
        write_files(tmp, {item.sha256: contents.blobs[item.sha256] for item in kept})
        write_documents(tmp, contents, key, created_at=created_at)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def partial_path(out: Path) -> Path:
    """Where the package for OUT is written before it is complete."""
    return out.with_name(out.name + ".partial")

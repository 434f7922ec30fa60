"""Evidence packages: export to one zip, and verify with nothing but the zip.

Layout of a package::

    manifest.json     what is inside: report, evidence with digests, custody records by hash,
                      the signed tree head, and the digest of every other document
    manifest.sig      the node's Ed25519 signature of manifest.json (hex)
    public_key.pem    the node's public key; its SHA-256 fingerprint is given to partners apart
    custody.jsonl     the custody records of every evidence item, in log order, signed each
    proofs.json       the RFC 6962 inclusion proof of every record in the signed tree head
    case.jsonld       the CASE/UCO description (ProvenanceRecord, InvestigativeAction)
    summary.txt       the same for a human reader
    files/<sha256>    the evidence files, named by digest

`verify_package` imports nothing from the store: it runs on a machine with no database.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bigfish.errors import IntegrityError
from bigfish.evidence import merkle
from bigfish.evidence.binding import LATER_FIELDS, check_binding
from bigfish.evidence.casejson import case_document
from bigfish.evidence.custody import (
    CustodyRecord,
    NodeKey,
    TreeHead,
    canonical_json,
    check_evidence_chains,
    fingerprint,
    first_bad_signature,
    load_public_key,
    record_from_json,
    utc_text,
    verify_signature,
)
from bigfish.evidence.files import copy_hashing, hash_stream
from bigfish.evidence.model import EvidenceRecord

FORMAT = "bigfish-evidence-package/2"
# /1 had no signed file metadata in acquired records; such a package is checked as far as it goes.
FORMATS = ("bigfish-evidence-package/1", FORMAT)
DOCUMENTS = ("public_key.pem", "custody.jsonl", "proofs.json", "case.jsonld", "summary.txt")
REQUIRED = ("manifest.json", "manifest.sig", *DOCUMENTS)
# The documents are read whole: a member that declares more than this, or that inflates more than
# _MAX_RATIO times (JSON full of hashes and signatures deflates 3 to 15 times; a zip bomb ~1000),
# is refused unread. A zip member never inflates beyond the size it declares.
_DOCUMENT_LIMIT = 1 << 30
_MAX_RATIO = 100
_RATIO_FROM = 1 << 20  # small members are read whatever their ratio


@dataclass(frozen=True, slots=True)
class PackageContents:
    """Everything an export puts in a package."""

    org: str
    report_id: str
    evidence: Sequence[EvidenceRecord]
    blobs: dict[str, Path]  # sha256 -> stored file
    records: Sequence[CustodyRecord]  # every record of every evidence item, in log order
    tree_head: TreeHead
    proofs: dict[int, list[bytes]]  # seq -> inclusion proof in tree_head


@dataclass(frozen=True, slots=True)
class PackageCheck:
    """What `verify_package` found: ok, or the first problem."""

    ok: bool
    problem: str | None
    report: str | None
    files: int
    records: int
    key_fingerprint: str | None
    notes: tuple[str, ...] = ()  # what could not be checked (records older than a check)


def _evidence_entry(item: EvidenceRecord) -> dict[str, Any]:
    return {
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


def summary_text(contents: PackageContents, key_fingerprint: str, created_at: datetime) -> str:
    """The human-readable summary of a package."""
    head = contents.tree_head
    lines = [
        f"Evidence package for report {contents.org}/{contents.report_id}",
        f"Created {utc_text(created_at)} by the bigfish node with key fingerprint (SHA-256):",
        f"  {key_fingerprint}",
        "Compare this fingerprint with the one the sending organization gave you separately,",
        "then run:  bigfish evidence verify PACKAGE.zip --key FINGERPRINT",
        "",
        f"Custody log tree head: size {head.size}, root {head.root}, signed {head.timestamp}",
        "",
        f"Evidence ({len(contents.evidence)}):",
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
    lines += ["", f"Chain of custody ({len(contents.records)} records):"]
    for record in contents.records:
        d = record.draft
        lines.append(
            f"{record.seq:>8}  {utc_text(d.at)}  {d.evidence_id}  {d.event.value:<11} "
            f"from {d.released_by.person or '-'} ({d.released_by.organization or '-'}) "
            f"to {d.received_by.person or '-'} ({d.received_by.organization or '-'}) "
            f"via {d.channel} at {d.place}; purpose: {d.purpose}; hash {d.hash_check.value}; "
            f"TLP:{d.tlp.upper()} {d.distribution}"
        )
    return "\n".join(lines) + "\n"


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
    started at TMP by `write_files`, signed with KEY."""
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
            "format": FORMAT,
            "created_at": utc_text(created_at),
            "report": {"org": contents.org, "report_id": contents.report_id},
            "key_fingerprint": key.fingerprint,
            "evidence": [_evidence_entry(item) for item in contents.evidence],
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
        write_files(tmp, {item.sha256: contents.blobs[item.sha256] for item in contents.evidence})
        write_documents(tmp, contents, key, created_at=created_at)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def partial_path(out: Path) -> Path:
    """Where the package for OUT is written before it is complete."""
    return out.with_name(out.name + ".partial")


class _Problem(Exception):
    """Internal: stops verification at the first problem."""


def _normalize_fingerprint(text: str) -> str:
    text = text.strip().lower().replace(":", "")
    return text.removeprefix("sha256")


def verify_package(
    path: Path,
    expected_key: str | None = None,
    *,
    member_digests: Mapping[str, tuple[str, int]] | None = None,
) -> PackageCheck:
    """Check the package at PATH with nothing but the package (and the expected key fingerprint).

    Stops at the first problem and names it: a changed file, manifest entry or document, a
    removed, inserted, reordered or edited custody record, a bad signature or proof, or a key
    other than EXPECTED_KEY. MEMBER_DIGESTS (member -> SHA-256 and size) are file members the
    caller hashed as it wrote them (the exporter): they are not read again.
    """
    state: dict[str, Any] = {
        "report": None,
        "files": 0,
        "records": 0,
        "fingerprint": None,
        "notes": [],
    }
    try:
        with zipfile.ZipFile(path) as zf:
            _verify(zf, expected_key, state, member_digests or {})
    except _Problem as problem:
        return PackageCheck(
            False,
            str(problem),
            state["report"],
            state["files"],
            state["records"],
            state["fingerprint"],
        )
    except (zipfile.BadZipFile, OSError) as exc:
        return PackageCheck(False, f"not a readable zip file ({exc})", None, 0, 0, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return PackageCheck(
            False, f"manifest.json is malformed ({exc!r})", state["report"], 0, 0, None
        )
    except RecursionError:  # JSON nested too deeply to parse; every parse below names its file
        return PackageCheck(
            False, "manifest.json is malformed (nested too deeply)", state["report"], 0, 0, None
        )
    return PackageCheck(
        True,
        None,
        state["report"],
        state["files"],
        state["records"],
        state["fingerprint"],
        tuple(state["notes"]),
    )


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise _Problem(f"{name} is missing from the package") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        raise _Problem(f"{name} cannot be read from the package: {exc}") from None


def _verify(
    zf: zipfile.ZipFile,
    expected_key: str | None,
    state: dict[str, Any],
    member_digests: Mapping[str, tuple[str, int]],
) -> None:
    names: set[str] = set()
    for name in zf.namelist():
        # zipfile reads the last entry of a name, most extractors the first: a second entry
        # could carry forged bytes that only some tools show, so a package holds each name once.
        if name in names:
            raise _Problem(f"{name} appears twice in the package")
        names.add(name)
    for name in REQUIRED:
        if name not in names:
            raise _Problem(f"{name} is missing from the package")
    _check_document_sizes(zf)
    public_key, manifest = _verify_key_and_manifest(zf, expected_key, state)
    state["report"] = f"{manifest['report']['org']}/{manifest['report']['report_id']}"
    records = _verify_custody(zf, manifest, public_key)
    state["records"] = len(records)
    state["notes"] = _verify_bindings(manifest, [r for r, _ in records])
    state["files"] = _verify_files(zf, manifest, names, member_digests)
    _verify_tree_head(zf, manifest, public_key, records)
    for name, digest in manifest["documents"].items():
        if hashlib.sha256(_read(zf, name)).hexdigest() != digest:
            raise _Problem(f"{name} was changed: its digest does not match the manifest")


def _check_document_sizes(zf: zipfile.ZipFile) -> None:
    """Refuse, before reading it, a document that would inflate to an unreasonable size."""
    for info in zf.infolist():
        if info.filename not in REQUIRED:
            continue
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > _DOCUMENT_LIMIT or (size > _RATIO_FROM and size > _MAX_RATIO * packed):
            raise _Problem(
                f"{info.filename} declares {size} bytes from {info.compress_size} compressed: "
                "refused unread (a zip bomb?)"
            )


def _verify_key_and_manifest(
    zf: zipfile.ZipFile, expected_key: str | None, state: dict[str, Any]
) -> tuple[Ed25519PublicKey, dict[str, Any]]:
    try:
        public_key = load_public_key(_read(zf, "public_key.pem"))
    except IntegrityError as exc:
        raise _Problem(f"public_key.pem: {exc}") from None
    actual = fingerprint(public_key)
    state["fingerprint"] = actual
    if expected_key is not None and _normalize_fingerprint(expected_key) != actual:
        raise _Problem(
            f"the package is signed by key {actual}, not by the expected key "
            f"{_normalize_fingerprint(expected_key)}"
        )
    manifest_bytes = _read(zf, "manifest.json")
    signature = _read(zf, "manifest.sig").decode("ascii", "replace").strip()
    if not verify_signature(public_key, signature, manifest_bytes):
        raise _Problem(
            "manifest.json: bad signature (the manifest was changed or signed by another key)"
        )
    try:
        manifest: dict[str, Any] = json.loads(manifest_bytes)
    except (ValueError, RecursionError):
        raise _Problem("manifest.json is not JSON (or nested too deeply)") from None
    if manifest.get("format") not in FORMATS:
        raise _Problem(f"manifest.json: unknown format {manifest.get('format')!r}")
    if manifest.get("key_fingerprint") != actual:
        raise _Problem("manifest.json names another key than public_key.pem")
    return public_key, manifest


def _parse_records(data: bytes) -> list[CustodyRecord]:
    records = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(record_from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError, RecursionError):
            raise _Problem(f"custody.jsonl line {number}: not a custody record") from None
    return records


def _verify_custody(
    zf: zipfile.ZipFile, manifest: dict[str, Any], public_key: Ed25519PublicKey
) -> list[tuple[CustodyRecord, bytes]]:
    """The records, each with its Merkle leaf hash, after checking them against the manifest."""
    records = _parse_records(_read(zf, "custody.jsonl"))
    listed = manifest["custody"]
    present = {r.seq for r in records}
    expected = {int(e["seq"]) for e in listed}
    bodies: list[bytes] = []
    for index in range(max(len(records), len(listed))):
        entry = listed[index] if index < len(listed) else None
        record = records[index] if index < len(records) else None
        if entry is not None and int(entry["seq"]) not in present:
            raise _Problem(
                f"custody record seq {entry['seq']} of evidence {entry['evidence_id']} is "
                "listed in the manifest but missing from custody.jsonl (removed)"
            )
        if record is None:
            raise _Problem(f"custody.jsonl ends before line {index + 1} (records removed)")
        if record.seq not in expected:
            raise _Problem(
                f"custody.jsonl line {index + 1}: record seq {record.seq} is not in the "
                "manifest (inserted)"
            )
        if entry is None or record.seq != int(entry["seq"]):
            raise _Problem(
                f"custody.jsonl line {index + 1}: holds record seq {record.seq} where the "
                f"manifest lists seq {entry['seq'] if entry else '-'} (reordered)"
            )
        body = record.body()
        if hashlib.sha256(body).hexdigest() != record.record_hash:
            raise _Problem(
                f"custody record seq {record.seq}: its content does not match its hash (edited)"
            )
        if record.record_hash != entry["record_hash"]:
            raise _Problem(f"custody record seq {record.seq}: differs from the manifest entry")
        bodies.append(body)
    bad = first_bad_signature(
        public_key, [(r.signature, b) for r, b in zip(records, bodies, strict=True)]
    )
    if bad is not None:
        raise _Problem(f"custody record seq {records[bad].seq}: bad signature")
    digests = {e["evidence_id"]: e["sha256"] for e in manifest["evidence"]}
    for record in records:
        if digests.get(record.draft.evidence_id) != record.draft.sha256:
            raise _Problem(
                f"custody record seq {record.seq}: evidence {record.draft.evidence_id} with "
                f"digest {record.draft.sha256} is not in the manifest"
            )
    problem = check_evidence_chains(records)
    if problem:
        raise _Problem(problem)
    return [(r, merkle.leaf_hash(b)) for r, b in zip(records, bodies, strict=True)]


def _verify_bindings(manifest: dict[str, Any], records: Sequence[CustodyRecord]) -> list[str]:
    """The manifest's evidence entries against the signed custody records; the notes."""
    org, report_id = manifest["report"]["org"], manifest["report"]["report_id"]
    report = f"{org}/{report_id}"
    by_item: dict[str, list[CustodyRecord]] = {}
    for record in records:
        by_item.setdefault(record.draft.evidence_id, []).append(record)
    notes = []
    for entry in manifest["evidence"]:
        evidence_id = entry["evidence_id"]
        if entry["organization"] != org:
            raise _Problem(
                f"manifest.json: evidence {evidence_id} is held by {entry['organization']!r}, "
                f"not by the report's organization {org!r}"
            )
        claimed = {field: entry[field] for field in _ENTRY_FIELDS} | {"report": report}
        found = check_binding(evidence_id, claimed, by_item.get(evidence_id, []), "manifest.json")
        if found.problem:
            raise _Problem(found.problem)
        if found.note:
            notes.append(found.note)
        notes += _timeline_notes(evidence_id, by_item.get(evidence_id, []))
    return notes


def _timeline_notes(evidence_id: str, records: Sequence[CustodyRecord]) -> list[str]:
    """A note for each record of one item dated before its acquisition: the acquisition time is
    the acquirer's word (up to a day ahead of the node's clock is taken), the others the node's
    clock, so a court reading the chain is told rather than left to find it."""
    if not records:
        return []
    first = records[0]
    return [
        f"evidence {evidence_id}: custody record seq {r.seq} ({r.draft.event.value}, "
        f"{utc_text(r.draft.at)}) is dated before its acquisition (seq {first.seq}, "
        f"{utc_text(first.draft.at)}), whose time was given ahead of the node's clock"
        for r in records[1:]
        if r.draft.at < first.draft.at
    ]


_ENTRY_FIELDS = ("sha256", "acquired_by", "acquired_at", "source", *LATER_FIELDS)


def _verify_files(
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    names: set[str],
    member_digests: Mapping[str, tuple[str, int]],
) -> int:
    allowed = set(REQUIRED)
    for entry in manifest["evidence"]:
        member = entry["path"]
        if member != f"files/{entry['sha256']}":
            raise _Problem(f"manifest entry of evidence {entry['evidence_id']}: wrong path")
        allowed.add(member)
        label = f"{member} ({entry['file_name'] or 'unnamed'}, evidence {entry['evidence_id']})"
        if member not in names:
            raise _Problem(f"{label} is missing from the package")
        declared = zf.getinfo(member).file_size
        if declared != entry["size"] and member not in member_digests:
            # Not read: a member that inflates to gigabytes would be hashed to the end first.
            raise _Problem(
                f"{label}: content does not match its SHA-256 digest (file changed: "
                f"{declared} bytes where the manifest lists {entry['size']})"
            )
        try:
            if member in member_digests:
                digest, size = member_digests[member]
            else:
                with zf.open(member) as stream:
                    digest, size = hash_stream(_as_binary(stream))
        except (zipfile.BadZipFile, OSError) as exc:
            raise _Problem(f"{label} cannot be read: {exc}") from None
        if digest != entry["sha256"] or size != entry["size"]:
            raise _Problem(f"{label}: content does not match its SHA-256 digest (file changed)")
    extra = sorted(names - allowed)
    if extra:
        raise _Problem(f"{extra[0]} is in the package but not in the manifest")
    return len(manifest["evidence"])


def _as_binary(stream: Any) -> BinaryIO:
    return stream  # type: ignore[no-any-return]


def _verify_tree_head(
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    public_key: Ed25519PublicKey,
    records: Sequence[tuple[CustodyRecord, bytes]],
) -> None:
    try:
        head = TreeHead.from_json(manifest["tree_head"])
        root = bytes.fromhex(head.root)
    except (KeyError, ValueError, TypeError):
        raise _Problem("manifest.json: the tree head is malformed") from None
    try:
        proofs_json = json.loads(_read(zf, "proofs.json"))
    except (ValueError, RecursionError):
        raise _Problem("proofs.json is malformed (not JSON, or nested too deeply)") from None
    if not isinstance(proofs_json, dict):
        raise _Problem("proofs.json is malformed (not a JSON object)")
    if not head.verify(public_key):
        raise _Problem("the signed tree head: bad signature")
    for record, leaf in records:
        try:
            proof = [bytes.fromhex(h) for h in proofs_json[str(record.seq)]]
        except (KeyError, ValueError, TypeError):
            raise _Problem(
                f"proofs.json: no inclusion proof for custody record seq {record.seq}"
            ) from None
        if not merkle.verify_inclusion(leaf, record.seq - 1, head.size, proof, root):
            raise _Problem(
                f"custody record seq {record.seq}: its inclusion proof does not lead to the "
                "signed tree head"
            )

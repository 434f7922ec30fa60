"""Verifying an evidence package with nothing but the package (and the expected key
fingerprint): it stops at the first problem and names it. Imports nothing from the store."""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bigfish.errors import IntegrityError
from bigfish.evidence import merkle
from bigfish.evidence.binding import LATER_FIELDS, check_binding
from bigfish.evidence.custody import (
    CustodyEvent,
    CustodyRecord,
    HashCheck,
    TreeHead,
    check_evidence_chains,
    clock_notes,
    fingerprint,
    first_bad_signature,
    load_public_key,
    record_from_json,
    utc_text,
    verify_signature,
)
from bigfish.evidence.files import hash_stream
from bigfish.evidence.package.container import Problem as _Problem
from bigfish.evidence.package.container import check_deflate_end as _check_deflate_end
from bigfish.evidence.package.container import check_layout as _check_layout
from bigfish.evidence.package.container import shown as _shown
from bigfish.evidence.package.layout import (
    DOCUMENTS,
    FORMAT,
    FORMAT_WITH_DISPOSED,
    FORMATS,
    FORMATS_WITH_ACCOUNTS,
    REQUIRED,
    _as_binary,
    disposals,
)

# The documents are read whole: a member that declares more than this, or that inflates more than
# _MAX_RATIO times (JSON full of hashes and signatures deflates 3 to 15 times; a zip bomb ~1000),
# is refused unread. A zip member never inflates beyond the size it declares.
_DOCUMENT_LIMIT = 1 << 30
_MAX_RATIO = 100
_RATIO_FROM = 1 << 20  # small members are read whatever their ratio


@dataclass(frozen=True, slots=True)
class AcquiredBy:
    """Who an item's signed `acquired` record names: the acquirer the uploader stated, and the
    account that wrote the record into bigfish (None: signed before bigfish signed it)."""

    evidence_id: str
    acquired_by: str | None
    recorded_by: str | None


@dataclass(frozen=True, slots=True)
class DisposedItem:
    """An evidence item the package carries without its bytes: who disposed of it, when and
    why, as its signed `disposed` record (seq) says."""

    evidence_id: str
    disposed_by: str | None
    organization: str | None
    at: str
    purpose: str
    seq: int


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
    # The state of the sender's log the package shows: a court compares it with the tree head
    # the sender gave separately (an older package replayed shows an older, smaller head).
    tree_size: int | None = None
    tree_head_at: str | None = None
    created_at: str | None = None
    acquired: tuple[AcquiredBy, ...] = ()  # of each evidence item, in the manifest's order
    disposed: tuple[DisposedItem, ...] = ()  # the items carried without bytes, as recorded


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
        "tree_size": None,
        "tree_head_at": None,
        "created_at": None,
        "acquired": [],
        "disposed": [],
    }
    try:
        with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
            _check_layout(raw, zf.infolist())
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
    except (zipfile.BadZipFile, NotImplementedError) as exc:  # NotImplemented: a zip version
        return PackageCheck(False, f"not a readable zip file ({exc})", None, 0, 0, None)
    except OSError as exc:  # its strerror, since str(exc) repeats the path the caller names
        reason = exc.strerror or str(exc)
        return PackageCheck(False, f"not a readable zip file ({reason})", None, 0, 0, None)
    except KeyError as exc:  # a key the manifest lacks, in words
        return PackageCheck(
            False, f"manifest.json is malformed: no {exc}", state["report"], 0, 0, None
        )
    except (TypeError, ValueError, AttributeError) as exc:
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
        tree_size=state["tree_size"],
        tree_head_at=state["tree_head_at"],
        created_at=state["created_at"],
        acquired=tuple(state["acquired"]),
        disposed=tuple(state["disposed"]),
    )


# What reading a member raises for bytes that are not a member it can read: a bad CRC, data that
# ends early, an encrypted member (RuntimeError), a compression method zipfile lacks.
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
)


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        data = zf.read(name)
    except KeyError:
        raise _Problem(f"{name} is missing from the package") from None
    except zlib.error as exc:
        raise _Problem(
            f"{name} cannot be read from the package: its compressed data is corrupt ({exc})"
        ) from None
    except _UNREADABLE as exc:
        raise _Problem(f"{name} cannot be read from the package: {exc}") from None
    _check_deflate_end(zf, zf.getinfo(name), name)
    return data


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
            raise _Problem(f"{_shown(name)} appears twice in the package")
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
    state["acquired"] = _acquirers(manifest, [r for r, _ in records])
    state["disposed"] = _verify_disposals(manifest, [r for r, _ in records])
    state["notes"] += [_disposal_note(item) for item in state["disposed"]]
    state["files"] = _verify_files(zf, manifest, names, member_digests)
    _verify_tree_head(zf, manifest, public_key, records)
    head = TreeHead.from_json(manifest["tree_head"])
    state["notes"] += clock_notes([r for r, _ in records], [head])
    state["tree_size"], state["tree_head_at"] = head.size, head.timestamp
    created = manifest.get("created_at")
    state["created_at"] = created if isinstance(created, str) else None
    for name in DOCUMENTS:  # every package lists them all: one left out would go unchecked
        if name not in manifest["documents"]:
            raise _Problem(f"manifest.json lists no digest of {name} (its content is unchecked)")
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
    signs_accounts = manifest["format"] in FORMATS_WITH_ACCOUNTS
    for record in records:
        if record.draft.recorded_by is not None and not signs_accounts:
            # No exporter writes this: a package of an older format re-signed around a record.
            raise _Problem(
                f"custody record seq {record.seq} signs recorded_by, which a "
                f"{manifest['format']} package does not hold ({FORMAT} does)"
            )
    return [(r, merkle.leaf_hash(b)) for r, b in zip(records, bodies, strict=True)]


def _verify_bindings(manifest: dict[str, Any], records: Sequence[CustodyRecord]) -> list[str]:
    """The manifest's evidence entries against the signed custody records; the notes."""
    org, report_id = manifest["report"]["org"], manifest["report"]["report_id"]
    report = f"{org}/{report_id}"
    by_item: dict[str, list[CustodyRecord]] = {}
    for record in records:
        by_item.setdefault(record.draft.evidence_id, []).append(record)
    notes = []
    listed: set[str] = set()
    for entry in manifest["evidence"]:
        evidence_id = entry["evidence_id"]
        if evidence_id in listed:  # one file counted as two, its acquirer shown twice
            raise _Problem(f"manifest.json lists evidence {_shown(str(evidence_id))} twice")
        listed.add(evidence_id)
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
        notes += _integrity_notes(
            evidence_id, by_item.get(evidence_id, []), disposed=entry.get("disposed") is True
        )
    return notes


def _acquirers(manifest: dict[str, Any], records: Sequence[CustodyRecord]) -> list[AcquiredBy]:
    """Each evidence item's acquirer and recording account, from its signed acquired record
    (the bindings were checked: the first record of each item is its acquired one)."""
    first: dict[str, CustodyRecord] = {}
    for record in records:
        first.setdefault(record.draft.evidence_id, record)
    found = []
    for entry in manifest["evidence"]:
        d = first[entry["evidence_id"]].draft
        found.append(AcquiredBy(d.evidence_id, d.received_by.person, d.recorded_by))
    return found


def _integrity_notes(
    evidence_id: str, records: Sequence[CustodyRecord], *, disposed: bool = False
) -> list[str]:
    """A note for each record whose re-hash found the stored bytes changed or missing: the
    chain says so in a signed record, and a court reading "OK" must not have to find it."""
    # Bytes changed did not match the digest; bytes missing were not there to match.
    then = {
        HashCheck.MISMATCH: ("they did not match the digest then", "does"),
        HashCheck.MISSING: ("they were not stored then", "does match"),
    }
    notes = []
    for r in records:
        if r.draft.hash_check not in then:
            continue
        was, does = then[r.draft.hash_check]
        now = (
            "this package holds no file of it: it was disposed of"
            if disposed
            else f"the file in this package {does}"
        )
        notes.append(
            f"evidence {evidence_id}: custody record seq {r.seq} ({r.draft.event.value}, "
            f"{utc_text(r.draft.at)}) re-hashed the stored bytes: {r.draft.hash_check.value} "
            f"({was}; {now})"
        )
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


def _verify_disposals(
    manifest: dict[str, Any], records: Sequence[CustodyRecord]
) -> list[DisposedItem]:
    """The items the manifest marks disposed, each only when its signed chain ends in its
    `disposed` record (followed by nothing but looks at it, `accessed`: an item disposed of can
    still be looked at, and each look is logged); and no item whose chain holds one left
    unmarked."""
    fmt = manifest["format"]
    disposed = disposals(records)
    last = {
        record.draft.evidence_id: record
        for record in records
        if record.draft.event is not CustodyEvent.ACCESSED
        or record.draft.evidence_id not in disposed
    }
    found = []
    for entry in manifest["evidence"]:
        evidence_id = entry["evidence_id"]
        marked = entry.get("disposed", False)
        if not isinstance(marked, bool):
            raise _Problem(f"manifest.json: evidence {evidence_id}: disposed is not true or false")
        record: CustodyRecord | None = disposed.get(evidence_id)
        if record is not None and last[evidence_id] is not record:
            raise _Problem(
                f"custody record seq {last[evidence_id].seq} of evidence {evidence_id} follows "
                f"its disposal (seq {record.seq}): nothing may follow a disposal"
            )
        if not marked:
            if record is not None:
                raise _Problem(
                    f"evidence {evidence_id}: its custody chain ends in its disposal (seq "
                    f"{record.seq}), but manifest.json does not mark it disposed"
                )
            continue
        if fmt != FORMAT_WITH_DISPOSED:
            raise _Problem(
                f"manifest.json marks evidence {evidence_id} disposed, which a {fmt} package "
                f"does not hold ({FORMAT_WITH_DISPOSED} does)"
            )
        if record is None:
            raise _Problem(
                f"evidence {evidence_id}: manifest.json marks it disposed, but its custody chain "
                "holds no disposed record (its bytes are not accounted for)"
            )
        if entry["path"] is not None:
            raise _Problem(f"manifest entry of evidence {evidence_id}: disposed, yet has a path")
        d = record.draft
        found.append(
            DisposedItem(
                evidence_id,
                d.released_by.person,
                d.released_by.organization,
                utc_text(d.at),
                d.purpose,
                record.seq,
            )
        )
    return found


def _disposal_note(item: DisposedItem) -> str:
    """What a court is told of an item the package carries without its bytes (escaped)."""
    return _shown(
        f"{item.evidence_id}: disposed by {item.disposed_by or '-'} "
        f"({item.organization or '-'}) on {item.at}, custody record seq {item.seq}, purpose: "
        f"{item.purpose} (no bytes, as recorded)"
    )


_ENTRY_FIELDS = ("sha256", "acquired_by", "acquired_at", "source", *LATER_FIELDS)


def _verify_files(
    zf: zipfile.ZipFile,
    manifest: dict[str, Any],
    names: set[str],
    member_digests: Mapping[str, tuple[str, int]],
) -> int:
    allowed = set(REQUIRED)
    files = 0
    # Bytes of a disposed item acquired again for the report: carried for the new item.
    carried = {e["sha256"] for e in manifest["evidence"] if e.get("disposed") is not True}
    for entry in manifest["evidence"]:
        name = _shown(entry["file_name"] or "unnamed")
        if entry.get("disposed") is True:  # its chain ends in the disposal (checked)
            held = f"files/{entry['sha256']}"
            if held in names and entry["sha256"] not in carried:
                raise _Problem(
                    f"{held} ({name}, evidence {entry['evidence_id']}) is in the package, but "
                    "manifest.json marks the item disposed (no bytes)"
                )
            continue
        member = entry["path"]
        if member != f"files/{entry['sha256']}":
            raise _Problem(f"manifest entry of evidence {entry['evidence_id']}: wrong path")
        allowed.add(member)
        files += 1
        label = f"{member} ({name}, evidence {entry['evidence_id']})"
        if member not in names:
            raise _Problem(
                f"{label} is missing from the package (removed: its custody chain does not "
                "end in a disposal)"
            )
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
                _check_deflate_end(zf, zf.getinfo(member), label)
        except zlib.error as exc:
            raise _Problem(
                f"{label} cannot be read: its compressed data is corrupt ({exc})"
            ) from None
        except _UNREADABLE as exc:
            raise _Problem(f"{label} cannot be read: {exc}") from None
        if digest != entry["sha256"] or size != entry["size"]:
            raise _Problem(f"{label}: content does not match its SHA-256 digest (file changed)")
    extra = sorted(names - allowed)
    if extra:
        raise _Problem(f"{_shown(extra[0])} is in the package but not in the manifest")
    return files


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

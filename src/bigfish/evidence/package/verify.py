"""Verifying an evidence package with nothing but the package (and the expected key
fingerprint): it stops at the first problem and names it. Imports nothing from the store."""

from __future__ import annotations

import hashlib
import json
import struct
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


def _shown(text: str) -> str:
    """TEXT from the package (a member name anyone can choose) on one line, what is not
    printable escaped: a problem must not print a line that reads like "OK"."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra field lengths
# signature, this disk, the directory's disk, members on this disk and in all, the central
# directory's size and offset, the comment's length
_END = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4s4xQ4x")  # signature, offset of the zip64 end record
_ZIP64_END = struct.Struct("<4s12xIIQQQQ")  # signature, then the same fields as _END's, wider
_DESCRIPTOR_SIZES = (12, 16, 20, 24)  # a data descriptor, with or without signature, zip64
# A local header's flags, compression method, DOS time and date, CRC-32 and sizes.
_LOCAL_FIELDS = struct.Struct("<6xHHHHIII")
_DESCRIPTOR = 0x08  # flag: the CRC-32 and sizes follow the data
_UTF8_NAME = 0x800  # flag: the name is UTF-8 (else code page 437)
_ENCRYPTED = 0x0001 | 0x0040 | 0x2000  # flags: encrypted, strongly encrypted, headers masked
_ZIP64_EXTRA = 0x0001  # the only extra field a package's writer (Python's zipfile) puts in
_UNICODE_PATH = 0x7075  # Info-ZIP's Unicode path: unzip writes the member under the name it holds
_FILE_TYPE, _REGULAR_FILE = 0o170000, 0o100000  # the Unix mode's type bits in external_attr
_MSDOS_DIRECTORY = 0x10
_KINDS = {0o120000: "a symbolic link", 0o040000: "a directory"}
_ZIP64_LIMIT = 0xFFFFFFFF


def _check_entry(info: zipfile.ZipInfo) -> None:
    """The central directory's word on INFO holds nothing but a plain member: no NUL in its
    name, no encryption, stored or deflated, a regular file, no comment, no extra field but
    zip64's. Whatever else it carried is unsigned and shown or obeyed by some extractor: a
    Unicode path field makes unzip write the member under another name (two evidence files'
    names swapped, under a package that verifies), a symlink mode makes it write a link."""
    name = _shown(info.filename)
    if info.orig_filename != info.filename:  # zipfile cuts a name at its first NUL byte
        raise _Problem(
            f"{_shown(info.orig_filename)}: a member name holding a NUL byte (read by most "
            f"tools as {name}): refused"
        )
    if info.flag_bits & _ENCRYPTED:
        raise _Problem(f"{name} is encrypted: a package holds nothing encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Problem(
            f"{name} is compressed with method {info.compress_type}, which a package does not "
            "use (only stored or deflated): refused unread"
        )
    kind = (info.external_attr >> 16) & _FILE_TYPE
    if kind not in (0, _REGULAR_FILE) or info.external_attr & _MSDOS_DIRECTORY:
        what = _KINDS.get(kind, "a directory" if not kind else "a special file")
        raise _Problem(
            f"{name} is marked as {what}, not a file: an extractor would not write the bytes "
            "that were verified"
        )
    if info.comment:
        raise _Problem(f"{name} carries a comment (text some tools show beside it): refused")
    _extra_fields(name, info.extra, "central directory entry")


def _extra_fields(name: str, extra: bytes, where: str) -> dict[int, bytes]:
    """The extra fields of member NAME's header WHERE, by id, when zip64's is the only one."""
    fields: dict[int, bytes] = {}
    at = 0
    while at < len(extra):
        if at + 4 > len(extra):
            raise _Problem(f"{name}: its {where} has a malformed extra field")
        kind, length = struct.unpack_from("<HH", extra, at)
        data = extra[at + 4 : at + 4 + length]
        if len(data) < length:
            raise _Problem(f"{name}: its {where} has a malformed extra field")
        if kind == _UNICODE_PATH:
            said = _shown(data[5:].decode("utf-8", "replace"))
            raise _Problem(
                f"{name}: its {where} carries a Unicode path (extra field 0x7075) naming it "
                f"{said}, the name unzip would write it under: refused"
            )
        if kind != _ZIP64_EXTRA:
            raise _Problem(
                f"{name}: its {where} carries an extra field 0x{kind:04x}, which a package does "
                "not hold (hidden content): refused"
            )
        fields[kind] = data
        at += 4 + length
    return fields


def _dos_stamp(time: int, date: int) -> str:
    """A header's DOS TIME and DATE as a reader writes them (as zipfile reads them)."""
    return (
        f"{(date >> 9) + 1980:04d}-{date >> 5 & 0xF:02d}-{date & 0x1F:02d} "
        f"{time >> 11:02d}:{time >> 5 & 0x3F:02d}:{(time & 0x1F) * 2:02d}"
    )


def _stamp_of(info: zipfile.ZipInfo) -> str:
    """INFO's time as its central directory entry holds it."""
    year, month, day, hour, minute, second = info.date_time
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def _check_local_header(info: zipfile.ZipInfo, header: bytes, name: bytes, extra: bytes) -> None:
    """The member's local header says what its central directory entry says: an extractor that
    reads the zip from the front (ZipInputStream, `jar x`) reads the local header only, so a
    header that disagrees (another size, method or CRC) shows or refuses other bytes than were
    verified."""
    shown = _shown(info.filename)
    flags, method, time, date, crc, compressed, size = _LOCAL_FIELDS.unpack(header[:26])
    said_name = name.decode("utf-8" if flags & _UTF8_NAME else "cp437", "replace")
    zip64 = _extra_fields(shown, extra, "local header").get(_ZIP64_EXTRA, b"")
    # A local zip64 field holds the size, then the compressed size, for those marked 0xFFFFFFFF.
    wide = iter(struct.unpack_from(f"<{len(zip64) // 8}Q", zip64))
    if size == _ZIP64_LIMIT:
        size = next(wide, -1)
    if compressed == _ZIP64_LIMIT:
        compressed = next(wide, -1)
    said = {
        "name": (said_name, info.orig_filename),
        "flags": (flags, info.flag_bits),
        "compression method": (method, info.compress_type),
        "time": (_dos_stamp(time, date), _stamp_of(info)),
    }
    if not flags & _DESCRIPTOR or (crc, compressed, size) != (0, 0, 0):
        said |= {
            "CRC-32": (crc, info.CRC),
            "compressed size": (compressed, info.compress_size),
            "size": (size, info.file_size),
        }
    for field, (local, central) in said.items():
        if local != central:
            shows = "another time" if field == "time" else "other bytes"
            raise _Problem(
                f"{shown}: its local header says {field} {_shown(str(local))} where the central "
                f"directory says {_shown(str(central))} (a zip tool reading from the front "
                f"would show {shows}): refused"
            )


def _check_descriptor(info: zipfile.ZipInfo, descriptor: bytes) -> None:
    """The data descriptor after INFO's data holds the central directory's CRC-32 and sizes."""
    body = descriptor[4:] if descriptor.startswith(b"PK\x07\x08") else descriptor
    fields = {12: "<III", 20: "<IQQ"}.get(len(body))
    said = struct.unpack(fields, body) if fields else None
    if said != (info.CRC, info.compress_size, info.file_size):
        raise _Problem(
            f"{_shown(info.filename)}: its data descriptor does not hold the CRC-32 and sizes "
            "of the central directory (a zip tool reading from the front would read other "
            "bytes): refused"
        )


def _check_layout(raw: Any, infos: Sequence[zipfile.ZipInfo]) -> None:
    """Every byte of the package belongs to a listed member, the central directory or its end
    record: the members one after the other from the first byte, then the directory, then its
    end record with no comment, then nothing.

    zipfile (and so this verifier) reads the members the central directory at the end lists;
    an extractor reading a stream from the front (Java's ZipInputStream, `jar x`) reads the
    local entries in order. Bytes put before, between or after the listed members (a second,
    forged archive prepended, say) would be what such a tool shows, under a package that
    verifies; and a comment is text some tools print next to the listing.
    """
    position = 0
    ordered = sorted(infos, key=lambda i: i.header_offset)  # the only pass over INFOS
    for index, info in enumerate(ordered):
        if info.header_offset != position:
            raise _Problem(
                f"the package holds bytes that belong to no listed member before "
                f"{_shown(info.filename)} (offset {position}): another archive or hidden content"
            )
        _check_entry(info)
        raw.seek(position)
        header = raw.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise _Problem(f"{_shown(info.filename)}: no local entry where the directory says")
        _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        _check_local_header(info, header, raw.read(name_length), raw.read(extra_length))
        position += _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
        if info.flag_bits & _DESCRIPTOR:  # sizes in a data descriptor after the data
            following = ordered[index + 1].header_offset if index + 1 < len(ordered) else None
            ends = _directory_offset(raw, len(ordered)) if following is None else following
            gap = ends - position
            if gap in _DESCRIPTOR_SIZES:
                raw.seek(position)
                _check_descriptor(info, raw.read(gap))
                position += gap
    directory = _directory_offset(raw, len(ordered))
    if directory != position:
        raise _Problem(
            f"the package holds bytes that belong to no listed member before its central "
            f"directory (offset {position}): another archive or hidden content"
        )
    _check_directory(raw, infos)


_CENTRAL_ENTRY = struct.Struct("<4s24xHHHH")  # signature, name, extra, comment lengths, disk


def _check_directory(raw: Any, infos: Sequence[zipfile.ZipInfo]) -> None:
    """The central directory is its entries (INFOS, in its order), each as long as its lengths
    say and on disk 0, and nothing else. zipfile reads an entry's name, extra field and comment
    from the directory's bytes only, so lengths that run past its end are cut short there
    silently; other tools read on, into the end record, and call the package broken."""
    position, end = _directory_bounds(raw, len(infos))
    for info in infos:
        raw.seek(position)
        header = raw.read(46)
        if len(header) < 46 or not header.startswith(b"PK\x01\x02"):
            raise _Problem(
                f"the zip's central directory has no entry where {_shown(info.filename)}'s "
                "should be"
            )
        _, name, extra, comment, disk = _CENTRAL_ENTRY.unpack(header[: _CENTRAL_ENTRY.size])
        position += 46 + name + extra + comment
        if position > end:
            raise _Problem(
                f"the zip's central directory entry of {_shown(info.filename)} runs past the "
                "directory's end (zip tools call the package broken): refused"
            )
        if disk:
            raise _Problem(
                f"the zip's central directory entry of {_shown(info.filename)} names disk "
                f"{disk}: a package is one file, not part of a multi-part archive: refused"
            )
    if position != end:
        raise _Problem(
            "the zip's central directory holds bytes after its last entry (hidden content): refused"
        )


def _directory_offset(raw: Any, members: int) -> int:
    """Where the central directory starts (see `_directory_bounds`)."""
    return _directory_bounds(raw, members)[0]


def _directory_bounds(raw: Any, members: int) -> tuple[int, int]:
    """Where the central directory starts and ends, from an end record that ends the file with
    no comment, and that the directory ends at (with the zip64 records between, when there),
    counting the MEMBERS the directory lists on the one disk there is."""
    end = raw.seek(0, 2) - _END.size
    raw.seek(max(end, 0))
    record = raw.read(_END.size)
    if end < 0 or not record.startswith(b"PK\x05\x06"):
        raise _Problem(
            "the package does not end with the zip's end record: something follows it "
            "(hidden content), or it carries a comment"
        )
    _, disk, directory_disk, on_disk, counted, size, offset, comment = _END.unpack(record)
    if comment:
        raise _Problem("the package carries a zip comment (text some tools show): refused")
    directory_end = end
    wide = False
    if end >= _ZIP64_LOCATOR.size:  # a zip64 locator before the end record, when there
        raw.seek(end - _ZIP64_LOCATOR.size)
        locator = raw.read(_ZIP64_LOCATOR.size)
        if locator.startswith(b"PK\x06\x07"):
            (record_at,) = _ZIP64_LOCATOR.unpack(locator)[1:]
            raw.seek(record_at)
            zip64 = raw.read(_ZIP64_END.size)
            if not zip64.startswith(b"PK\x06\x06"):
                raise _Problem("the package's zip64 end record is not where its locator says")
            if record_at + 56 != end - _ZIP64_LOCATOR.size:
                raise _Problem("the package holds bytes between its zip64 end records")
            fields = _ZIP64_END.unpack(zip64)[1:]
            _check_counts("zip64 end record", members, *fields[:4])
            size, offset = fields[4:]
            directory_end = record_at
            wide = True
    # With zip64 records, the end record's fields may say "see the zip64 record" (all ones).
    _check_counts(
        "end record",
        members,
        *(
            said if not wide or said not in (0xFFFF, 0xFFFFFFFF) else expected
            for said, expected in (
                (disk, 0),
                (directory_disk, 0),
                (on_disk, min(members, 0xFFFF)),
                (counted, min(members, 0xFFFF)),
            )
        ),
        limit=0xFFFF if wide else None,
    )
    if offset + size != directory_end:
        raise _Problem(
            "the package holds bytes between its central directory and its end record "
            "(hidden content)"
        )
    return int(offset), int(directory_end)


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
_INFLATE_CHUNK = 1 << 20


def _check_counts(
    record: str,
    members: int,
    disk: int,
    directory_disk: int,
    on_disk: int,
    counted: int,
    *,
    limit: int | None = None,
) -> None:
    """The zip's end RECORD names disk 0 alone and counts the MEMBERS its central directory
    lists (up to LIMIT, past which zip64's record counts): `unzip -t` calls a package whose
    count is wrong broken, and one on another disk part of a multi-part archive."""
    if disk or directory_disk:
        raise _Problem(
            f"the zip's {record} names disk {disk or directory_disk}: a package is one file, "
            "not part of a multi-part archive: refused"
        )
    expected = members if limit is None else min(members, limit)
    if (on_disk, counted) != (expected, expected):
        raise _Problem(
            f"the zip's {record} counts {counted} members (of {on_disk} on its disk) where its "
            f"central directory lists {members} (zip tools call the package broken): refused"
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


def _check_deflate_end(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
    """A deflated member's stream ends exactly where the member's bytes end, having given the
    size it declares. zipfile stops reading once it has that size; `unzip -t` and `jar x` read
    the stream to its end and call the member broken when it goes on past its bytes (its final
    block unmarked) or leaves bytes after its end: a package that "verifies" while their tools
    call it corrupt is one a court cannot rely on."""
    raw = zf.fp
    if info.compress_type != zipfile.ZIP_DEFLATED or raw is None:
        return
    raw.seek(info.header_offset)
    _, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    raw.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, produced = info.compress_size, 0
    try:
        while left and not inflater.eof and produced <= info.file_size:
            chunk = raw.read(min(left, _INFLATE_CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            while chunk and not inflater.eof and produced <= info.file_size:
                produced += len(inflater.decompress(chunk, _INFLATE_CHUNK))
                chunk = inflater.unconsumed_tail
    except zlib.error as exc:
        raise _Problem(f"{label}: its compressed data is corrupt ({exc})") from None
    if not inflater.eof or left or inflater.unused_data or produced != info.file_size:
        raise _Problem(
            f"{label}: its compressed data is corrupt (its deflate stream does not end where "
            "the member ends: zip tools call the member broken)"
        )


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

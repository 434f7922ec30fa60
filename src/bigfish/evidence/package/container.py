"""The zip container of an evidence package: every byte of it belongs to a listed member, the
central directory or its end records, and every header says nothing but a plain member, as the
central directory says it. None of it is signed, and extractors other than zipfile read parts of
it that zipfile ignores (the local headers, a Unicode path field, a symlink mode, the end
record's counts): a package whose container says more than its members would show something
other than what was verified, or be called broken by the court's own tools."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any


class Problem(Exception):
    """Stops verification at the first problem (its words)."""


def shown(text: str) -> str:
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
    name = shown(info.filename)
    if info.orig_filename != info.filename:  # zipfile cuts a name at its first NUL byte
        raise Problem(
            f"{shown(info.orig_filename)}: a member name holding a NUL byte (read by most "
            f"tools as {name}): refused"
        )
    if info.flag_bits & _ENCRYPTED:
        raise Problem(f"{name} is encrypted: a package holds nothing encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Problem(
            f"{name} is compressed with method {info.compress_type}, which a package does not "
            "use (only stored or deflated): refused unread"
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        # zipfile reads the size it says; unzip writes every stored byte: bytes put after an
        # evidence file's would come out as part of it, under a package that verifies.
        said = (
            "unzip would write the bytes after them too"
            if info.compress_size > info.file_size
            else "its bytes are cut short"
        )
        raise Problem(
            f"{name} is stored uncompressed in {info.compress_size} bytes but says it holds "
            f"{info.file_size} ({said}): refused"
        )
    kind = (info.external_attr >> 16) & _FILE_TYPE
    if kind not in (0, _REGULAR_FILE) or info.external_attr & _MSDOS_DIRECTORY:
        what = _KINDS.get(kind, "a directory" if not kind else "a special file")
        raise Problem(
            f"{name} is marked as {what}, not a file: an extractor would not write the bytes "
            "that were verified"
        )
    mode = info.external_attr >> 16 & 0o7777
    if mode & 0o7111:  # executable, set-user-ID, set-group-ID or sticky
        raise Problem(
            f"{name} is marked executable (mode {mode:#o}): an extractor would make it a "
            "program to run: refused"
        )
    if info.comment:
        raise Problem(f"{name} carries a comment (text some tools show beside it): refused")
    _extra_fields(name, info.extra, "central directory entry")


def _extra_fields(name: str, extra: bytes, where: str) -> dict[int, bytes]:
    """The extra fields of member NAME's header WHERE, by id, when zip64's is the only one."""
    fields: dict[int, bytes] = {}
    at = 0
    while at < len(extra):
        if at + 4 > len(extra):
            raise Problem(f"{name}: its {where} has a malformed extra field")
        kind, length = struct.unpack_from("<HH", extra, at)
        data = extra[at + 4 : at + 4 + length]
        if len(data) < length:
            raise Problem(f"{name}: its {where} has a malformed extra field")
        if kind == _UNICODE_PATH:
            said = shown(data[5:].decode("utf-8", "replace"))
            raise Problem(
                f"{name}: its {where} carries a Unicode path (extra field 0x7075) naming it "
                f"{said}, the name unzip would write it under: refused"
            )
        if kind != _ZIP64_EXTRA:
            raise Problem(
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
    member = shown(info.filename)
    flags, method, time, date, crc, compressed, size = _LOCAL_FIELDS.unpack(header[:26])
    said_name = name.decode("utf-8" if flags & _UTF8_NAME else "cp437", "replace")
    zip64 = _extra_fields(member, extra, "local header").get(_ZIP64_EXTRA, b"")
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
            raise Problem(
                f"{member}: its local header says {field} {shown(str(local))} where the central "
                f"directory says {shown(str(central))} (a zip tool reading from the front "
                f"would show {shows}): refused"
            )


def _check_descriptor(info: zipfile.ZipInfo, descriptor: bytes) -> None:
    """The data descriptor after INFO's data holds the central directory's CRC-32 and sizes."""
    body = descriptor[4:] if descriptor.startswith(b"PK\x07\x08") else descriptor
    fields = {12: "<III", 20: "<IQQ"}.get(len(body))
    said = struct.unpack(fields, body) if fields else None
    if said != (info.CRC, info.compress_size, info.file_size):
        raise Problem(
            f"{shown(info.filename)}: its data descriptor does not hold the CRC-32 and sizes "
            "of the central directory (a zip tool reading from the front would read other "
            "bytes): refused"
        )


def check_layout(raw: Any, infos: Sequence[zipfile.ZipInfo]) -> None:
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
            raise Problem(
                f"the package holds bytes that belong to no listed member before "
                f"{shown(info.filename)} (offset {position}): another archive or hidden content"
            )
        _check_entry(info)
        raw.seek(position)
        header = raw.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise Problem(f"{shown(info.filename)}: no local entry where the directory says")
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
        raise Problem(
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
            raise Problem(
                f"the zip's central directory has no entry where {shown(info.filename)}'s should be"
            )
        _, name, extra, comment, disk = _CENTRAL_ENTRY.unpack(header[: _CENTRAL_ENTRY.size])
        position += 46 + name + extra + comment
        if position > end:
            raise Problem(
                f"the zip's central directory entry of {shown(info.filename)} runs past the "
                "directory's end (zip tools call the package broken): refused"
            )
        if disk:
            raise Problem(
                f"the zip's central directory entry of {shown(info.filename)} names disk "
                f"{disk}: a package is one file, not part of a multi-part archive: refused"
            )
    if position != end:
        raise Problem(
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
        raise Problem(
            "the package does not end with the zip's end record: something follows it "
            "(hidden content), or it carries a comment"
        )
    _, disk, directory_disk, on_disk, counted, size, offset, comment = _END.unpack(record)
    if comment:
        raise Problem("the package carries a zip comment (text some tools show): refused")
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
                raise Problem("the package's zip64 end record is not where its locator says")
            if record_at + 56 != end - _ZIP64_LOCATOR.size:
                raise Problem("the package holds bytes between its zip64 end records")
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
        raise Problem(
            "the package holds bytes between its central directory and its end record "
            "(hidden content)"
        )
    return int(offset), int(directory_end)


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
        raise Problem(
            f"the zip's {record} names disk {disk or directory_disk}: a package is one file, "
            "not part of a multi-part archive: refused"
        )
    expected = members if limit is None else min(members, limit)
    if (on_disk, counted) != (expected, expected):
        raise Problem(
            f"the zip's {record} counts {counted} members (of {on_disk} on its disk) where its "
            f"central directory lists {members} (zip tools call the package broken): refused"
        )


_INFLATE_CHUNK = 1 << 20


def check_deflate_end(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
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
        raise Problem(f"{label}: its compressed data is corrupt ({exc})") from None
    if not inflater.eof or left or inflater.unused_data or produced != info.file_size:
        raise Problem(
            f"{label}: its compressed data is corrupt (its deflate stream does not end where "
            "the member ends: zip tools call the member broken)"
        )

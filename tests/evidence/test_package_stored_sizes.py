"""A stored (uncompressed) member is as long as its size says: zipfile reads that many bytes
and ignores the rest of its compressed size, while unzip writes the whole, so bytes put after an
evidence file's bytes (its compressed size grown to match) verified OK and came out of unzip as
part of the file the court opens."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package


def _with_bytes_after(package: Path, member: str, hidden: bytes) -> Path:
    """A copy of PACKAGE whose MEMBER (stored) is followed by HIDDEN, its compressed size in
    its local header and central directory entry grown to take them, every offset moved."""
    data = package.read_bytes()
    with zipfile.ZipFile(package) as zf:
        infos = zf.infolist()
    end = data.rindex(b"PK\x05\x06")
    at = int(struct.unpack_from("<I", data, end + 16)[0])
    body, directory = bytearray(), bytearray()
    for info in infos:  # in the central directory's order, which is the members' order here
        name, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name + extra
        local = bytearray(data[info.header_offset : start])
        payload = data[start : start + info.compress_size]
        lengths = struct.unpack_from("<HHH", data, at + 28)
        entry = bytearray(data[at : at + 46 + sum(lengths)])
        at += len(entry)
        if info.filename == member:
            payload += hidden
            struct.pack_into("<I", local, 18, len(payload))
            struct.pack_into("<I", entry, 20, len(payload))
        struct.pack_into("<I", entry, 42, len(body))
        body += local + payload
        directory += entry
    record = bytearray(data[end:])
    struct.pack_into("<II", record, 12, len(directory), len(body))
    out = package.with_name("hidden-" + package.name)
    out.write_bytes(bytes(body + directory + record))
    return out


def test_bytes_hidden_after_a_stored_evidence_file_are_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    with zipfile.ZipFile(package) as zf:
        member = next(i for i in zf.infolist() if i.filename.startswith("files/"))
    assert member.compress_type == zipfile.ZIP_STORED
    hidden = _with_bytes_after(package, member.filename, b"\nscammer: it was all a joke\n")
    with zipfile.ZipFile(hidden) as zf:
        assert zf.read(member.filename) == zipfile.ZipFile(package).read(member.filename)
    check = verify_package(hidden, key.fingerprint)
    assert (check.ok, check.problem) == (
        False,
        f"{member.filename} is stored uncompressed in {member.file_size + 28} bytes but says "
        f"it holds {member.file_size} (unzip would write the bytes after them too): refused",
    )
    assert verify_package(_with_bytes_after(package, member.filename, b""), key.fingerprint).ok

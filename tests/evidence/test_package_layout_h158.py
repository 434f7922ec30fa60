"""A package verifies only when every byte of it belongs to a member it lists: an extractor
that reads a zip from the front (Java's ZipInputStream, `jar x` on a stream) must not be shown
another archive than the one that was verified."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package


def _front_reader_names(data: bytes) -> dict[str, bytes]:
    """The members a streaming extractor reads: local entries in order from byte 0."""
    found: dict[str, bytes] = {}
    position = 0
    while data[position : position + 4] == b"PK\x03\x04":
        size, _, name_length, extra_length = struct.unpack(
            "<IIHH", data[position + 18 : position + 30]
        )
        start = position + 30
        name = data[start : start + name_length].decode()
        body = start + name_length + extra_length
        found.setdefault(name, data[body : body + size])
        position = body + size
    return found


def _forged_archive(package: Path) -> bytes:
    with zipfile.ZipFile(package) as zf:
        member = next(n for n in zf.namelist() if n.startswith("files/"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(member, b"forged evidence")
        zf.writestr("summary.txt", b"a forged summary")
    return buffer.getvalue()


def test_a_forged_archive_put_before_a_package_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path, files=1, other_events=0)
    polyglot = tmp_path / "polyglot.zip"
    polyglot.write_bytes(_forged_archive(package) + package.read_bytes())
    # What a reader from the front extracts is the forgery ...
    assert _front_reader_names(polyglot.read_bytes())["summary.txt"] == b"a forged summary"
    check = verify_package(polyglot, key.fingerprint)
    # ... so the package must not verify (it did: zipfile reads the directory at the end).
    assert not check.ok
    assert "belong to no listed member" in str(check.problem)


def test_bytes_between_members_are_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path, files=1, other_events=0)
    data = package.read_bytes()
    with zipfile.ZipFile(package) as zf:
        second = sorted(i.header_offset for i in zf.infolist())[1]
    hidden = b"PK\x03\x04 hidden"
    shifted = bytearray(data[:second] + hidden + data[second:])
    # Move every offset the directory records past the hidden bytes, as a forger would.
    with zipfile.ZipFile(io.BytesIO(bytes(shifted))) as zf:
        start = zf.start_dir
        infos = zf.infolist()
    position = start
    for info in infos:
        (offset,) = struct.unpack("<I", shifted[position + 42 : position + 46])
        if offset >= second:
            shifted[position + 42 : position + 46] = struct.pack("<I", offset + len(hidden))
        name_length, extra_length, comment_length = struct.unpack(
            "<HHH", shifted[position + 28 : position + 34]
        )
        position += 46 + name_length + extra_length + comment_length
    (directory,) = struct.unpack("<I", shifted[-6:-2])
    shifted[-6:-2] = struct.pack("<I", directory + len(hidden))
    tampered = tmp_path / "gap.zip"
    tampered.write_bytes(bytes(shifted))
    with zipfile.ZipFile(tampered) as zf:
        assert zf.testzip() is None  # zipfile itself reads it as a good archive
    check = verify_package(tampered, key.fingerprint)
    assert not check.ok and "belong to no listed member" in str(check.problem)


def test_bytes_after_a_package_are_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path, files=1, other_events=0)
    tampered = tmp_path / "tail.zip"
    tampered.write_bytes(package.read_bytes() + b"PK\x03\x04 trailing bytes")
    check = verify_package(tampered, key.fingerprint)
    assert not check.ok and "end record" in str(check.problem)


def test_a_zip_comment_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path, files=1, other_events=0)
    with zipfile.ZipFile(package, "a") as zf:
        zf.comment = b"Verified OK by the court registry"
    check = verify_package(package, key.fingerprint)
    assert not check.ok and "comment" in str(check.problem)


def test_packages_with_zip64_end_records_still_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large packages (a directory past 2 GiB) end with zip64 records: forced here by a limit
    # smaller than the package.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)
    package, key = build_package(tmp_path, files=2, other_events=1)
    monkeypatch.undo()
    assert b"PK\x06\x06" in package.read_bytes()
    check = verify_package(package, key.fingerprint)
    assert check.ok, check.problem

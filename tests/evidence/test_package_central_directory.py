"""The zip's central directory holds its entries and nothing else, each as long as it says, on
disk 0: zipfile forgives an entry whose lengths run past the directory's end (it reads what is
there) and ignores an entry's disk number, so such a package verified OK while `unzip -t` calls
it broken; and a "version needed to extract" zipfile does not know raised a traceback."""

from __future__ import annotations

import struct
from pathlib import Path

from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package


def _entries(data: bytes) -> list[tuple[int, str]]:
    """Where each central directory entry starts in DATA, and its member's name."""
    at = int(struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0])
    found = []
    while data[at : at + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, at + 28)
        found.append((at, data[at + 46 : at + 46 + name_length].decode()))
        at += 46 + name_length + extra + comment
    return found


def _changed(package: Path, at: int, new: bytes) -> Path:
    data = bytearray(package.read_bytes())
    data[at : at + len(new)] = new
    out = package.with_name("changed-" + package.name)
    out.write_bytes(bytes(data))
    return out


def test_a_central_entry_running_past_the_directory_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    data = package.read_bytes()
    at, name = _entries(data)[-1]
    for field in (28, 30, 32):  # its name's, extra field's and comment's lengths
        length = struct.unpack_from("<H", data, at + field)[0]
        changed = _changed(package, at + field, struct.pack("<H", length + 1))
        check = verify_package(changed, key.fingerprint)
        assert (check.ok, check.problem) == (
            False,
            f"the zip's central directory entry of {name} runs past the directory's end (zip "
            "tools call the package broken): refused",
        )


def test_a_central_entry_on_another_disk_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    at, name = _entries(package.read_bytes())[0]
    check = verify_package(_changed(package, at + 34, b"\1\0"), key.fingerprint)
    assert (check.ok, check.problem) == (
        False,
        f"the zip's central directory entry of {name} names disk 1: a package is one file, "
        "not part of a multi-part archive: refused",
    )


def test_an_unknown_version_needed_to_extract_is_named_not_a_traceback(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    at, _ = _entries(package.read_bytes())[0]
    check = verify_package(_changed(package, at + 6, b"\x94\0"), key.fingerprint)
    assert (check.ok, check.problem) == (
        False,
        "not a readable zip file (zip file version 14.8)",
    )

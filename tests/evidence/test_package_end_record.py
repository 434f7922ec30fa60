"""The zip's end record (and its zip64 end record) counts the members its central directory
lists and names one disk: a package whose count or disk number was changed verified OK while
`unzip -t` called it broken (or part of a multi-part archive); it is refused, and a package with
zip64 end records, as zipfile writes for 65,535 members or 4 GiB, verifies."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package


def _with_end_fields(package: Path, signature: bytes, fields: dict[int, bytes]) -> Path:
    """A copy of PACKAGE with bytes of its (last) record SIGNATURE replaced (offsets within)."""
    data = bytearray(package.read_bytes())
    at = data.rindex(signature)
    for offset, new in fields.items():
        data[at + offset : at + offset + len(new)] = new
    out = package.with_name("ended-" + package.name)
    out.write_bytes(bytes(data))
    return out


def test_an_end_record_that_miscounts_the_members_or_names_another_disk_is_refused(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    members = len(zipfile.ZipFile(package).namelist())
    fewer = struct.pack("<H", members - 1)
    cases = {
        10: f"the zip's end record counts {members - 1} members (of {members} on its disk) "
        f"where its central directory lists {members}",
        8: f"the zip's end record counts {members} members (of {members - 1} on its disk) "
        f"where its central directory lists {members}",
    }
    for offset, said in cases.items():
        check = verify_package(_with_end_fields(package, b"PK\x05\x06", {offset: fewer}))
        assert not check.ok
        assert check.problem == f"{said} (zip tools call the package broken): refused"
    for offset in (4, 6):  # this disk's number, the central directory's disk
        check = verify_package(_with_end_fields(package, b"PK\x05\x06", {offset: b"\1\0"}))
        assert (check.ok, check.problem) == (
            False,
            "the zip's end record names disk 1: a package is one file, not part of a "
            "multi-part archive: refused",
        )
    assert verify_package(package, key.fingerprint).ok


def test_zip64_end_records_verify_and_their_count_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, key = build_package(tmp_path)
    wide = package.with_name("zip64-" + package.name)
    # zipfile writes zip64 end records past 65,535 members: as if there were that many.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(wide, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            target.writestr(copy, source.read(info.filename))
    assert b"PK\x06\x06" in wide.read_bytes()
    check = verify_package(wide, key.fingerprint)
    assert check.ok, check.problem
    members = len(zipfile.ZipFile(wide).namelist())
    miscounted = _with_end_fields(wide, b"PK\x06\x06", {32: struct.pack("<Q", members + 1)})
    check = verify_package(miscounted, key.fingerprint)
    assert (check.ok, check.problem) == (
        False,
        f"the zip's zip64 end record counts {members + 1} members (of {members} on its disk) "
        f"where its central directory lists {members} (zip tools call the package broken): "
        "refused",
    )

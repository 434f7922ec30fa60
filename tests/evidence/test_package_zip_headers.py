"""The zip headers of a package are not signed: whatever they say beyond a plain member (a
Unicode path that makes unzip write a member under another name, a symlink mode, a comment, an
extra field, a local header that disagrees with the central directory) is refused by `verify`,
naming the member; a package as bigfish writes it (zip64 headers, data descriptors) verifies."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package

_CENTRAL = struct.Struct("<4s6H3I5H2I")  # a central directory entry, before its name


def _rebuilt(
    package: Path, change: Callable[[zipfile.ZipInfo], None], *, stream: bool = False
) -> Path:
    """A copy of PACKAGE, member by member in its order with the same bytes and compression,
    each member's header changed by CHANGE (written through a stream that cannot seek when
    STREAM: zipfile then puts data descriptors after the data)."""
    out = package.with_name("rebuilt-" + package.name)
    sink: io.BytesIO = _Unseekable() if stream else io.BytesIO()
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(sink, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr = info.external_attr
            change(copy)
            target.writestr(copy, source.read(info.filename))
    out.write_bytes(sink.getvalue())
    return out


class _Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False

    def seek(self, *_: object) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


def _members(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as zf:
        return zf.namelist()


def _unicode_path(name: str, shown_as: str) -> bytes:
    """An Info-ZIP Unicode path extra field (0x7075) telling unzip to write NAME as SHOWN_AS."""
    body = struct.pack("<BI", 1, zlib.crc32(name.encode())) + shown_as.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


def test_a_unicode_path_that_swaps_two_evidence_files_for_unzip_is_refused(
    tmp_path: Path,
) -> None:
    # unzip writes each file under the other's digest: the clerk opens files/<digest of the
    # chat> and reads the transfer slip, under a package that verified OK with the right key.
    package, key = build_package(tmp_path)
    first, second = [n for n in _members(package) if n.startswith("files/")]
    swap = {first: second, second: first}

    def rename(info: zipfile.ZipInfo) -> None:
        if info.filename in swap:
            info.extra = _unicode_path(info.filename, swap[info.filename])

    check = verify_package(_rebuilt(package, rename), key.fingerprint)
    assert not check.ok
    assert check.problem == (
        f"{first}: its central directory entry carries a Unicode path (extra field 0x7075) "
        f"naming it {second}, the name unzip would write it under: refused"
    )


def test_hidden_extra_fields_comments_and_links_are_refused_naming_the_member(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    evidence = next(n for n in _members(package) if n.startswith("files/"))

    def only(name: str, change: Callable[[zipfile.ZipInfo], None]) -> Callable[..., None]:
        return lambda info: change(info) if info.filename == name else None

    def hidden(info: zipfile.ZipInfo) -> None:
        info.extra = struct.pack("<HH", 0xBEEF, 11) + b"hidden data"

    def comment(info: zipfile.ZipInfo) -> None:
        info.comment = b"this file was altered by the police"

    def link(info: zipfile.ZipInfo) -> None:
        info.create_system = 3
        info.external_attr = 0o120777 << 16

    def directory(info: zipfile.ZipInfo) -> None:
        info.external_attr = 0o040755 << 16 | 0x10

    cases = {
        (evidence, hidden): (
            f"{evidence}: its central directory entry carries an extra field 0xbeef, which a "
            "package does not hold (hidden content): refused"
        ),
        ("summary.txt", comment): (
            "summary.txt carries a comment (text some tools show beside it): refused"
        ),
        (evidence, link): (
            f"{evidence} is marked as a symbolic link, not a file: an extractor would not "
            "write the bytes that were verified"
        ),
        ("manifest.json", directory): (
            "manifest.json is marked as a directory, not a file: an extractor would not write "
            "the bytes that were verified"
        ),
    }
    for (name, change), said in cases.items():
        check = verify_package(_rebuilt(package, only(name, change)), key.fingerprint)
        assert (check.ok, check.problem) == (False, said)


def _patched(package: Path, name: str, local: dict[int, bytes], central: dict[int, bytes]) -> Path:
    """A copy of PACKAGE with bytes of member NAME's local header and central directory entry
    replaced (offsets within each)."""
    data = bytearray(package.read_bytes())
    at = int(struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0])
    while True:
        fields = _CENTRAL.unpack_from(data, at)
        if data[at + 46 : at + 46 + fields[10]] == name.encode():
            break
        at += 46 + fields[10] + fields[11] + fields[12]
    for base, patch in ((fields[16], local), (at, central)):
        for offset, new in patch.items():
            data[base + offset : base + offset + len(new)] = new
    out = package.with_name("patched-" + package.name)
    out.write_bytes(bytes(data))
    return out


def test_a_local_header_that_disagrees_with_the_central_directory_is_refused(
    tmp_path: Path,
) -> None:
    # zipfile reads the central directory; ZipInputStream and `jar x` the local headers.
    package, key = build_package(tmp_path)
    evidence = next(n for n in _members(package) if n.startswith("files/"))
    cases = {
        (evidence, 14, b"\0\0\0\0"): "CRC-32 0 where",  # local CRC-32
        (evidence, 18, b"\2\0\0\0"): "compressed size 2 where",
        (evidence, 8, b"\x08\0"): "compression method 8 where the central directory says 0",
        ("custody.jsonl", 12, b"\0\0"): "time 1980-00-00 ",  # the local date
    }
    for (name, offset, new), said in cases.items():
        check = verify_package(_patched(package, name, {offset: new}, {}), key.fingerprint)
        assert not check.ok
        assert check.problem is not None
        assert check.problem.startswith(f"{name}: its local header says {said}"), check.problem
    # The central directory's time changed alone: refused too.
    moved = _patched(package, "summary.txt", {}, {14: b"\0\0"})
    check = verify_package(moved, key.fingerprint)
    assert not check.ok
    assert "summary.txt: its local header says time" in str(check.problem)
    assert "would show another time" in str(check.problem)


def test_a_member_name_cut_short_by_a_nul_byte_is_refused(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    evidence = next(n for n in _members(package) if n.startswith("files/"))

    def nul(info: zipfile.ZipInfo) -> None:
        if info.filename == evidence:
            info.filename += "\0../../evil"

    check = verify_package(_rebuilt(package, nul), key.fingerprint)
    assert not check.ok
    assert check.problem == (
        f"{evidence}\\x00../../evil: a member name holding a NUL byte (read by most tools as "
        f"{evidence}): refused"
    )


def test_zip64_headers_and_data_descriptors_as_zipfile_writes_them_verify(
    tmp_path: Path,
) -> None:
    # A file of 4 GiB or more is written with zip64 local headers; a package written through a
    # stream that cannot seek has data descriptors: neither is a problem.
    package, key = build_package(tmp_path)
    wide = package.with_name("zip64-" + package.name)
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(wide, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = info.compress_type
            with target.open(copy, "w", force_zip64=True) as member:
                member.write(source.read(info.filename))
    with zipfile.ZipFile(wide) as zf:
        assert all(len(i.extra) == 0 for i in zf.infolist())  # zip64 in the local headers only
    assert wide.read_bytes().count(b"\x01\x00\x10\x00") >= len(_members(package))
    check = verify_package(wide, key.fingerprint)
    assert check.ok, check.problem
    streamed = _rebuilt(package, lambda info: None, stream=True)
    with zipfile.ZipFile(streamed) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist())
    check = verify_package(streamed, key.fingerprint)
    assert check.ok, check.problem


def test_a_data_descriptor_that_disagrees_with_the_central_directory_is_refused(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    streamed = _rebuilt(package, lambda info: None, stream=True)
    data = bytearray(streamed.read_bytes())
    with zipfile.ZipFile(streamed) as zf:
        info = zf.getinfo("manifest.json")
        data_at = info.header_offset + 30 + len(info.filename)
    descriptor = data_at + info.compress_size
    assert data[descriptor : descriptor + 4] == b"PK\x07\x08"
    data[descriptor + 4 : descriptor + 8] = b"\0\0\0\0"  # its CRC-32
    streamed.write_bytes(bytes(data))
    check = verify_package(streamed, key.fingerprint)
    assert not check.ok
    assert str(check.problem).startswith(
        "manifest.json: its data descriptor does not hold the CRC-32 and sizes of the central "
        "directory"
    )


def test_a_member_marked_executable_is_refused(tmp_path: Path) -> None:
    # unzip gives an extracted file the mode its entry carries: an evidence file (a scammer's
    # APK or EXE, say) would come out ready to run with a double click.
    package, key = build_package(tmp_path)
    evidence = next(n for n in _members(package) if n.startswith("files/"))

    def executable(info: zipfile.ZipInfo) -> None:
        if info.filename == evidence:
            info.create_system = 3
            info.external_attr = 0o100755 << 16

    check = verify_package(_rebuilt(package, executable), key.fingerprint)
    assert (check.ok, check.problem) == (
        False,
        f"{evidence} is marked executable (mode 0o755): an extractor would make it a program "
        "to run: refused",
    )

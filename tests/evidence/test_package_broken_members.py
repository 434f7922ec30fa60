"""A package whose members' bytes are broken (a corrupt transfer, or a member made unreadable on
purpose) is named by `verify`, member and all, and exits 1: never a traceback, and never "OK"
for a member that `unzip -t` or `jar x` would call corrupt."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package

_CENTRAL = struct.Struct("<4s6H3I5H2I")  # a central directory entry, before its name


def _central_entry(data: bytes, name: str) -> int:
    """Where the central directory entry of member NAME starts in DATA."""
    at = int(struct.unpack_from("<I", data, data.rindex(b"PK\x05\x06") + 16)[0])
    while True:
        fields = _CENTRAL.unpack_from(data, at)
        length, extra, comment = fields[10], fields[11], fields[12]
        if data[at + 46 : at + 46 + length] == name.encode():
            return at
        at += 46 + length + extra + comment


def _member_data(data: bytes, name: str) -> tuple[int, int]:
    """Where member NAME's stored (compressed) bytes start in DATA, and how many there are."""
    entry = _central_entry(data, name)
    compressed, offset = struct.unpack_from("<I", data, entry + 20)[0], _offset(data, entry)
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    return offset + 30 + name_length + extra_length, compressed


def _offset(data: bytes, entry: int) -> int:
    return int(struct.unpack_from("<I", data, entry + 42)[0])


def _changed(package: Path, name: str, patch: dict[int, bytes]) -> Path:
    """A copy of PACKAGE with the bytes at the offsets of PATCH replaced."""
    data = bytearray(package.read_bytes())
    for at, new in patch.items():
        data[at : at + len(new)] = new
    out = package.with_name(f"broken-{name.replace('/', '_')}-{len(patch)}.zip")
    out.write_bytes(bytes(data))
    return out


def _flags_and_method(data: bytes, name: str, *, flags: int, method: int) -> dict[int, bytes]:
    """The patch giving member NAME these flag bits and compression method, in its local
    header and in its central directory entry alike."""
    entry = _central_entry(data, name)
    local = _offset(data, entry)
    fields = struct.pack("<HH", flags, method)
    return {entry + 8: fields, local + 6: fields}


def test_corrupt_compressed_bytes_of_a_document_are_named_not_a_traceback(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    data = package.read_bytes()
    for name in ("manifest.json", "custody.jsonl", "summary.txt"):
        start, length = _member_data(data, name)
        # 0xff: a final block of the reserved type 3, which no inflater accepts (a zlib error)
        check = verify_package(_changed(package, name, {start: b"\xff" * length}), key.fingerprint)
        assert not check.ok
        assert check.problem is not None and check.problem.startswith(f"{name} ")
        assert "corrupt" in check.problem


def test_a_deflate_stream_that_does_not_end_with_its_member_is_named(tmp_path: Path) -> None:
    # The first block's "final" bit cleared: every byte inflates as before, so zipfile reads the
    # same text, but the stream never ends; `unzip -t` and `jar x` call the member corrupt.
    package, key = build_package(tmp_path)
    data = package.read_bytes()
    for name in ("manifest.json", "proofs.json", "case.jsonld"):
        start, _ = _member_data(data, name)
        check = verify_package(
            _changed(package, name, {start: bytes([data[start] ^ 1])}), key.fingerprint
        )
        assert not check.ok
        assert check.problem == (
            f"{name}: its compressed data is corrupt (its deflate stream does not end where "
            "the member ends: zip tools call the member broken)"
        )


def test_an_encrypted_or_unknown_method_member_is_named_not_a_traceback(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    data = package.read_bytes()
    with zipfile.ZipFile(package) as zf:
        evidence = next(n for n in zf.namelist() if n.startswith("files/"))
        info = {i.filename: i for i in zf.infolist()}
    for name in (evidence, "manifest.json", "custody.jsonl"):
        method = info[name].compress_type
        for flags, method_now in ((info[name].flag_bits | 1, method), (info[name].flag_bits, 99)):
            patch = _flags_and_method(data, name, flags=flags, method=method_now)
            check = verify_package(_changed(package, name, patch), key.fingerprint)
            assert not check.ok, (name, flags, method_now)
            assert name in str(check.problem), check.problem


def test_cli_names_a_corrupt_member_and_exits_1(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    data = package.read_bytes()
    start, length = _member_data(data, "custody.jsonl")
    broken = _changed(package, "custody.jsonl", {start: b"\xff" * length})
    said = CliRunner().invoke(app, ["evidence", "verify", str(broken), "--key", key.fingerprint])
    assert said.exit_code == 1
    assert said.exception is None or isinstance(said.exception, SystemExit)
    assert f"error: {broken}: custody.jsonl cannot be read from the package" in said.output

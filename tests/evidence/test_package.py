"""Security tests, class 21: a package verifies offline, and every change to it is named."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bigfish.evidence.custody import NodeKey, canonical_json
from bigfish.evidence.package import verify_package
from tests.evidence.builders import build_package, rewrite


def _lines(members: dict[str, bytes]) -> list[bytes]:
    return members["custody.jsonl"].splitlines(keepends=True)


def test_integrity_untouched_package_verifies(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    check = verify_package(package, key.fingerprint)
    assert check.ok, check.problem
    assert (check.files, check.records, check.report) == (2, 4, "TH-AOC/R-1")
    assert check.key_fingerprint == key.fingerprint


def test_integrity_package_changed_file_byte_is_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def flip(m: dict[str, bytes]) -> None:
        name = next(n for n in m if n.startswith("files/"))
        m[name] = bytes([m[name][0] ^ 1]) + m[name][1:]

    check = verify_package(rewrite(package, flip), key.fingerprint)
    assert not check.ok
    assert "chat0.txt" in str(check.problem) or "chat1.txt" in str(check.problem)
    assert "file changed" in str(check.problem)


def test_integrity_package_changed_manifest_entry_is_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def edit(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        manifest["evidence"][0]["acquired_by"] = "somebody else"
        m["manifest.json"] = canonical_json(manifest)

    check = verify_package(rewrite(package, edit), key.fingerprint)
    assert not check.ok and "manifest.json: bad signature" in str(check.problem)


def test_integrity_package_removed_custody_record_is_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def remove(m: dict[str, bytes]) -> None:
        m["custody.jsonl"] = b"".join(_lines(m)[:1] + _lines(m)[2:])

    check = verify_package(rewrite(package, remove), key.fingerprint)
    assert not check.ok and "seq 2" in str(check.problem) and "removed" in str(check.problem)


def test_integrity_package_reordered_custody_records_are_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def swap(m: dict[str, bytes]) -> None:
        lines = _lines(m)
        lines[0], lines[1] = lines[1], lines[0]
        m["custody.jsonl"] = b"".join(lines)

    check = verify_package(rewrite(package, swap), key.fingerprint)
    assert not check.ok and "reordered" in str(check.problem)


def test_integrity_package_edited_custody_record_is_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def edit(m: dict[str, bytes]) -> None:
        lines = _lines(m)
        record = json.loads(lines[2])
        record["received_by"]["person"] = "Mallory"
        lines[2] = canonical_json(record) + b"\n"
        m["custody.jsonl"] = b"".join(lines)

    check = verify_package(rewrite(package, edit), key.fingerprint)
    assert not check.ok and "edited" in str(check.problem)
    seq = json.loads(_lines({"custody.jsonl": _read(package, "custody.jsonl")})[2])["seq"]
    assert f"seq {seq}" in str(check.problem)


def test_integrity_package_inserted_custody_record_is_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def insert(m: dict[str, bytes]) -> None:
        lines = _lines(m)
        record = json.loads(lines[0])
        record["seq"] = 99
        m["custody.jsonl"] = b"".join([*lines, canonical_json(record) + b"\n"])

    check = verify_package(rewrite(package, insert), key.fingerprint)
    assert not check.ok and "inserted" in str(check.problem)


def test_integrity_package_bad_signatures_are_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def bad_manifest_sig(m: dict[str, bytes]) -> None:
        m["manifest.sig"] = b"00" * 64

    check = verify_package(rewrite(package, bad_manifest_sig), key.fingerprint)
    assert not check.ok and "bad signature" in str(check.problem)

    def bad_record_sig(m: dict[str, bytes]) -> None:
        lines = _lines(m)
        record = json.loads(lines[1])
        record["signature"] = "00" * 64
        lines[1] = canonical_json(record) + b"\n"
        m["custody.jsonl"] = b"".join(lines)

    check = verify_package(rewrite(package, bad_record_sig), key.fingerprint)
    assert (
        not check.ok
        and "bad signature" in str(check.problem)
        and "custody record" in str(check.problem)
    )


def test_integrity_package_wrong_key_fingerprint_is_named(tmp_path: Path) -> None:
    package, _ = build_package(tmp_path)
    other = NodeKey(Ed25519PrivateKey.generate())
    check = verify_package(package, other.fingerprint)
    assert not check.ok and "not by the expected key" in str(check.problem)


def test_integrity_package_resigned_by_a_forger_fails_only_the_key_check(tmp_path: Path) -> None:
    # A forger who re-signs everything with their own key makes a self-consistent package;
    # the fingerprint the sender gave out of band is what catches it.
    package, key = build_package(tmp_path)
    forger = NodeKey(Ed25519PrivateKey.generate())

    def resign(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        m["public_key.pem"] = forger.public_pem()
        manifest["key_fingerprint"] = forger.fingerprint
        m["manifest.json"] = canonical_json(manifest)
        m["manifest.sig"] = forger.sign(m["manifest.json"]).encode()

    forged = rewrite(package, resign)
    check = verify_package(forged, key.fingerprint)
    assert not check.ok and "not by the expected key" in str(check.problem)


def test_integrity_package_changed_documents_and_extra_members_are_named(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)

    def summary(m: dict[str, bytes]) -> None:
        m["summary.txt"] += b"an extra line\n"

    check = verify_package(rewrite(package, summary), key.fingerprint)
    assert not check.ok and "summary.txt was changed" in str(check.problem)

    def extra(m: dict[str, bytes]) -> None:
        m["files/extra"] = b"planted"

    check = verify_package(rewrite(package, extra), key.fingerprint)
    assert not check.ok and "files/extra" in str(check.problem)

    def proofs(m: dict[str, bytes]) -> None:
        data = json.loads(m["proofs.json"])
        first = next(iter(data))
        data[first] = data[first][:-1]
        m["proofs.json"] = canonical_json(data)

    check = verify_package(rewrite(package, proofs), key.fingerprint)
    assert not check.ok and "inclusion proof" in str(check.problem)


def test_integrity_package_not_a_zip_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    check = verify_package(junk)
    assert not check.ok and "not a readable zip" in str(check.problem)


def test_package_verification_imports_nothing_from_the_store() -> None:
    code = (
        "import sys, bigfish.evidence.package\n"
        "bad = [m for m in sys.modules if m.startswith(('bigfish.store', 'sqlalchemy'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _read(package: Path, name: str) -> bytes:
    with zipfile.ZipFile(package) as zf:
        return zf.read(name)


def _with_forged_copy_first(package: Path, name: str, forged: bytes) -> Path:
    """A copy of PACKAGE in which a forged entry NAME comes before the genuine one."""
    with zipfile.ZipFile(package) as zf:
        members = [(n, zf.read(n)) for n in zf.namelist()]
    out = package.with_name("duplicate-" + package.name)
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: that is the attack
        zf.writestr(name, forged)
        for member, data in members:
            zf.writestr(member, data)
    return out


def test_integrity_package_duplicate_member_with_forged_bytes_first_is_named(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    with zipfile.ZipFile(package) as zf:
        file_member = next(n for n in zf.namelist() if n.startswith("files/"))
    for name in (file_member, "manifest.json", "summary.txt"):
        check = verify_package(_with_forged_copy_first(package, name, b"FORGED"), key.fingerprint)
        assert not check.ok
        assert check.problem == f"{name} appears twice in the package"


def test_integrity_package_deeply_nested_json_is_named_not_a_traceback(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)
    deep = b"[" * 100_000 + b"]" * 100_000

    def custody(m: dict[str, bytes]) -> None:
        m["custody.jsonl"] = deep + b"\n"

    check = verify_package(rewrite(package, custody), key.fingerprint)
    assert not check.ok and check.problem == "custody.jsonl line 1: not a custody record"

    def proofs(m: dict[str, bytes]) -> None:
        m["proofs.json"] = deep

    check = verify_package(rewrite(package, proofs), key.fingerprint)
    assert not check.ok and "proofs.json is malformed" in str(check.problem)

    # A manifest re-signed by a forger, verified without --key: parsed after its signature holds.
    forger = NodeKey(Ed25519PrivateKey.generate())

    def manifest(m: dict[str, bytes]) -> None:
        m["manifest.json"] = deep
        m["manifest.sig"] = forger.sign(deep).encode()
        m["public_key.pem"] = forger.public_pem()

    check = verify_package(rewrite(package, manifest))
    assert not check.ok and "manifest.json is not JSON" in str(check.problem)


def _resigned(package: Path, key: NodeKey, edit: Callable[[dict[str, Any]], None]) -> Path:
    """PACKAGE with its manifest changed by EDIT and signed again by the node's own KEY: what
    an export of evidence rows changed in the database looks like."""

    def change(m: dict[str, bytes]) -> None:
        manifest = json.loads(m["manifest.json"])
        edit(manifest)
        m["manifest.json"] = canonical_json(manifest)
        m["manifest.sig"] = key.sign(m["manifest.json"]).encode()

    return rewrite(package, change)


def test_integrity_manifest_contradicting_the_signed_custody_records_is_named(
    tmp_path: Path,
) -> None:
    package, key = build_package(tmp_path)
    edits: dict[str, Callable[[dict[str, Any]], None]] = {
        "acquired_by": lambda m: m["evidence"][0].update(acquired_by="Someone Else"),
        "acquired_at": lambda m: m["evidence"][0].update(acquired_at="2020-01-01T00:00:00.000000Z"),
        "source": lambda m: m["evidence"][1].update(source="seized laptop"),
        "file_name": lambda m: m["evidence"][1].update(file_name="other.txt"),
        "method": lambda m: m["evidence"][0].update(method="forensic image"),
        "report": lambda m: m["report"].update(report_id="R-2"),
    }
    for field, edit in edits.items():
        check = verify_package(_resigned(package, key, edit), key.fingerprint)
        assert not check.ok, field
        assert f"manifest.json says {field} " in str(check.problem), check.problem
        assert "signed acquired record (seq" in str(check.problem)
    moved = _resigned(package, key, lambda m: m["evidence"][0].update(organization="PH-CICC"))
    check = verify_package(moved, key.fingerprint)
    assert not check.ok and "held by 'PH-CICC'" in str(check.problem)


def test_package_of_records_without_signed_metadata_verifies_with_a_note(tmp_path: Path) -> None:
    package, key = build_package(tmp_path, signed_metadata=False)
    check = verify_package(package, key.fingerprint)
    assert check.ok, check.problem
    assert [n.split(":")[0] for n in check.notes] == ["evidence ev-0", "evidence ev-1"]
    assert "manifest.json is not checked for those" in check.notes[0]
    edit = _resigned(package, key, lambda m: m["evidence"][0].update(acquired_by="X"))
    assert "acquired_by 'X'" in str(verify_package(edit, key.fingerprint).problem)


def _bomb(package: Path, member: str, size: int) -> Path:
    """A copy of PACKAGE whose MEMBER is SIZE zero bytes, deflated (a thousandth of that)."""
    out = package.with_name(f"bomb-{member.replace('/', '-')}.zip")
    with zipfile.ZipFile(package) as zf, zipfile.ZipFile(out, "w") as bomb:
        for info in zf.infolist():
            if info.filename != member:
                bomb.writestr(info.filename, zf.read(info.filename))
                continue
            target = zipfile.ZipInfo(member, info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(target, "w", force_zip64=True) as stream:
                chunk = bytes(1 << 20)
                for _ in range(size // len(chunk)):
                    stream.write(chunk)
    return out


def test_integrity_package_zip_bombs_are_refused_unread(tmp_path: Path) -> None:
    """A 64 KiB package whose summary.txt inflates to 64 MiB made verify hold all of it in
    memory (a 2 MB package, 2 GB) before it found the digest wrong; a file member that inflates
    past its listed size was hashed to its end first."""
    import tracemalloc

    package, key = build_package(tmp_path)
    with zipfile.ZipFile(package) as zf:
        listed = zf.namelist()
    evidence_member = next(name for name in listed if name.startswith("files/"))
    for member, expected in (
        ("summary.txt", "summary.txt declares 67108864 bytes from"),
        ("custody.jsonl", "custody.jsonl declares 67108864 bytes from"),
        (evidence_member, f"{evidence_member} (chat"),  # …: content does not match …
    ):
        bomb = _bomb(package, member, 64 << 20)
        assert bomb.stat().st_size < 1 << 20
        tracemalloc.start()
        try:
            check = verify_package(bomb, key.fingerprint)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert not check.ok and str(check.problem).startswith(expected), check.problem
        assert "declares" in str(check.problem) or "does not match" in str(check.problem)
        assert peak < 8 << 20, (member, peak)
    assert verify_package(package, key.fingerprint).ok

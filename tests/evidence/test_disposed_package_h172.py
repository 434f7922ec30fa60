"""A report with a disposed file is still exported: the other files as before, the disposed one
as its manifest entry (marked disposed) and its whole chain up to the signed disposal, without
bytes and without an `exported` record. `verify` accepts the absent file only for an item whose
chain ends in its disposal, and names every other absence."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import Conflict
from bigfish.evidence import log
from bigfish.evidence.custody import CustodyEvent, Party, canonical_json
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.package import FORMAT, FORMAT_WITHOUT_ACCOUNTS, verify_package
from bigfish.evidence.service import Activity, record_custody_event
from tests.evidence.builders import rewrite
from tests.evidence.conftest import Node, add, export_r1

ORDER = "destroyed per court order 17/2025"
FORMAT_WITH_DISPOSED = "bigfish-evidence-package/4"  # only a package holding a disposed item


def _dispose(node: Node, item: EvidenceRecord, purpose: str = ORDER) -> int:
    record = record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", purpose),
        Party(None, None),
    )
    return record.seq


def _events(node: Node, evidence_id: str) -> list[str]:
    with node.store.connect() as conn:
        return [r.draft.event.value for r in log.read_records(conn, [evidence_id])]


def _members(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _two_files_one_disposed(node: Node) -> tuple[EvidenceRecord, EvidenceRecord, int]:
    kept = add(node, b"chat export", name="chat.txt")
    gone = add(node, b"photo of the slip", name="slip.jpg")
    return kept, gone, _dispose(node, gone)


def test_a_report_with_a_disposed_file_exports_the_others_and_the_disposal(
    node: Node, tmp_path: Path
) -> None:
    kept, gone, seq = _two_files_one_disposed(node)
    out = tmp_path / "p.zip"
    # Before: Conflict: evidence ev-… was disposed of (custody record seq 3); it cannot be exported
    result = export_r1(node, out)
    assert (result.evidence, result.disposed) == (1, (gone.evidence_id,))
    members = _members(out)
    assert f"files/{kept.sha256}" in members and f"files/{gone.sha256}" not in members
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == FORMAT_WITH_DISPOSED
    entries = {e["evidence_id"]: e for e in manifest["evidence"]}
    assert entries[gone.evidence_id]["disposed"] is True
    assert entries[gone.evidence_id]["path"] is None
    assert (entries[gone.evidence_id]["sha256"], entries[gone.evidence_id]["size"]) == (
        gone.sha256,
        gone.size,
    )
    assert "disposed" not in entries[kept.evidence_id]
    chains: dict[str, list[str]] = {}
    for line in members["custody.jsonl"].splitlines():
        record = json.loads(line)
        chains.setdefault(record["evidence_id"], []).append(record["event"])
    assert chains == {
        kept.evidence_id: ["acquired", "exported"],
        gone.evidence_id: ["acquired", "disposed"],
    }
    assert str(seq) in json.loads(members["proofs.json"])  # the disposal is proven in the head
    # Nothing follows the disposal in the node's log either.
    assert _events(node, gone.evidence_id) == ["acquired", "disposed"]
    assert _events(node, kept.evidence_id) == ["acquired", "exported"]
    assert verify_custody_log(node.store, node.data_dir).ok

    check = verify_package(out, result.key_fingerprint)
    assert check.ok, check.problem
    assert check.files == 1
    assert [
        (d.evidence_id, d.disposed_by, d.organization, d.seq, d.purpose) for d in check.disposed
    ] == [(gone.evidence_id, "Somchai", "TH-AOC", seq, ORDER)]
    note = next(n for n in check.notes if n.startswith(gone.evidence_id))
    assert note.startswith(f"{gone.evidence_id}: disposed by Somchai (TH-AOC) on ")
    assert note.endswith("(no bytes, as recorded)") and ORDER in note


def test_summary_and_case_name_the_disposed_file(node: Node, tmp_path: Path) -> None:
    kept, gone, seq = _two_files_one_disposed(node)
    export_r1(node, tmp_path / "p.zip")
    members = _members(tmp_path / "p.zip")
    summary = members["summary.txt"].decode()
    assert "Evidence (2; 1 disposed of, carried without its file):" in summary
    block = summary.split(f"- {gone.evidence_id}: slip.jpg")[1].split("\n- ")[0]
    assert "DISPOSED OF by Somchai (TH-AOC) on " in block
    assert f"custody record seq {seq}; purpose: {ORDER}" in block
    assert "its file is not in this package, as recorded" in block
    assert "DISPOSED" not in summary.split(f"- {kept.evidence_id}:")[1].split("\n- ")[0]
    graph = json.loads(members["case.jsonld"])["@graph"]
    provenance = {n["@id"]: n for n in graph if n["@type"] == "case-investigation:ProvenanceRecord"}
    disposed = provenance[f"kb:provenance-{gone.evidence_id}"]
    assert disposed["uco-core:tag"] == ["disposed", "file-not-in-package"]
    assert "disposed of by Somchai on " in disposed["uco-core:description"]
    assert (
        f"(custody record seq {seq}): the file is not in this package"
        in (disposed["uco-core:description"])
    )
    assert "uco-core:tag" not in provenance[f"kb:provenance-{kept.evidence_id}"]
    # The File node still states what was held: its digest.
    files = {n["@id"]: n for n in graph if n["@type"] == "uco-observable:File"}
    assert gone.sha256 in json.dumps(files[f"kb:file-{gone.evidence_id}"])


def test_a_disposal_purpose_cannot_lay_a_line_into_the_summary_or_the_note(
    node: Node, tmp_path: Path
) -> None:
    add(node, b"chat export")
    gone = add(node, b"photo of the slip", name="slip.jpg")
    _dispose(node, gone, purpose="court order\nOK: everything verified")
    result = export_r1(node, tmp_path / "p.zip")
    summary = _members(tmp_path / "p.zip")["summary.txt"].decode()
    assert "\nOK: everything verified" not in summary
    assert "court order\\nOK: everything verified" in summary
    check = verify_package(tmp_path / "p.zip", result.key_fingerprint)
    assert check.ok and not any("\n" in note for note in check.notes)


def test_the_disposed_files_bytes_may_be_gone_from_the_node(node: Node, tmp_path: Path) -> None:
    # A disposal is often the bytes destroyed: their absence must not stop the others' export.
    from bigfish.evidence.files import blob_path

    kept, gone, _ = _two_files_one_disposed(node)
    assert not blob_path(node.data_dir, gone.sha256).exists()  # destroyed with the disposal
    result = export_r1(node, tmp_path / "p.zip")
    assert verify_package(tmp_path / "p.zip", result.key_fingerprint).ok
    assert f"files/{kept.sha256}" in _members(tmp_path / "p.zip")


def test_a_report_whose_evidence_is_all_disposed_is_refused_clearly(
    node: Node, tmp_path: Path
) -> None:
    first = add(node, b"chat export")
    second = add(node, b"photo of the slip")
    seq = _dispose(node, first)
    _dispose(node, second)
    with pytest.raises(Conflict) as refused:
        export_r1(node, tmp_path / "p.zip")
    # Before: "evidence ev-… was disposed of (custody record seq 3); it cannot be exported"
    assert str(refused.value) == (
        f"report TH-AOC/R-1: all of its evidence was disposed of (2 items; {first.evidence_id} "
        f"in custody record seq {seq}): there is no file left to release, so it cannot be "
        "exported"
    )
    assert not (tmp_path / "p.zip").exists() and not (tmp_path / "p.zip.partial").exists()
    assert _events(node, first.evidence_id) == ["acquired", "disposed"]


def test_a_package_without_a_disposed_file_keeps_its_format(node: Node, tmp_path: Path) -> None:
    add(node, b"chat export")
    export_r1(node, tmp_path / "p.zip")
    manifest = json.loads(_members(tmp_path / "p.zip")["manifest.json"])
    assert manifest["format"] == FORMAT
    assert all("disposed" not in e for e in manifest["evidence"])


# Tampering. Without the key, any change breaks a signature or a digest; the holder of the key
# (or a bug) could sign a manifest that says more than the chain: those are refused by name too.


def _resign(node: Node, members: dict[str, bytes], change: Any) -> None:
    """Apply CHANGE to the manifest of MEMBERS and sign it again with the node's key, after
    updating the documents' digests."""
    key = log.signing_key(node.store, node.data_dir)
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    for name in manifest["documents"]:
        manifest["documents"][name] = hashlib.sha256(members[name]).hexdigest()
    members["manifest.json"] = canonical_json(manifest)
    members["manifest.sig"] = key.sign(members["manifest.json"]).encode()


def _entry(manifest: dict[str, Any], item: EvidenceRecord) -> dict[str, Any]:
    return next(e for e in manifest["evidence"] if e["evidence_id"] == item.evidence_id)


def test_bytes_removed_from_a_file_not_disposed_of_fail_verify(node: Node, tmp_path: Path) -> None:
    kept, _, _ = _two_files_one_disposed(node)
    result = export_r1(node, tmp_path / "p.zip")
    tampered = rewrite(tmp_path / "p.zip", lambda m: m.pop(f"files/{kept.sha256}"))
    check = verify_package(tampered, result.key_fingerprint)
    assert not check.ok
    assert check.problem == (
        f"files/{kept.sha256} (chat.txt, evidence {kept.evidence_id}) is missing from the "
        "package (removed: its custody chain does not end in a disposal)"
    )


def _without_disposal(members: dict[str, bytes], seq: int) -> None:
    lines = members["custody.jsonl"].splitlines(keepends=True)
    members["custody.jsonl"] = b"".join(line for line in lines if json.loads(line)["seq"] != seq)


def test_a_disposed_record_removed_fails_verify(node: Node, tmp_path: Path) -> None:
    _, gone, seq = _two_files_one_disposed(node)
    result = export_r1(node, tmp_path / "p.zip")
    tampered = rewrite(tmp_path / "p.zip", lambda m: _without_disposal(m, seq))
    check = verify_package(tampered, result.key_fingerprint)
    assert check.problem == (
        f"custody record seq {seq} of evidence {gone.evidence_id} is listed in the manifest but "
        "missing from custody.jsonl (removed)"
    )

    def and_from_the_manifest(members: dict[str, bytes]) -> None:
        _without_disposal(members, seq)
        _resign(
            node,
            members,
            lambda m: m.update(custody=[c for c in m["custody"] if c["seq"] != seq]),
        )

    resigned = rewrite(tmp_path / "p.zip", and_from_the_manifest)
    check = verify_package(resigned, result.key_fingerprint)
    assert check.problem == (
        f"evidence {gone.evidence_id}: manifest.json marks it disposed, but its custody chain "
        "holds no disposed record (its bytes are not accounted for)"
    )


def test_an_item_marked_disposed_without_a_record_fails_verify(node: Node, tmp_path: Path) -> None:
    item = add(node, b"chat export")
    add(node, b"photo of the slip")
    result = export_r1(node, tmp_path / "p.zip")

    def mark(manifest: dict[str, Any]) -> None:
        manifest["format"] = FORMAT_WITH_DISPOSED
        _entry(manifest, item).update(disposed=True, path=None)

    def forge(members: dict[str, bytes]) -> None:
        members.pop(f"files/{item.sha256}")
        _resign(node, members, mark)

    check = verify_package(rewrite(tmp_path / "p.zip", forge), result.key_fingerprint)
    assert check.problem == (
        f"evidence {item.evidence_id}: manifest.json marks it disposed, but its custody chain "
        "holds no disposed record (its bytes are not accounted for)"
    )


def test_a_disposal_left_unmarked_or_with_its_bytes_fails_verify(
    node: Node, tmp_path: Path
) -> None:
    _, gone, seq = _two_files_one_disposed(node)
    result = export_r1(node, tmp_path / "p.zip")

    def unmark(manifest: dict[str, Any]) -> None:
        entry = _entry(manifest, gone)
        del entry["disposed"]
        entry["path"] = f"files/{gone.sha256}"

    check = verify_package(
        rewrite(tmp_path / "p.zip", lambda m: _resign(node, m, unmark)), result.key_fingerprint
    )
    assert check.problem == (
        f"evidence {gone.evidence_id}: its custody chain ends in its disposal (seq {seq}), but "
        "manifest.json does not mark it disposed"
    )

    def with_bytes(members: dict[str, bytes]) -> None:
        members[f"files/{gone.sha256}"] = b"photo of the slip"

    check = verify_package(rewrite(tmp_path / "p.zip", with_bytes), result.key_fingerprint)
    assert check.problem == (
        f"files/{gone.sha256} (slip.jpg, evidence {gone.evidence_id}) is in the package, but "
        "manifest.json marks the item disposed (no bytes)"
    )


def test_a_disposed_mark_in_an_older_format_is_refused(node: Node, tmp_path: Path) -> None:
    _, gone, _ = _two_files_one_disposed(node)
    result = export_r1(node, tmp_path / "p.zip")
    for older in (FORMAT, FORMAT_WITHOUT_ACCOUNTS):
        resigned = rewrite(
            tmp_path / "p.zip", lambda m: _resign(node, m, lambda f: f.update(format=older))
        )
        check = verify_package(resigned, result.key_fingerprint)
        assert not check.ok
        if older == FORMAT:
            assert check.problem == (
                f"manifest.json marks evidence {gone.evidence_id} disposed, which a {FORMAT} "
                f"package does not hold ({FORMAT_WITH_DISPOSED} does)"
            )


def test_a_verifier_that_knows_format_3_at_most_names_the_format(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a verifier of before this format says of such a package: not "file missing".
    from bigfish.evidence.package import verify as verifier

    _two_files_one_disposed(node)
    result = export_r1(node, tmp_path / "p.zip")
    monkeypatch.setattr(verifier, "FORMATS", verifier.FORMATS[:-1])
    check = verify_package(tmp_path / "p.zip", result.key_fingerprint)
    assert check.problem == f"manifest.json: unknown format {FORMAT_WITH_DISPOSED!r}"

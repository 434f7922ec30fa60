"""A disposal destroys the stored bytes once no evidence item that is not disposed of holds
them (content-addressed files are shared by every item of the same bytes, across reports and
organizations); the same bytes acquired later are stored again. The item's record, chain of
custody and re-hash stay: the re-hash says the bytes are missing, a note rather than a failure.
Before, a disposal kept the bytes on the node for good."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bigfish.errors import Conflict, StoreError
from bigfish.evidence import log, service
from bigfish.evidence.custody import CustodyEvent, HashCheck
from bigfish.evidence.files import blob_path, check_blob
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.package import verify_package
from bigfish.evidence.service import Activity, evidence_file, get_evidence, list_evidence
from tests.evidence.conftest import Node, add, dispose, export_r1, stored_files

PHOTO = b"photo of the victim's ID card"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


def _events(node: Node, evidence_id: str) -> list[tuple[str, str]]:
    with node.store.connect() as conn:
        return [
            (r.draft.event.value, r.draft.hash_check.value)
            for r in log.read_records(conn, [evidence_id])
        ]


def test_a_disposal_destroys_the_bytes_no_other_item_holds(node: Node) -> None:
    kept = add(node, b"chat export")
    gone = add(node, PHOTO, name="id-card.jpg")
    seq = dispose(node, gone)
    # Before: the bytes stayed stored (check_blob answered match)
    assert check_blob(node.data_dir, gone.sha256) is HashCheck.MISSING
    assert stored_files(node.data_dir) == [blob_path(node.data_dir, kept.sha256)]
    # The disposed record says the bytes matched when they were disposed of.
    assert _events(node, gone.evidence_id) == [("acquired", "match"), ("disposed", "match")]
    # Its record, chain and re-hash stay; the re-hash says the bytes are gone.
    shown = get_evidence(node.store, node.data_dir, node.a, gone.evidence_id, Activity("Lan", "x"))
    assert shown.integrity is HashCheck.MISSING
    assert shown.disposal is not None and shown.disposal.seq == seq
    assert _events(node, gone.evidence_id)[-1] == ("accessed", "missing")
    listed = {i.evidence_id: i for i in list_evidence(node.store, node.data_dir, node.a)}
    assert listed[gone.evidence_id].integrity is HashCheck.MISSING
    assert listed[kept.evidence_id].integrity is HashCheck.MATCH
    assert verify_custody_log(node.store, node.data_dir).ok
    # The report's package carries the other file, and the disposed item as its entry and chain.
    result = export_r1(node, node.data_dir.parent / "case.zip")
    assert result.disposed == (gone.evidence_id,) and result.evidence == 1
    check = verify_package(node.data_dir.parent / "case.zip", result.key_fingerprint)
    assert check.ok, check.problem


def test_bytes_another_item_holds_stay_until_it_is_disposed_of_too(node: Node) -> None:
    # The same file is evidence of two reports (R-2 is shared with the group).
    first = add(node, PHOTO)
    second = add(node, PHOTO, report_id="R-2")
    assert first.evidence_id != second.evidence_id
    dispose(node, first)
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    served, path = evidence_file(
        node.store, node.data_dir, node.a, second.evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO and served.evidence_id == second.evidence_id
    dispose(node, second)
    # Before: assert <HashCheck.MATCH: 'match'> is <HashCheck.MISSING: 'missing'>
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
    assert stored_files(node.data_dir) == []
    assert verify_custody_log(node.store, node.data_dir).ok


def test_the_same_bytes_acquired_again_are_stored_again(node: Node, tmp_path: Path) -> None:
    gone = add(node, PHOTO)
    dispose(node, gone)
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
    again = add(node, PHOTO, name="id-card-again.jpg")
    assert not again.held_before and again.reacquired_after is not None
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    _, path = evidence_file(
        node.store, node.data_dir, node.a, again.evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO
    result = export_r1(node, tmp_path / "case.zip")
    assert result.evidence == 1 and result.disposed == (gone.evidence_id,)
    assert verify_package(tmp_path / "case.zip", result.key_fingerprint).ok
    # The new item's disposal destroys them again.
    dispose(node, again)
    assert stored_files(node.data_dir) == []
    assert verify_custody_log(node.store, node.data_dir).ok


def test_an_acquisition_racing_a_disposal_keeps_its_bytes(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-1's item is disposed of while the same bytes, added to R-2, wait for the log: the
    # disposal must not destroy the bytes the new item is about to hold.
    gone = add(node, PHOTO)
    original = log.append

    def dispose_first(*args: object, **kwargs: object) -> log.TreeHead:
        drafts = args[2]
        if [d.event for d in drafts] == [CustodyEvent.ACQUIRED]:  # type: ignore[attr-defined]
            monkeypatch.setattr(log, "append", original)
            dispose(node, gone)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "append", dispose_first)
    newer = add(node, PHOTO, report_id="R-2")
    assert _events(node, gone.evidence_id)[-1][0] == "disposed"
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    _, path = evidence_file(
        node.store, node.data_dir, node.a, newer.evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_failed_acquisition_leaves_no_bytes_of_a_disposed_item(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = add(node, PHOTO)
    dispose(node, gone)
    kept = service.keep_staged

    def kept_then_failed(*args: object, **kwargs: object) -> object:
        kept(*args, **kwargs)  # type: ignore[arg-type]
        raise StoreError("database error: the disk of the database is full")

    monkeypatch.setattr(service, "keep_staged", kept_then_failed)
    with pytest.raises(StoreError, match="disk of the database is full"):
        add(node, PHOTO)
    assert stored_files(node.data_dir) == []
    assert _events(node, gone.evidence_id) == [("acquired", "match"), ("disposed", "match")]
    assert verify_custody_log(node.store, node.data_dir).ok


def test_an_export_whose_file_was_disposed_of_while_it_copied_names_the_disposal(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The item is disposed of (its bytes destroyed) after the export checked it and before it
    # copied the file: the export is refused naming the disposal, not a file of the node
    # missing, and records nothing.
    from bigfish.evidence import export

    item = add(node, PHOTO)
    original = export.write_files

    def disposed_first(*args: object, **kwargs: object) -> object:
        dispose(node, item)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export, "write_files", disposed_first)
    with pytest.raises(Conflict, match=f"evidence {item.evidence_id} was disposed of"):
        export_r1(node, tmp_path / "case.zip")
    assert not (tmp_path / "case.zip").exists()
    assert not (tmp_path / "case.zip.partial").exists()
    assert [e for e, _ in _events(node, item.evidence_id)] == ["acquired", "disposed"]
    assert verify_custody_log(node.store, node.data_dir).ok


def test_bytes_that_cannot_be_deleted_are_named_with_the_recorded_disposal(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = add(node, PHOTO)

    def refused(data_dir: Path, sha256: str) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(service, "remove_blob", refused)
    with pytest.raises(StoreError) as failed:
        dispose(node, item)
    assert str(failed.value) == (
        f"evidence {item.evidence_id} was disposed of (custody record seq 2), but its stored "
        "bytes could not be deleted (Permission denied): unless another item holds the same "
        f"bytes, delete {blob_path(node.data_dir, PHOTO_SHA)} by hand"
    )
    assert [e for e, _ in _events(node, item.evidence_id)] == ["acquired", "disposed"]
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH

"""Every disposal also deletes the stored bytes that earlier disposals left behind: items disposed
of before bigfish deleted a disposed item's bytes kept their files, and so did a disposal whose
deletion did not happen after its commit (the process stopped, the deletion failed). Bytes an
item not disposed of holds, files no item names (an operator's) and uploads in progress stay.
Before, such files stayed on the node for good."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest

from bigfish.errors import StoreError
from bigfish.evidence import log, service
from bigfish.evidence.custody import CustodyEvent, HashCheck, TreeHead
from bigfish.evidence.files import blob_path, check_blob, remove_blob
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.service import Activity, evidence_file
from tests.evidence.conftest import Node, add, dispose, stored_files

PHOTO = b"photo of the victim's ID card"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
SLIP = b"transfer slip of the mule account"


def dispose_as_before(node: Node, item: EvidenceRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dispose of ITEM as bigfish did before it deleted disposed bytes: the record, no deletion."""
    with monkeypatch.context() as patched:
        patched.setattr(service, "remove_blob", lambda data_dir, sha256: False)
        dispose(node, item)
    assert check_blob(node.data_dir, item.sha256) is HashCheck.MATCH


class _Crash(BaseException):
    """The process stopping between the disposal's commit and the deletion of its bytes."""


def dispose_then_crash(node: Node, item: EvidenceRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object) -> None:
        raise _Crash()

    with monkeypatch.context() as patched:
        patched.setattr(service, "_destroy_disposed", crash)
        with pytest.raises(_Crash):
            dispose(node, item)
    assert _last_event(node, item) == "disposed"  # committed before the crash
    assert check_blob(node.data_dir, item.sha256) is HashCheck.MATCH


def _last_event(node: Node, item: EvidenceRecord) -> str:
    with node.store.connect() as conn:
        return log.read_records(conn, [item.evidence_id])[-1].draft.event.value


def test_a_disposal_deletes_the_bytes_of_items_disposed_of_before_deletion_came(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = add(node, PHOTO, name="id-card.jpg")
    dispose_as_before(node, old, monkeypatch)
    other = add(node, SLIP, name="slip.jpg")
    dispose(node, other)
    # Before: assert <HashCheck.MATCH: 'match'> is <HashCheck.MISSING: 'missing'>
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
    assert stored_files(node.data_dir) == []
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_disposal_deletes_the_bytes_a_crashed_disposal_left(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = add(node, PHOTO)
    dispose_then_crash(node, crashed, monkeypatch)
    kept = add(node, b"chat export")
    other = add(node, SLIP)
    dispose(node, other)
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
    assert stored_files(node.data_dir) == [blob_path(node.data_dir, kept.sha256)]
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_disposal_deletes_the_bytes_a_failed_deletion_left(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = add(node, PHOTO)

    def refused(data_dir: Path, sha256: str) -> bool:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patched:
        patched.setattr(service, "remove_blob", refused)
        with pytest.raises(StoreError, match=r"delete .* by hand"):
            dispose(node, failed)
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    dispose(node, add(node, SLIP))
    assert stored_files(node.data_dir) == []


def test_bytes_an_item_not_disposed_of_holds_stay(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same photo is evidence of R-1 (disposed of before deletion came) and of R-2 (live).
    old = add(node, PHOTO)
    live = add(node, PHOTO, report_id="R-2")
    left = add(node, b"left over chat")
    dispose_as_before(node, old, monkeypatch)
    dispose_as_before(node, left, monkeypatch)
    dispose(node, add(node, SLIP))
    assert check_blob(node.data_dir, left.sha256) is HashCheck.MISSING
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    _, path = evidence_file(
        node.store, node.data_dir, node.a, live.evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO
    # Its last holder's disposal takes them.
    dispose(node, live)
    assert stored_files(node.data_dir) == []


def test_files_no_item_names_and_uploads_in_progress_stay(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = add(node, PHOTO)
    dispose_as_before(node, old, monkeypatch)
    # An operator's file at the place of a digest no item holds, one beside the store, and an
    # upload in progress.
    foreign = b"the operator's own notes"
    at_a_digest = blob_path(node.data_dir, hashlib.sha256(foreign).hexdigest())
    at_a_digest.parent.mkdir(parents=True, exist_ok=True)
    at_a_digest.write_bytes(foreign)
    beside = node.data_dir / "evidence" / "sha256" / "README.txt"
    beside.write_text("kept by the operator")
    upload = node.data_dir / "evidence" / "incoming" / "upload-in-progress"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(PHOTO)
    dispose(node, add(node, SLIP))
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
    assert stored_files(node.data_dir) == sorted([at_a_digest, beside, upload])


def test_files_already_gone_are_no_error_and_the_sweep_is_idempotent(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = add(node, PHOTO)
    second = add(node, b"left over chat")
    dispose_as_before(node, first, monkeypatch)
    dispose_as_before(node, second, monkeypatch)
    blob_path(node.data_dir, PHOTO_SHA).unlink()  # deleted by hand, as the docs said
    dispose(node, add(node, SLIP))
    assert stored_files(node.data_dir) == []
    assert service.sweep_disposed_bytes(node.store, node.data_dir) == service.SweptBytes((), ())


def test_a_file_the_sweep_cannot_delete_is_logged_and_the_disposal_stands(
    node: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    old = add(node, PHOTO)
    dispose_as_before(node, old, monkeypatch)
    other = add(node, SLIP)
    original = remove_blob

    def refused_for_the_photo(data_dir: Path, sha256: str) -> bool:
        if sha256 == PHOTO_SHA:
            raise PermissionError(13, "Permission denied")
        return original(data_dir, sha256)

    monkeypatch.setattr(service, "remove_blob", refused_for_the_photo)
    with caplog.at_level(logging.WARNING, logger="bigfish.evidence.service"):
        dispose(node, other)
    assert _last_event(node, other) == "disposed"
    assert check_blob(node.data_dir, other.sha256) is HashCheck.MISSING
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    [warning] = [r.getMessage() for r in caplog.records]
    assert f"evidence {other.evidence_id} was disposed of" in warning
    assert f"{blob_path(node.data_dir, PHOTO_SHA)} (Permission denied)" in warning


def test_an_acquisition_racing_a_sweep_keeps_its_bytes(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The photo's file was left by an old disposal; the same photo is added to R-2 (staged,
    # and found intact in the store) and, while it waits for the log, another disposal sweeps
    # the old file: the new item must still hold its bytes, and its upload stays meanwhile.
    old = add(node, PHOTO)
    dispose_as_before(node, old, monkeypatch)
    other = add(node, SLIP)
    original = log.append
    staged_during_sweep: list[list[Path]] = []

    def sweep_first(*args: object, **kwargs: object) -> TreeHead:
        drafts = args[2]
        if [d.event for d in drafts] == [CustodyEvent.ACQUIRED]:  # type: ignore[attr-defined]
            monkeypatch.setattr(log, "append", original)
            dispose(node, other)
            assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MISSING
            staged_during_sweep.append(sorted((node.data_dir / "evidence" / "incoming").iterdir()))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "append", sweep_first)
    newer = add(node, PHOTO, report_id="R-2")
    assert len(staged_during_sweep[0]) == 1  # the upload was not swept
    assert newer.reacquired_after is None  # another report's disposal
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    _, path = evidence_file(
        node.store, node.data_dir, node.a, newer.evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO
    assert verify_custody_log(node.store, node.data_dir).ok


def test_bytes_acquired_after_the_sweep_looked_stay(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sweep finds the photo held by disposed items only, then the photo is acquired again
    # (committed) before the sweep takes the log's lock: it must see the new holder there.
    old = add(node, PHOTO)
    dispose_as_before(node, old, monkeypatch)
    other = add(node, SLIP)
    looked = service._held_by_disposed_only
    acquired: list[EvidenceRecord] = []

    def acquired_meanwhile(conn: object) -> list[str]:
        found = looked(conn)  # type: ignore[arg-type]
        if not acquired:
            acquired.append(add(node, PHOTO, report_id="R-2"))
        return found

    monkeypatch.setattr(service, "_held_by_disposed_only", acquired_meanwhile)
    dispose(node, other)
    assert check_blob(node.data_dir, other.sha256) is HashCheck.MISSING
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    _, path = evidence_file(
        node.store, node.data_dir, node.a, acquired[0].evidence_id, Activity("Lan", "download")
    )
    assert path.read_bytes() == PHOTO

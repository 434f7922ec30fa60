"""An acquisition copies and hashes its bytes first, then decides under the custody log's lock,
in the transaction that adds its item, whether the report holds those bytes already and which
disposal of them its acquired record names; the bytes are moved into the store there too.
Before, both were decided on a look taken before the lock: a disposal recorded in between made
the add answer `held_before` with the item just disposed of (the new acquisition lost), or
sign a record naming an older disposal than the item's `reacquired_after`."""

from __future__ import annotations

import hashlib

import pytest

from bigfish.evidence import log, service
from bigfish.evidence.custody import CustodyEvent, HashCheck
from bigfish.evidence.files import check_blob
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import list_evidence
from tests.evidence.conftest import Node, add, dispose

PHOTO = b"photo of the victim's ID card"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


def test_an_add_of_held_bytes_racing_their_disposal_is_a_new_acquisition(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bytes are held by R-1's item when the add starts, and disposed of while they are
    # copied: the add is then a new acquisition, and its bytes are stored. Before (with the
    # disposal after the add's unlocked look), the add answered held_before with the item just
    # disposed of, and the new acquisition was lost: assert ([1] and not True).
    gone = add(node, PHOTO)
    original = service.stage_stream
    calls: list[int] = []

    def disposed_while_copied(*args: object, **kwargs: object) -> object:
        staged = original(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(1)
        dispose(node, gone)
        return staged

    monkeypatch.setattr(service, "stage_stream", disposed_while_copied)
    newer = add(node, PHOTO, name="id-card-again.jpg")
    assert calls and not newer.held_before and newer.evidence_id != gone.evidence_id
    assert newer.reacquired_after is not None
    assert newer.reacquired_after.evidence_id == gone.evidence_id
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    assert verify_custody_log(node.store, node.data_dir).ok


def test_an_acquisition_names_the_disposal_recorded_while_it_waited(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While the add waits for the log, the same bytes are added to the report and disposed of
    # again: its acquired record must name that later disposal, as its reacquired_after does.
    first = add(node, PHOTO)
    dispose(node, first)
    original = log.append
    later: list[int] = []

    def added_and_disposed_meanwhile(*args: object, **kwargs: object) -> log.TreeHead:
        drafts = args[2]
        if [d.event for d in drafts] == [CustodyEvent.ACQUIRED]:  # type: ignore[attr-defined]
            monkeypatch.setattr(log, "append", original)
            later.append(dispose(node, add(node, PHOTO, name="second-copy.jpg")))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "append", added_and_disposed_meanwhile)
    newer = add(node, PHOTO, name="third-copy.jpg")
    assert newer.reacquired_after is not None and newer.reacquired_after.seq == later[0]
    with node.store.connect() as conn:
        purpose = log.read_records(conn, [newer.evidence_id])[0].draft.purpose
    # Before: the record named the first disposal (seq 2), the item's reacquired_after seq 4
    assert purpose.endswith(f"was disposed of (custody record seq {later[0]})"), purpose
    listed = {i.evidence_id: i for i in list_evidence(node.store, node.data_dir, node.a)}
    assert listed[newer.evidence_id].reacquired_after == newer.reacquired_after
    assert check_blob(node.data_dir, PHOTO_SHA) is HashCheck.MATCH
    assert verify_custody_log(node.store, node.data_dir).ok

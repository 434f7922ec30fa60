"""An item disposed of can still be looked at, and each look is logged (an `accessed` record
after the `disposed` one). Such a look must not stop the report's export: before, the export's
own verification refused the package ('custody record seq 4 of evidence ev-… follows its
disposal (seq 3): nothing may follow a disposal'), for good. A record other than a look after a
disposal is still refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bigfish.errors import IntegrityError
from bigfish.evidence import log
from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.package import verify_package
from bigfish.evidence.service import Activity, get_evidence, record_custody_event
from tests.evidence.conftest import Node, add, export_r1

ORDER = "destroyed per court order 17/2025"


def test_a_look_at_a_disposed_item_does_not_stop_the_export(node: Node, tmp_path: Path) -> None:
    kept = add(node, b"chat export")
    gone = add(node, b"photo of the slip", name="slip.jpg")
    record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        gone.evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", ORDER),
        Party(None, None),
    )
    looked = get_evidence(
        node.store, node.data_dir, node.a, gone.evidence_id, Activity("Anan", "case review")
    )
    with node.store.connect() as conn:
        events = [r.draft.event.value for r in log.read_records(conn, [gone.evidence_id])]
    assert events == ["acquired", "disposed", "accessed"]
    assert verify_custody_log(node.store, node.data_dir).ok
    out = tmp_path / "p.zip"
    # Before: IntegrityError: the custody log does not verify, nothing exported: custody record
    # seq 5 of evidence ev-… follows its disposal (seq 4): nothing may follow a disposal
    result = export_r1(node, out)
    assert result.disposed == (gone.evidence_id,)
    check = verify_package(out)
    assert check.ok, check.problem
    assert [d.evidence_id for d in check.disposed] == [gone.evidence_id]
    assert kept.evidence_id not in {d.evidence_id for d in check.disposed}
    assert looked.disposal is not None and looked.disposal.purpose == ORDER


def test_a_transfer_after_a_disposal_still_stops_the_export(node: Node, tmp_path: Path) -> None:
    add(node, b"chat export")
    gone = add(node, b"photo of the slip", name="slip.jpg")
    disposal = record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        gone.evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", ORDER),
        Party(None, None),
    )
    get_evidence(node.store, node.data_dir, node.a, gone.evidence_id, Activity("Anan", "look"))
    # Written past the service's refusal (as a script on the node could): not a look.
    transfer = dataclasses.replace(disposal.draft, event=CustodyEvent.TRANSFERRED)
    log.append(node.store, log.signing_key(node.store, node.data_dir), [transfer])
    with pytest.raises(IntegrityError) as refused:
        export_r1(node, tmp_path / "p.zip")
    assert f"of evidence {gone.evidence_id} follows its disposal" in str(refused.value)
    assert not (tmp_path / "p.zip").exists()

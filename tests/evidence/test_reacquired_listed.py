"""An item acquired again after the same bytes of its report were disposed of says so wherever
it is shown: the store's get, list and page, and the API's detail, list and a later upload's
200 name the disposal its `acquired` record names. Before, only the 201 of its upload did; the
detail and the list gave `reacquired_after: null`."""

from __future__ import annotations

from pathlib import Path

from bigfish.evidence.model import EvidenceRecord
from bigfish.evidence.service import (
    Activity,
    evidence_page,
    get_evidence,
    list_evidence,
)
from tests.api.helpers import Partnership, report
from tests.evidence.conftest import Node, add, dispose
from tests.evidence.test_disposed_shown_h178 import _dispose as _dispose_by_api
from tests.evidence.test_disposed_shown_h178 import _upload
from tests.evidence.test_disposed_shown_h178 import api as api

COPY = b"chat export, as the victim sent it"


def _after(item: EvidenceRecord) -> tuple[str, int] | None:
    earlier = item.reacquired_after
    return None if earlier is None else (earlier.evidence_id, earlier.seq)


def test_each_acquisition_names_the_latest_disposal_before_it_wherever_it_is_read(
    node: Node,
) -> None:
    first = add(node, COPY)
    other_report = add(node, COPY, report_id="R-2")  # the same bytes, another report: apart
    seq1 = dispose(node, first, "destroyed per court order 17/2025")
    second = add(node, COPY, name="again.txt")
    seq2 = dispose(node, second, "returned to the victim")
    third = add(node, COPY, name="third.txt")
    expected = {
        first.evidence_id: None,
        other_report.evidence_id: None,
        second.evidence_id: (first.evidence_id, seq1),
        third.evidence_id: (second.evidence_id, seq2),
    }
    assert _after(third) == expected[third.evidence_id]  # the add's answer, as before

    listed = list_evidence(node.store, node.data_dir, node.a)
    # Before: every listed item had reacquired_after None
    assert {i.evidence_id: _after(i) for i in listed} == expected
    page = evidence_page(node.store, node.data_dir, node.a, limit=10).evidence
    assert {i.evidence_id: _after(i) for i in page} == expected
    for evidence_id, after in expected.items():
        got = get_evidence(
            node.store, node.data_dir, node.a, evidence_id, Activity("Somchai", "review")
        )
        assert _after(got) == after, evidence_id
    # The disposal itself is the one shown with the disposed item.
    shown = {i.evidence_id: i for i in listed}
    assert shown[third.evidence_id].reacquired_after == shown[second.evidence_id].disposal

    held = add(node, COPY, name="fourth.txt")  # the live item holds these bytes: answered
    assert held.held_before and held.evidence_id == third.evidence_id
    assert _after(held) == (second.evidence_id, seq2)


def test_the_api_detail_and_list_name_the_disposal_an_item_followed(
    api: Partnership,
    tmp_path: Path,
) -> None:
    api.submit("A", [report("R-1")])
    gone = str(_upload(api, b"photo of the slip", "slip.txt")["evidence_id"])
    _dispose_by_api(api, tmp_path, gone)
    again = _upload(api, b"photo of the slip", "slip-again.txt", status=201)
    new_id = str(again["evidence_id"])
    detail = api.client.get(f"/api/v1/evidence/{new_id}", headers=api.headers("A"))
    assert detail.status_code == 200, detail.text
    # Before: null in the detail, though the upload's 201 named the disposal
    assert detail.json()["reacquired_after"] == again["reacquired_after"]
    assert detail.json()["reacquired_after"]["evidence_id"] == gone
    listed = api.client.get("/api/v1/evidence", headers=api.headers("A"))
    assert listed.status_code == 200, listed.text
    items = {i["evidence_id"]: i for i in listed.json()["evidence"]}
    assert items[new_id]["reacquired_after"] == again["reacquired_after"]
    assert items[gone]["reacquired_after"] is None and items[gone]["disposed"] is not None

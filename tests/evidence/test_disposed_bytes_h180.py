"""After `disposed`, an item's bytes are no longer released: the API's download answers 409
naming the disposal and logs no access (the look it would have been never was); the item's
record, chain of custody and re-hash (`show`) stay available, each look logged. Before, the
download handed out the stored bytes and added an `accessed` record. (The disposal destroys
the bytes when no other item holds them: test_disposal_destroys_bytes.py.) The same bytes
acquired again are a new item, not disposed of: its bytes are released as usual."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.errors import Conflict
from bigfish.evidence import log
from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, evidence_file, record_custody_event
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_access import audit_log
from tests.api.helpers import Partnership, build_partnership, report
from tests.evidence.conftest import ORDER, Node, add, dispose

SLIP = b"transfer 5000 THB to 123-4-56789-0"


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def _upload(api: Partnership, content: bytes) -> dict[str, object]:
    answer = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(content), "text/plain")},
        data={"source": "victim", "method": "photo of the slip"},
        headers=api.headers("A"),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _dispose(api: Partnership, tmp_path: Path, evidence_id: str) -> int:
    record = record_custody_event(
        api.store,
        tmp_path / "data",
        Viewer.node_operator(),
        evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", ORDER, org="A"),
        Party(None, None),
    )
    return record.seq


def _events(api: Partnership, evidence_id: str) -> list[str]:
    answer = api.client.get(f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A"))
    assert answer.status_code == 200, answer.text
    return [c["event"] for c in answer.json()["custody"]]


def test_a_disposed_items_bytes_are_not_downloaded_and_no_access_is_logged(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    evidence_id = str(_upload(api, SLIP)["evidence_id"])
    seq = _dispose(api, tmp_path, evidence_id)
    download = api.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=api.headers("A"))
    # Before: assert 200 == 409 (the bytes were handed out)
    assert download.status_code == 409, download.text
    assert SLIP not in download.content
    message = download.json()["error"]["message"]
    assert message.startswith(f"evidence {evidence_id} was disposed of by Somchai (A) on 20")
    assert message.endswith(f" (custody record seq {seq}): its bytes are no longer released")
    # A refused download is not a look: no `accessed` record after the disposal.
    assert _events(api, evidence_id) == ["acquired", "disposed"]
    # The refused request has its audit row, as any API call.
    with api.store.connect() as conn:
        statuses = conn.execute(
            sa.select(audit_log.c.status).where(
                audit_log.c.action == f"GET /api/v1/evidence/{evidence_id}/content"
            )
        ).scalars()
        assert list(statuses) == [409]
    # Its record, chain and re-hash stay available, and the look is logged.
    shown = api.client.get(f"/api/v1/evidence/{evidence_id}", headers=api.headers("A"))
    assert shown.status_code == 200, shown.text
    assert shown.json()["integrity"] == "missing"  # destroyed with the disposal
    assert shown.json()["disposed"]["seq"] == seq
    assert _events(api, evidence_id) == ["acquired", "disposed", "accessed"]
    assert verify_custody_log(api.store, tmp_path / "data").ok


def test_an_organization_that_cannot_see_it_gets_404_not_the_disposal(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    evidence_id = str(_upload(api, SLIP)["evidence_id"])
    _dispose(api, tmp_path, evidence_id)
    download = api.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=api.headers("B"))
    assert download.status_code == 404
    assert "disposed" not in download.text


def test_the_same_bytes_acquired_again_are_released(api: Partnership, tmp_path: Path) -> None:
    api.submit("A", [report("R-1")])
    gone = str(_upload(api, SLIP)["evidence_id"])
    _dispose(api, tmp_path, gone)
    again = _upload(api, SLIP)
    assert again["evidence_id"] != gone and again["reacquired_after"] is not None
    new_id = str(again["evidence_id"])
    download = api.client.get(f"/api/v1/evidence/{new_id}/content", headers=api.headers("A"))
    assert download.status_code == 200, download.text
    assert download.content == SLIP
    assert _events(api, new_id) == ["acquired", "accessed"]
    # The blob both items name is stored once; the disposed one still gives nothing.
    refused = api.client.get(f"/api/v1/evidence/{gone}/content", headers=api.headers("A"))
    assert refused.status_code == 409
    assert _events(api, gone) == ["acquired", "disposed"]


def test_a_disposal_recorded_while_the_download_waited_for_the_log_refuses_it(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = add(node, b"photo of the slip", name="slip.jpg")
    original = log.append
    disposed: list[int] = []

    def append_after_a_disposal(*args: object, **kwargs: object) -> log.TreeHead:
        drafts = args[2]
        if not disposed and [d.event for d in drafts] == [CustodyEvent.ACCESSED]:  # type: ignore[attr-defined]
            # Another request disposes of the item between the download's check and its append.
            monkeypatch.setattr(log, "append", original)
            disposed.append(dispose(node, item))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "append", append_after_a_disposal)
    with pytest.raises(Conflict) as refused:
        evidence_file(
            node.store, node.data_dir, node.a, item.evidence_id, Activity("Anan", "download")
        )
    assert f"(custody record seq {disposed[0]}): its bytes are no longer released" in str(
        refused.value
    )
    with node.store.connect() as conn:
        events = [r.draft.event.value for r in log.read_records(conn, [item.evidence_id])]
    assert events == ["acquired", "disposed"]
    assert verify_custody_log(node.store, node.data_dir).ok

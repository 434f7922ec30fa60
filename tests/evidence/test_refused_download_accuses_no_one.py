"""A refused download of a disposed item (409, nothing appended) has an audit row like a
download of a changed file (409, its access appended first): `verify-log` must not take such a
row for another account's record that has no row of its own (helper 180's finding: a look
written through the library, then a refused download by an API key, failed the check with
"…recorded by console:… but the audit log's row #N for that action names key:1…")."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.evidence.custody import CustodyEvent, Party
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, get_evidence, record_custody_event
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def test_a_refused_download_is_not_held_against_a_record_without_a_row(
    api: Partnership, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    api.submit("A", [report("R-1")])
    answer = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(b"transfer slip"), "text/plain")},
        data={"source": "victim", "method": "photo"},
        headers=api.headers("A"),
    )
    assert answer.status_code == 201, answer.text
    evidence_id = str(answer.json()["evidence_id"])
    operator = Viewer.node_operator()
    record_custody_event(
        api.store,
        data,
        operator,
        evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "court order", org="A"),
        Party(None, None),
    )
    # A look through the library: an `accessed` record signed by the console, no audit row.
    get_evidence(api.store, data, operator, evidence_id, Activity("Somchai", "review", org="A"))
    refused = api.client.get(f"/api/v1/evidence/{evidence_id}/content", headers=api.headers("A"))
    assert refused.status_code == 409, refused.text
    check = verify_custody_log(api.store, data)
    assert check.ok, check.problem
    assert len(check.without_audit_row) == 2  # the disposal and the look: written by the library

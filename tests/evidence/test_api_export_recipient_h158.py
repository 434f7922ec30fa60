"""A package exported through the API names who receives it in its `exported` records, as
`bigfish evidence export --to-org --to-person` does: a chain of custody says who released the
evidence and who received it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def api(store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def test_an_api_export_names_its_recipient(api: Partnership) -> None:
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(b"transfer 5000 THB"), "text/plain")},
        data={"source": "victim", "method": "photo of the slip"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    package = api.client.post(
        "/api/v1/reports/A/R-1/evidence/package",
        params={"purpose": "MLA 2025/17", "to_org": "B", "to_person": "Lan Nguyen"},
        headers=api.headers("A"),
    )
    assert package.status_code == 200, package.text
    custody = api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A")
    ).json()["custody"]
    exported = [r for r in custody if r["event"] == "exported"]
    assert len(exported) == 1
    assert exported[0]["received_by"] == {"person": "Lan Nguyen", "organization": "B"}
    assert exported[0]["purpose"] == "MLA 2025/17"

    unknown = api.client.post(
        "/api/v1/reports/A/R-1/evidence/package",
        params={"to_org": "nobody-we-know"},
        headers=api.headers("A"),
    )
    assert unknown.status_code in (400, 422), unknown.text
    assert "nobody-we-know" in unknown.text
    after = api.client.get(
        f"/api/v1/evidence/{evidence_id}/custody", headers=api.headers("A")
    ).json()["custody"]
    assert len(after) == len(custody)  # refused: nothing recorded

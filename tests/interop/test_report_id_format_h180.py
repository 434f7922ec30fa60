"""A report whose STIX id is not `report--UUID` is rejected naming `id`, the rest stored.

A report keeps the STIX id it came with and goes out under it again (exports, TAXII), so a
malformed one (`report--not-a-uuid`) made every later export of the node invalid STIX 2.1:
the OASIS validator and the stix2 library refuse the whole bundle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop.importer import import_objects
from bigfish.interop.taxii import TAXII
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.interop.builders import bank_b_objects_url, bigfish_report, partnership

MALFORMED = [
    "report--not-a-uuid",
    "report--7",
    "report--11111111-1111-4111-8111-11111111111",  # a digit short
    "report--11111111-1111-4111-8111-111111111111 ",  # a space after it
    "report--11111111-1111-0111-c111-111111111111",  # no RFC 4122 version nor variant
]


def _objects() -> list[dict[str, Any]]:
    bad = [
        bigfish_report(f"bad-{i}", phone="+66812345678") | {"id": v}
        for i, v in enumerate(MALFORMED)
    ]
    return [*bad, bigfish_report("good", phone="+66812345678")]


def _stored(store: Store) -> set[str]:
    with store.connect() as conn:
        return set(conn.execute(sa.select(reports.c.report_id)).scalars())


def test_a_bundle_file_report_with_a_malformed_id_is_rejected_alone(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "partner.stix.json"
    bundle = {"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8"}
    path.write_text(json.dumps(bundle | {"objects": _objects()}), encoding="utf-8")
    result = ingest_file(store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (result.received, result.stored, result.rejected) == (6, 1, 5)
    rejects = [json.loads(r) for r in path.with_name(path.name + ".rejects.jsonl").open()]
    assert [(r["object"], r["field"]) for r in rejects] == [(n, "id") for n in range(1, 6)]
    assert all("report--UUID" in r["reason"] for r in rejects), rejects
    assert _stored(store) == {"good"}


def test_a_synced_report_with_a_malformed_id_is_rejected_alone(store: Store) -> None:
    with store.begin() as conn:
        outcome = import_objects(conn, _objects(), peer="https://peer.example/", default_org="P")
    assert (outcome.received, outcome.stored, outcome.rejected) == (6, 1, 5)
    assert [i for i, _ in outcome.rejections] == MALFORMED
    assert all(reason.startswith("id: ") for _, reason in outcome.rejections)
    assert _stored(store) == {"good"}


def test_a_taxii_post_with_a_malformed_id_stores_the_rest(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(store)
    before = _stored(store)
    answer = client.post(
        objects_url, json={"objects": _objects()}, headers=headers | {"Content-Type": TAXII}
    )
    assert answer.status_code == 202, answer.text
    status = answer.json()
    assert (status["success_count"], status["failure_count"]) == (1, 5), status
    assert [f["id"] for f in status["failures"]] == MALFORMED
    assert all(f["message"].startswith("id: ") for f in status["failures"]), status
    assert _stored(store) - before == {"good"}

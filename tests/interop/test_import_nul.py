"""A NUL character (U+0000) anywhere in what a peer sends: PostgreSQL keeps it in no text and
no JSON, SQLite does. On both backends the object holding one is rejected alone, naming its
field, and the rest of the envelope or page is stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.interop.importer import import_objects
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_interop import interop_observables
from tests.interop.builders import bank_b_objects_url, partnership

TAXII = "application/taxii+json;version=2.1"


def _report(name: str, **extension: object) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{uuid.uuid5(uuid.NAMESPACE_URL, name)}",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": "2025-11-01T00:00:00.000Z",
        "name": name,
        "published": "2025-11-01T00:00:00.000Z",
        "object_refs": [],
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "report_id": name,
                "country": "TH",
            }
            | extension
        },
    }


def _hostile() -> list[dict[str, Any]]:
    """One good report, then objects each holding a NUL in another place."""
    with_nul_id = _report("nul-id") | {"id": "report--\x00bad"}
    with_nul_text = _report("nul-text") | {"description": "call \x00 now"}
    with_nul_value = _report("nul-value", identifiers=[{"kind": "phone", "value": "+6681\x00"}])
    with_nul_report_id = _report("nul-report-id", report_id="r\x00")
    with_nul_key = _report("nul-key") | {"x_\x00": "a"}
    observable = {"type": "url", "spec_version": "2.1", "id": "url--1", "value": "http://\x00/"}
    identity = {"type": "identity", "spec_version": "2.1", "id": "identity--\x00", "name": "x"}
    return [
        _report("good"),
        with_nul_id,
        with_nul_text,
        with_nul_value,
        with_nul_report_id,
        with_nul_key,
        observable,
        identity,
    ]


_EXT = f"extensions.{REPORT_EXTENSION}"
EXPECTED_FIELDS = [
    "id",
    "description",
    f"{_EXT}.identifiers[0].value",
    f"{_EXT}.report_id",
    "x_\\x00",
    "value",
    "id",
]


def _check_stored_only_the_good_one(store: Store) -> None:
    with store.connect() as conn:
        assert list(conn.execute(sa.select(reports.c.report_id)).scalars()) == ["good"]
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(interop_observables)).scalar() == 0
        )


def test_an_imported_object_holding_a_nul_is_rejected_alone(store: Store) -> None:
    """import_objects (a sync page, a TAXII POST) rejects each such object naming its field."""
    with store.begin() as conn:
        outcome = import_objects(conn, _hostile(), peer="https://peer.example/", default_org="PEER")
    assert (outcome.received, outcome.stored, outcome.rejected) == (8, 1, 7)
    fields = [reason.split(":", 1)[0] for _, reason in outcome.rejections]
    assert fields == EXPECTED_FIELDS, outcome.rejections
    assert all("NUL" in reason for _, reason in outcome.rejections)
    assert all("\x00" not in (ident or "") + reason for ident, reason in outcome.rejections)
    _check_stored_only_the_good_one(store)
    with store.connect() as conn:
        names = list(conn.execute(sa.select(organizations.c.name)).scalars())
    assert all("\x00" not in n for n in names)


def test_a_taxii_post_holding_a_nul_stores_the_rest(store: Store, tmp_path: Path) -> None:
    """On PostgreSQL the whole envelope was a 400; on SQLite the id was stored with its NUL."""
    partnership(store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(store)
    with store.begin() as conn:
        before = set(conn.execute(sa.select(reports.c.report_id)).scalars())
    answer = client.post(
        objects_url,
        json={"objects": _hostile()},
        headers=headers | {"Content-Type": TAXII},
    )
    assert answer.status_code == 202, answer.text
    status = answer.json()
    assert (status["success_count"], status["failure_count"]) == (1, 7), status
    assert [s["id"] for s in status["successes"]] == [_report("good")["id"]]
    fields = [f["message"].split(":", 1)[0] for f in status["failures"]]
    assert fields == EXPECTED_FIELDS, status["failures"]
    with store.connect() as conn:
        after = set(conn.execute(sa.select(reports.c.report_id)).scalars())
    assert after - before == {"good"}


def test_a_stix_file_object_holding_a_nul_is_rejected_alone(store: Store, tmp_path: Path) -> None:
    """A STIX bundle ingested from a file: its report's id was stored with the NUL on SQLite."""
    import json

    from bigfish.intake import ingest_file

    bundle = {"type": "bundle", "id": "bundle--1", "objects": _hostile()[:6]}
    path = tmp_path / "partner.stix.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = ingest_file(store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (result.received, result.stored, result.rejected) == (6, 1, 5)
    rejects = path.with_name(path.name + ".rejects.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(r)["field"] for r in rejects] == EXPECTED_FIELDS[:5]
    assert all("\x00" not in str(json.loads(r)["report_id"]) for r in rejects)
    with store.connect() as conn:
        assert list(conn.execute(sa.select(reports.c.report_id)).scalars()) == ["good"]

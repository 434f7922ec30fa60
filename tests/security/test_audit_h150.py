"""Review h150: what the audit log misses (a request ending in 500 or refused 413) and what it
must never hold (a bigfish key pasted into a URL's path)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import Depends
from fastapi.testclient import TestClient

from bigfish.accounts import create_key
from bigfish.api import create_app
from bigfish.api.app import ApiSettings
from bigfish.api.deps import Access, requires
from bigfish.audit import verify_audit
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_access import audit_log


def _rows(store: Store) -> list[tuple[str, str | None, int]]:
    with store.connect() as conn:
        query = sa.select(audit_log.c.action, audit_log.c.target, audit_log.c.status)
        return [tuple(row) for row in conn.execute(query.order_by(audit_log.c.seq))]


def test_a_key_in_the_path_is_not_written_into_the_audit_log(store: Store) -> None:
    add_org(store, "A", country="TH")
    key = create_key(store, org="A", role=ApiRole.ANALYST).secret
    with TestClient(create_app(store)) as client:
        # a TAXII client configured with its key as the API root
        client.get(f"/taxii2/{key}/collections/", headers={"Authorization": f"Bearer {key}"})
        client.get(f"/api/v1/reports/A/{key}", headers={"Authorization": f"Bearer {key}"})
        # an ordinary value that merely starts like a key is still shown
        client.get("/api/v1/reports/A/bf_fan", headers={"Authorization": f"Bearer {key}"})
    rows = _rows(store)
    assert len(rows) == 3
    secret_part = key.removeprefix("bf_")
    for action, target, _ in rows:
        assert secret_part not in action
        assert target is not None and secret_part not in target
    assert rows[0][1] == "/taxii2/[redacted]/collections/"
    assert rows[1][0] == "GET /api/v1/reports/A/[redacted]"
    assert rows[2][1] == "/api/v1/reports/A/bf_fan"
    assert verify_audit(store).ok


def test_a_request_ending_in_an_unhandled_exception_is_audited_as_500(store: Store) -> None:
    add_org(store, "A", country="TH")
    key = create_key(store, org="A", role=ApiRole.ANALYST).secret
    app = create_app(store)

    @app.get("/api/v1/boom-h150", dependencies=[Depends(requires(Access.READ))])
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/boom-h150", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert _rows(store) == [("GET /api/v1/boom-h150", "/api/v1/boom-h150", 500)]
    with store.connect() as conn:
        actor = conn.execute(sa.select(audit_log.c.actor)).scalar_one()
    assert actor.startswith("key:")
    assert verify_audit(store).ok


def test_a_body_refused_413_is_audited(store: Store) -> None:
    add_org(store, "A", country="TH")
    key = create_key(store, org="A", role=ApiRole.ANALYST).secret
    with TestClient(create_app(store, ApiSettings(max_body_bytes=64))) as client:
        answer = client.post(
            "/api/v1/reports",
            content=b"{" + b" " * 200 + b"}",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
    assert answer.status_code == 413
    assert _rows(store) == [("POST /api/v1/reports", "/api/v1/reports", 413)]


def test_a_key_looked_up_in_a_batch_is_not_written_into_the_audit_log(store: Store) -> None:
    add_org(store, "A", country="TH")
    key = create_key(store, org="A", role=ApiRole.ANALYST).secret
    handle = "bf_" + "a" * 20  # an ordinary handle that starts like a key
    with TestClient(create_app(store)) as client:
        for kind in ("handle", "url", "email"):
            answer = client.post(
                "/api/v1/lookup",
                json={
                    "identifiers": [{"kind": kind, "value": key}, {"kind": kind, "value": handle}]
                },
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200, answer.text
    listed = [target for action, target, _ in _rows(store) if action.endswith(" identifiers")]
    assert len(listed) == 3
    for target in listed:
        assert target is not None
        assert key.removeprefix("bf_").lower() not in target.lower()
        assert "[redacted]" in target and handle in target

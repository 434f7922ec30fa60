"""Review h146: a NUL in what a request names (a path's %00, a lookup value's \\u0000) is
recorded, on PostgreSQL too, and does not take the entries committed beside it down with it."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from bigfish.accounts import create_key
from bigfish.api import create_app
from bigfish.audit import AuditEntry, AuditWriter, verify_audit
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_access import audit_log


def _rows(store: Store) -> list[tuple[str, str | None, int]]:
    with store.connect() as conn:
        query = sa.select(audit_log.c.action, audit_log.c.target, audit_log.c.status)
        return [tuple(row) for row in conn.execute(query.order_by(audit_log.c.seq))]


def test_an_entry_holding_nul_is_recorded_with_the_rest_of_its_batch(store: Store) -> None:
    writer = AuditWriter(store)
    try:
        futures = [
            writer.submit(AuditEntry("anonymous", None, "GET /api/v1/x\x00y", "/x\x00y", 404)),
            writer.submit(AuditEntry("key:1", "A", "GET /api/v1/lookup", "/api/v1/lookup", 200)),
        ]
        seqs = [future.result(timeout=60) for future in futures]
    finally:
        writer.close()
    assert seqs == [1, 2]
    assert _rows(store) == [
        ("GET /api/v1/x\\u0000y", "/x\\u0000y", 404),
        ("GET /api/v1/lookup", "/api/v1/lookup", 200),
    ]
    check = verify_audit(store)
    assert check.ok and check.rows == 2


def test_a_path_with_nul_is_answered_and_audited_on_postgresql(pg_store: Store) -> None:
    add_org(pg_store, "A", country="TH")
    key = create_key(pg_store, org="A", role=ApiRole.ANALYST).secret
    with TestClient(create_app(pg_store)) as client:
        answer = client.get("/api/v1/reports/A/x%00y", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 400, answer.text  # refused, not 503 for want of a record
    assert _rows(pg_store) == [
        ("GET /api/v1/reports/A/x\\u0000y", "/api/v1/reports/A/x\\u0000y", 400)
    ]
    assert verify_audit(pg_store).ok

"""Shared pieces of the API and security tests: an in-process client and a small partnership.

"A" owns the data, "B" must not see it, "C" is A's partner in the sharing group "mekong"
(spec/security-tests.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bigfish.accounts import create_key
from bigfish.api import ApiSettings, create_app
from bigfish.models import ApiRole
from bigfish.organizations import add_group, add_org
from bigfish.store import Store
from bigfish.store.schema_access import audit_log

with warnings.catch_warnings():
    # starlette asks for httpx2, which is not installed; httpx works the same here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

__all__ = ["Partnership", "TestClient", "build_partnership", "report"]


@dataclass
class Partnership:
    """Three organizations, one group, a key per organization and role."""

    store: Store
    client: TestClient
    keys: dict[str, str]  # "A", "B", "C", "A-admin", "B-admin", "A-readonly", "A-sync", "root"

    def headers(self, who: str) -> dict[str, str]:
        """The Authorization header of WHO's key."""
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def submit(self, who: str, reports: list[dict[str, Any]], **marking: Any) -> Any:
        """POST reports as WHO; the answer's JSON."""
        response = self.client.post(
            "/api/v1/reports", json={"reports": reports, **marking}, headers=self.headers(who)
        )
        assert response.status_code == 200, response.text
        return response.json()


def report(
    report_id: str, *, phone: str = "+66812345678", country: str = "TH", **extra: Any
) -> dict[str, Any]:
    """One report in the JSON form of spec/reports.md."""
    return {
        "report_id": report_id,
        "reported_at": "2025-11-02T10:00:00Z",
        "country": country,
        "scam_type": "investment",
        "loss_amount": "1200.50",
        "loss_currency": "THB",
        "phones": [phone],
        **extra,
    }


def build_partnership(store: Store, settings: ApiSettings | None = None) -> Iterator[Partnership]:
    """Create A, B, C, the group mekong (A, C) and keys; yield the client inside its lifespan."""
    add_org(store, "A", country="TH", sector="anti_scam_centre")
    add_org(store, "B", country="VN", sector="bank")
    add_org(store, "C", country="KH", sector="police")
    add_group(store, "mekong", owner="A", members=["C"])
    keys = {
        "A": create_key(store, org="A", role=ApiRole.ANALYST).secret,
        "B": create_key(store, org="B", role=ApiRole.ANALYST).secret,
        "C": create_key(store, org="C", role=ApiRole.ANALYST).secret,
        "A-admin": create_key(store, org="A", role=ApiRole.ADMIN).secret,
        "B-admin": create_key(store, org="B", role=ApiRole.ADMIN).secret,
        "A-readonly": create_key(store, org="A", role=ApiRole.READONLY).secret,
        "A-sync": create_key(store, org="A", role=ApiRole.SYNC).secret,
        "root": create_key(store, org="A", role=ApiRole.ADMIN, platform=True).secret,
    }
    app = create_app(store, settings or ApiSettings())
    with TestClient(app) as client:
        yield Partnership(store, client, keys)


AUDIT_COLUMNS = (
    audit_log.c.actor,
    audit_log.c.org,
    audit_log.c.action,
    audit_log.c.target,
    audit_log.c.status,
)


def last_audit_row(store: Store) -> tuple[Any, ...]:
    """(actor, org, action, target, status) of the newest audit record."""
    with store.connect() as conn:
        row = conn.execute(
            sa.select(*AUDIT_COLUMNS).order_by(audit_log.c.seq.desc()).limit(1)
        ).one()
    return tuple(row)


def audit_rows(store: Store) -> list[tuple[Any, ...]]:
    """(actor, org, action, target, status) of every audit record, oldest first."""
    with store.connect() as conn:
        found = conn.execute(sa.select(*AUDIT_COLUMNS).order_by(audit_log.c.seq))
        return [tuple(row) for row in found]

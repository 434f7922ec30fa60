"""Reports written through the API while PostgreSQL ends a deadlock by undoing the request's
transaction: the transaction runs again, the request answers as without the deadlock (never 503),
and what it writes is there once, audited once (`tests.store.test_write_retry`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

import bigfish.reports
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.store import Store
from bigfish.store.schema import ingest_runs, organizations, reports
from bigfish.store.schema_access import audit_log
from bigfish.store.schema_interop import report_withdrawals, taxii_statuses
from tests.api.helpers import Partnership, report
from tests.store.test_write_retry import (
    DOMAIN,
    EMAIL,
    PHONE,
    crossed,
    crossed_on_values,
    identifier_count,
    mentioned,
)


def _retried(store: Store) -> list[int]:
    """The calls of a crossed step when its first transaction was a deadlock's victim."""
    return [2 if store.dialect == "postgresql" else 1]


def _audited(store: Store, action: str) -> list[int]:
    with store.connect() as conn:
        query = sa.select(audit_log.c.status).where(audit_log.c.action == action)
        return list(conn.execute(query.order_by(audit_log.c.seq)).scalars())


def _count(store: Store, table: sa.Table) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_report_replaced_by_post_while_deadlocked_is_stored_once(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = partnership.store
    partnership.submit("A", [report("R-1", phone=PHONE)])
    with crossed_on_values(store, monkeypatch, "A") as calls:
        answer = partnership.submit(
            "A", [report("R-1", phone=PHONE, emails=[EMAIL]), report("R-2", phone=PHONE)]
        )
    assert calls == _retried(store)
    assert (answer["stored"], answer["updated"], answer["rejected"]) == (1, 1, [])
    assert mentioned(store) == {"R-1": [PHONE, EMAIL, DOMAIN], "R-2": [PHONE]}
    assert identifier_count(store) == 3
    assert _count(store, ingest_runs) == 2  # one run a request
    assert _audited(store, "POST /api/v1/reports") == [200, 200]


def test_a_report_re_marked_while_deadlocked_is_re_marked_once(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = partnership.store
    partnership.submit("A", [report("R-1", phone=PHONE)])
    with crossed(
        store,
        monkeypatch,
        bigfish.reports,
        "record_withdrawals",  # then its organization's row is held (a key share) by the writer
        holds=sa.select(reports.c.id).where(reports.c.report_id == "R-1"),
        asks=sa.select(organizations.c.id).where(organizations.c.name == "A"),
    ) as calls:
        answer = partnership.client.patch(
            "/api/v1/reports/A/R-1", json={"tlp": "red"}, headers=partnership.headers("A")
        )
    assert answer.status_code == 200, answer.text
    assert calls == _retried(store)
    assert answer.json()["tlp"] == "red"
    assert _count(store, report_withdrawals) == 1  # its readers are told once
    assert _audited(store, "PATCH /api/v1/reports/A/R-1") == [200]


def _stix_report(modified: str, *values: tuple[str, str]) -> list[dict[str, Any]]:
    """Version MODIFIED of a report R-1 posted in STIX, mentioning VALUES (kind, value)."""
    stix = {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{uuid.uuid5(uuid.NAMESPACE_URL, 'R-1')}",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": modified,
        "name": "R-1",
        "published": "2025-11-01T00:00:00.000Z",
        "object_refs": [],
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "report_id": "R-1",
                "country": "TH",
                "identifiers": [{"kind": kind, "value": value} for kind, value in values],
            }
        },
    }
    return [stix]


def test_a_report_replaced_by_a_taxii_post_while_deadlocked_is_stored_once(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = partnership.store
    headers = partnership.headers("A")
    listing = partnership.client.get("/taxii2/api/collections/", headers=headers).json()
    own = next(c for c in listing["collections"] if c["title"] == "Organization A")
    url = f"/taxii2/api/collections/{own['id']}/objects/"
    phone, email = ("phone", PHONE), ("email", EMAIL)

    def post(objects: list[dict[str, Any]]) -> dict[str, Any]:
        answer = partnership.client.post(
            url,
            json={"objects": objects},
            headers=headers | {"Content-Type": "application/taxii+json;version=2.1"},
        )
        assert answer.status_code == 202, answer.text
        return dict(answer.json())

    post(_stix_report("2025-11-01T00:00:00.000Z", phone))
    with crossed_on_values(store, monkeypatch, "A") as calls:
        status = post(_stix_report("2025-11-02T00:00:00.000Z", phone, email))
    assert calls == _retried(store)
    assert (status["success_count"], status["failure_count"]) == (1, 0)
    assert mentioned(store) == {"R-1": [PHONE, EMAIL, DOMAIN]}
    assert identifier_count(store) == 3
    assert _count(store, taxii_statuses) == 2  # one status a request

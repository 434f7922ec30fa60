"""A web search is a lookup: what it looked up is in the audit log, by the signed-in user, as
the API's lookups are (the audit middleware covers /api/ and /taxii2 only, so a signed-in
analyst could look up any value through /search without a trace)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from bigfish.audit import verify_audit
from bigfish.store.schema_access import audit_log
from bigfish.web.views import SEARCH_AUDIT_ACTION
from tests.web.conftest import WebPartnership


def _searched(web: WebPartnership) -> list[tuple[str, str | None, list[list[object]]]]:
    with web.store.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.org, audit_log.c.target)
            .where(audit_log.c.action == SEARCH_AUDIT_ACTION)
            .order_by(audit_log.c.seq)
        ).all()
    return [(str(r.actor), r.org, json.loads(r.target)) for r in rows]


def test_a_web_search_records_what_it_looked_up_by_whom(web: WebPartnership) -> None:
    page = web.clients["B"].get("/search", params={"q": "call +66 81 111 1111, mail X@Example.com"})
    assert page.status_code == 200, page.text
    assert _searched(web) == [
        ("user:bob", "B", [[0, "phone", "+66811111111"], [1, "email", "x@example.com"]])
    ]
    assert verify_audit(web.store).ok


def test_an_empty_search_records_nothing(web: WebPartnership) -> None:
    assert web.clients["A"].get("/search").status_code == 200
    assert web.clients["A"].get("/search", params={"q": "   "}).status_code == 200
    assert _searched(web) == []

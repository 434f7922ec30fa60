"""A network's export reads its reports a slice of ids at a time, as its page does: it named
every member in one `IN (…)` of each page it read, which the database refuses past its limit of
bound values (SQLite's 32,766, PostgreSQL's 65,535): a network that big could be looked at, but
its export answered 500. Here SQLite's limit is lowered to see it with a few hundred reports."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bigfish.linking.service import rebuild_networks
from bigfish.store import Store
from tests.api.helpers import report
from tests.web.conftest import WebPartnership

MEMBERS = 560  # more than the lowered limit, which the page's own reads (500 a slice) stay under
LIMIT = 540


@contextmanager
def few_bound_values(store: Store) -> Iterator[None]:
    """Every new SQLite connection of STORE takes at most LIMIT bound values a statement (on
    PostgreSQL: as it is)."""
    if store.dialect != "sqlite":
        yield
        return

    def lower(connection: Any, _: Any) -> None:
        assert isinstance(connection, sqlite3.Connection)
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, LIMIT)

    engine: sa.Engine = store.engine
    engine.dispose()
    sa.event.listen(engine, "connect", lower)
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", lower)
        engine.dispose()


def test_a_network_past_the_databases_bound_values_is_exported(web: WebPartnership) -> None:
    web.api.submit("B", [report(f"big-{i}", phone="+66833333333") for i in range(MEMBERS)])
    rebuild_networks(web.store)
    found = web.api.client.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": "+66833333333"},
        headers=web.api.headers("B"),
    ).json()
    network = int(found["networks"][0])
    bob = web.clients["B"]
    with few_bound_values(web.store):
        assert bob.get(f"/networks/{network}").status_code == 200
        answer = bob.get(f"/networks/{network}/export/csv")
        assert answer.status_code == 200, answer.text[:300]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert sorted(r["report_id"] for r in rows) == sorted(f"big-{i}" for i in range(MEMBERS))
        stix = bob.get(f"/networks/{network}/export/stix").json()
        reported = [o for o in stix["objects"] if o["type"] == "report"]
        assert len(reported) >= MEMBERS

"""A peer's report sent again in a later version with the same content: held as it is (its
stamp stays, so no link run, TAXII reader or alert poll sees a change) and not handed off for
alerts; a later version that changes it is rewritten and handed off."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bigfish.interop.importer import ImportOutcome, import_objects
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.interop.builders import LOCATION, foreign_report

PEER = "http://peer.example/taxii2/"


def _import(store: Store, obj: dict[str, Any]) -> ImportOutcome:
    with store.begin() as conn:
        return import_objects(conn, [LOCATION, obj], peer=PEER, default_org="PEER")


def _held(store: Store) -> tuple[int, Any, str]:
    with store.connect() as conn:
        row = conn.execute(sa.select(reports.c.id, reports.c.updated_at, reports.c.narrative)).one()
    return int(row.id), row.updated_at, str(row.narrative)


def test_a_later_version_with_the_same_content_is_not_rewritten_nor_handed_off(
    sqlite_store: Store,
) -> None:
    first = _import(sqlite_store, foreign_report(1, description="a call from the bank"))
    pk, stamped, _ = _held(sqlite_store)
    assert (first.new, first.written) == (1, (pk,))

    later = "2025-10-02T00:00:00.000Z"
    again = _import(
        sqlite_store, foreign_report(1, modified=later, description="a call from the bank")
    )
    assert (again.new, again.updated, again.written) == (0, 1, ())
    assert _held(sqlite_store)[:2] == (pk, stamped)

    changed = foreign_report(
        1, modified="2025-10-03T00:00:00.000Z", description="a call from the police"
    )
    outcome = _import(sqlite_store, changed)
    assert (outcome.updated, outcome.written) == (1, (pk,))
    held_pk, restamped, narrative = _held(sqlite_store)
    assert (held_pk, narrative) == (pk, "a call from the police")
    assert restamped > stamped

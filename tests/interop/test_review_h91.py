"""Fresh-eyes review of interop (helper-91): what one source sends cannot change how another
source's objects are read; a page or envelope that repeats a report is accounted."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bigfish.interop.importer import import_objects
from bigfish.interop.markings import SHARING_EXTENSION
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, foreign_report

PEER = "http://peer.example/taxii2/"
OTHER_PEER = "http://other.example/taxii2/"
DEFINITION_ID = "marking-definition--55555555-5555-4555-8555-555555555555"


def _definition(tlp: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": DEFINITION_ID,
        "created": "2025-01-01T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": tlp},
    }


def _partnership() -> dict[str, Any]:
    ext = {"extension_type": "property-extension", "distribution": "partnership"}
    return {"extensions": {SHARING_EXTENSION: ext}}


def _held(store: Store) -> dict[str, tuple[str, str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id, reports.c.tlp).join(
                organizations, organizations.c.id == reports.c.org_id
            )
        ).all()
    return {r.report_id: (r.name, r.tlp, r.report_id) for r in rows}


def test_a_poster_or_another_peer_cannot_redefine_a_peers_marking_definition(
    sqlite_store: Store,
) -> None:
    """A marking definition a peer sent on an earlier page is that peer's: a TAXII POST (any
    analyst's key) or another peer sending the same id with TLP:CLEAR must not turn the peer's
    TLP:RED report into a clear one."""
    report = foreign_report(8, object_marking_refs=[DEFINITION_ID], **_partnership())
    with sqlite_store.begin() as conn:
        import_objects(conn, [_definition("red"), LOCATION], peer=PEER, default_org="PEER")
        posted = import_objects(
            conn, [_definition("clear")], peer=None, default_org="EVIL", owner="EVIL"
        )
        assert posted.rejected == 0
        pulled = import_objects(conn, [_definition("white")], peer=OTHER_PEER, default_org="OTHER")
        assert pulled.rejected == 0
        outcome = import_objects(conn, [report], peer=PEER, default_org="PEER")
    assert (outcome.new, outcome.rejected) == (1, 0)
    [(org, tlp, _)] = _held(sqlite_store).values()
    assert (org, tlp) == ("PEER", "red")

"""An envelope's organizations are written in the order of their names, whatever the envelope's
order: two envelopes naming the same organizations in opposite orders then take their rows in
one order, and cannot deadlock on them (PostgreSQL undid one of the two; it ran again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.interop import importer
from bigfish.interop.importer import import_objects
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import RING_PHONE, bigfish_report

PEER = "https://peer.example"


def _report(org: str, report_id: str) -> dict[str, Any]:
    """ORG's report REPORT_ID, naming a phone."""
    return bigfish_report(report_id, org=org, phone=RING_PHONE)


def test_organizations_are_written_in_the_order_of_their_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[int] = []
    real = importer.write_batch

    def recording(conn: sa.Connection, **kwargs: Any) -> Any:
        written.append(kwargs["org_id"])
        return real(conn, **kwargs)

    monkeypatch.setattr(importer, "write_batch", recording)
    store = open_store(f"sqlite:///{tmp_path / 'bigfish.db'}")
    envelope = [_report("zeta-police", "z1"), _report("alpha-bank", "a1"), _report("mu-tel", "m1")]
    try:
        with store.begin() as conn:
            outcome = import_objects(conn, envelope, peer=PEER, default_org="zeta-police")
        with store.connect() as conn:
            names = dict(conn.execute(sa.select(organizations.c.id, organizations.c.name)).all())
            stored = conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one()
    finally:
        store.close()
    assert outcome.rejected == 0 and stored == 3
    assert [names[org_id] for org_id in written] == ["alpha-bank", "mu-tel", "zeta-police"]


def test_an_import_announces_itself_as_a_writer_before_anything_else(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TAXII POST or a sync page stores, replaces and (revoked) deletes reports: its first
    statement is the writers' lock (`announce_writer`), before the organization rows, stamps
    and report rows it takes, so that a link run's pause waits for no writer waiting for it."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    with store.begin() as conn:
        sa.event.listen(conn, "before_cursor_execute", record)
        import_objects(conn, [_report("alpha-bank", "a1")], peer=PEER, default_org="alpha-bank")
        sa.event.remove(conn, "before_cursor_execute", record)
    first = statements[0]
    if store.dialect == "postgresql":
        assert "pg_advisory_xact_lock_shared" in first, statements[:3]
    else:  # the one write lock, taken by a write that changes nothing
        assert first.startswith("UPDATE link_state"), statements[:3]

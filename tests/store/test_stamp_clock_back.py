"""A clock set back (by hand, by a time sync after it ran fast, by a failover to a database server
whose clock lags) still stamps every write later than what readers have gone past
(`bigfish.store.stamps.after_stored`).

Before, a stamp was the clock's time as it was: a report stored after the clock went back an hour
was stamped before the link run's watermark and a TAXII client's `added_after`, and was never
linked nor served; a request changed then was never pulled by the peer. The clock here is
SQLite's (`stamps.local_clock`, this process's) and PostgreSQL's
(`stamps.server_clock`), each set an hour back after the first writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

import bigfish.store.stamps
from bigfish.cooperation.model import RequestStatus
from bigfish.cooperation.service import acting_as, transition
from bigfish.linking import update_networks
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.interop.test_taxii_commit_order import Client
from tests.linking.conftest import Ingest, jsonl_ingest, report
from tests.requests.test_requests_commit_order import Peer, _parties, _sent
from tests.store.test_stamp_clock import _linked

BACK = timedelta(hours=1)
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


@pytest.fixture
def set_back(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """set_back(): from now on, the clock stamps are taken from is BACK behind."""
    local_clock, server_clock = bigfish.store.stamps.local_clock, bigfish.store.stamps.server_clock

    def local_behind() -> datetime:
        return local_clock() - BACK

    def behind(conn: Connection) -> datetime:
        return server_clock(conn) - BACK

    def start() -> None:
        monkeypatch.setattr(bigfish.store.stamps, "local_clock", local_behind)
        monkeypatch.setattr(bigfish.store.stamps, "server_clock", behind)

    return start


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    return jsonl_ingest(tmp_path, SHARED)


def _updated_at(store: Store, report_id: str) -> datetime:
    with store.connect() as conn:
        found: datetime = conn.execute(
            sa.select(reports.c.updated_at).where(reports.c.report_id == report_id)
        ).scalar_one()
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def test_a_report_stored_after_the_clock_went_back_is_served_and_linked(
    store: Store, ingest: Ingest, set_back: Callable[[], None]
) -> None:
    phone = ("phone", "0812345678")
    ingest(store, "my-pdrm", [report("s0", phone), report("s1", phone)])
    update_networks(store)
    client = Client(store)
    client.poll()
    assert client.served == {("report", "s0"), ("report", "s1")}
    set_back()
    ingest(store, "th-aoc", [report("a1", phone)])
    assert _updated_at(store, "a1") > _updated_at(store, "s1")
    client.served.clear()
    client.poll()
    assert client.served == {("report", "a1")}
    update_networks(store)
    assert _linked(store) == {"s0", "s1", "a1"}


def test_a_request_changed_after_the_clock_went_back_is_pulled(
    store: Store, set_back: Callable[[], None]
) -> None:
    parties = _parties(store)
    r1 = _sent(parties, "first")
    peer = Peer(parties)
    peer.pull()
    assert peer.status == {r1: "sent"}
    set_back()
    transition(parties, acting_as(parties, "VN-BANK"), r1, RequestStatus.ACKNOWLEDGED, None)
    peer.pull()
    assert peer.status == {r1: "acknowledged"}

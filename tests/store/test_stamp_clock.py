"""On PostgreSQL every stamp comes from the database server's clock (`stamp_now`), so a writer on
a host whose clock lags still stamps later than a bound a reader on another host went past.

Before, each writer stamped with its process's clock: a report stored by a host an hour behind
was stamped before the bound a TAXII client and the link run had read, and was never served nor
linked; a request changed there was never pulled. The lagging host is this process, its clock
(`datetime.now` in each writer's module) set an hour back by the `lagging` fixture.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

import bigfish.cooperation.federation
import bigfish.cooperation.service
import bigfish.intake.service
import bigfish.interop.importer
import bigfish.interop.revocation
import bigfish.memberships
import bigfish.reports
import bigfish.store.writes
from bigfish.accounts import authenticate_key, create_key
from bigfish.cooperation.model import RequestStatus
from bigfish.cooperation.service import acting_as, create_request, expire_overdue, transition
from bigfish.interop.importer import import_objects
from bigfish.linking import update_networks
from bigfish.memberships import remove_member
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.reports import delete_report, remark_report
from bigfish.sharing import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_evidence import cooperation_requests
from bigfish.store.schema_interop import report_withdrawals
from bigfish.store.schema_linking import network_members
from bigfish.store.stamps import announce_writer, stamp_now
from tests.interop.builders import partnership
from tests.interop.test_sync_revocation import _copy, _revocation
from tests.interop.test_taxii_commit_order import Client
from tests.linking.conftest import Ingest, jsonl_ingest, report
from tests.requests.test_federation import _freeze, _node, receive, served
from tests.requests.test_requests_commit_order import Peer, _parties, _sent

pytestmark = pytest.mark.postgres

#: How far the lagging host's clock is behind: far more than any step between two writes here.
LAG = timedelta(hours=1)
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
#: Every module whose writers took their stamps from `datetime.now` (and the intake's runs).
WRITERS: tuple[ModuleType, ...] = (
    bigfish.store.writes,
    bigfish.reports,
    bigfish.memberships,
    bigfish.intake.service,
    bigfish.interop.importer,
    bigfish.interop.revocation,
    bigfish.cooperation.service,
    bigfish.cooperation.federation,
)


class _Lagging(datetime):
    """`datetime` whose `now` is LAG behind: the clock of a host that lags."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        return datetime.now(tz) - LAG


@pytest.fixture
def lagging(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """lagging(): from now on, this process's clock is LAG behind in every writer."""

    def start() -> None:
        for module in WRITERS:
            if hasattr(module, "datetime"):  # some take no time of their own any more
                monkeypatch.setattr(module, "datetime", _Lagging)
        # A request's changes are checked against this node's clock: left as it is, the
        # peer's (real) times would be refused as ahead of it; the stamps are what is tested.
        monkeypatch.setattr(bigfish.cooperation.federation, "_now", lambda: datetime.now(UTC))

    return start


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(store, org, rows, marking=SHARED): ROWS written as JSONL and ingested as ORG."""
    return jsonl_ingest(tmp_path, SHARED)


def _server_clock(store: Store) -> datetime:
    """The database server's clock now."""
    with store.connect() as conn:
        found: datetime = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
    return found


def _report_stamps(store: Store, report_id: str) -> tuple[datetime, datetime]:
    with store.connect() as conn:
        row = conn.execute(
            sa.select(reports.c.created_at, reports.c.updated_at).where(
                reports.c.report_id == report_id
            )
        ).one()
    return row.created_at, row.updated_at


def _withdrawn_at(store: Store, report_id: str) -> list[datetime]:
    with store.connect() as conn:
        query = sa.select(report_withdrawals.c.withdrawn_at).where(
            report_withdrawals.c.report_id == report_id
        )
        return list(conn.execute(query).scalars())


def _linked(store: Store) -> set[str]:
    with store.connect() as conn:
        query = sa.select(reports.c.report_id).join(
            network_members, network_members.c.report_pk == reports.c.id
        )
        return set(conn.execute(query).scalars())


def _owner(store: Store, org: str) -> Viewer:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == org)
        ).scalar_one()
    return Viewer(org_id, org, ApiRole.ANALYST)


def test_a_report_a_lagging_host_stores_is_served_and_linked(
    pg_store: Store, ingest: Ingest, lagging: Callable[[], None]
) -> None:
    """A TAXII client and the link run have gone past s0 and s1; a host an hour behind stores
    a1, which names their phone. The client's next poll serves a1 and the next link run links
    it (before: a1 was stamped an hour before what both had read, and was never found)."""
    store = pg_store
    phone = ("phone", "0812345678")
    ingest(store, "my-pdrm", [report("s0", phone), report("s1", phone)])
    update_networks(store)
    assert _linked(store) == {"s0", "s1"}
    client = Client(store)
    client.poll()
    assert client.served == {("report", "s0"), ("report", "s1")}
    assert client.added_after is not None
    lagging()
    ingest(store, "th-aoc", [report("a1", phone)])
    assert _report_stamps(store, "a1")[1] > client.added_after
    client.served.clear()
    client.poll()
    assert client.served == {("report", "a1")}
    update_networks(store)
    assert _linked(store) == {"s0", "s1", "a1"}


def test_a_request_a_lagging_host_changes_is_pulled(
    pg_store: Store, lagging: Callable[[], None]
) -> None:
    """A peer has pulled r1 sent; a host an hour behind acknowledges it: the peer's next pull
    serves the acknowledgement (before: stamped before what the peer had been served)."""
    store = _parties(pg_store)
    r1 = _sent(store, "first")
    peer = Peer(store)
    peer.pull()
    assert peer.status == {r1: "sent"}
    lagging()
    transition(store, acting_as(store, "VN-BANK"), r1, RequestStatus.ACKNOWLEDGED, None)
    peer.pull()
    assert peer.status == {r1: "acknowledged"}


def test_storing_and_replacing_a_report_stamps_with_the_servers_clock(
    pg_store: Store, ingest: Ingest, lagging: Callable[[], None]
) -> None:
    """An ingest stores a report, a later one replaces it with another marking (a withdrawal)."""
    store = pg_store
    lagging()
    before = _server_clock(store)
    ingest(store, "th-aoc", [report("a1", ("phone", "0812345678"))])
    created, updated = _report_stamps(store, "a1")
    assert before <= created == updated
    again = _server_clock(store)
    ingest(store, "th-aoc", [report("a1", ("phone", "0812345678"))], Marking(TLP.AMBER))
    kept, replaced = _report_stamps(store, "a1")
    assert kept == created and replaced >= again
    [withdrawn] = _withdrawn_at(store, "a1")
    assert withdrawn >= again


def test_re_marking_and_deleting_a_report_stamp_with_the_servers_clock(
    pg_store: Store, ingest: Ingest, lagging: Callable[[], None]
) -> None:
    store = pg_store
    ingest(store, "th-aoc", [report("a1", ("phone", "0812345678"))])
    owner = _owner(store, "th-aoc")
    lagging()
    before = _server_clock(store)
    remark_report(store, owner, "th-aoc", "a1", Marking(TLP.AMBER))
    assert _report_stamps(store, "a1")[1] >= before
    [remarked] = _withdrawn_at(store, "a1")
    assert remarked >= before
    again = _server_clock(store)
    delete_report(store, owner, "th-aoc", "a1")
    assert sorted(_withdrawn_at(store, "a1"))[-1] >= again


def test_leaving_a_group_stamps_its_withdrawals_with_the_servers_clock(
    pg_store: Store, tmp_path: Path, lagging: Callable[[], None]
) -> None:
    store = pg_store
    partnership(store, tmp_path)  # MEKONG: TH-AOC (owner, its group-0) and VN-POLICE
    secret = create_key(store, org="TH-AOC", role=ApiRole.ADMIN).secret
    with store.connect() as conn:
        admin = authenticate_key(conn, secret)
    assert admin is not None
    lagging()
    before = _server_clock(store)
    remove_member(store, admin, "MEKONG", "VN-POLICE")
    withdrawn = _withdrawn_at(store, "group-0")
    assert withdrawn and min(withdrawn) >= before


def test_a_revocation_from_a_peer_stamps_its_withdrawal_with_the_servers_clock(
    pg_store: Store, lagging: Callable[[], None]
) -> None:
    store = pg_store
    peer = "https://node-a.example/taxii2/"
    stix_id, _ = _copy(store, peer)
    lagging()
    before = _server_clock(store)
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with store.begin() as conn:
        outcome = import_objects(conn, [_revocation(stix_id, later)], peer=peer, default_org="x")
    assert outcome.rejected == 0, outcome.rejections
    [withdrawn] = _withdrawn_at(store, "r-1")
    assert withdrawn >= before


def _request_stamp(store: Store, request_id: str) -> datetime:
    with store.connect() as conn:
        found: datetime = conn.execute(
            sa.select(cooperation_requests.c.updated_at).where(
                cooperation_requests.c.request_id == request_id
            )
        ).scalar_one()
    return found


def test_creating_moving_and_expiring_a_request_stamp_with_the_servers_clock(
    pg_store: Store, lagging: Callable[[], None]
) -> None:
    store = _parties(pg_store)
    lagging()
    before = _server_clock(store)
    r1 = _sent(store, "first")
    assert _request_stamp(store, r1) >= before
    again = _server_clock(store)
    transition(store, acting_as(store, "VN-BANK"), r1, RequestStatus.ACKNOWLEDGED, None)
    assert _request_stamp(store, r1) >= again
    last = _server_clock(store)
    assert expire_overdue(store, now=datetime.now(UTC) + timedelta(days=3)) == 1
    assert _request_stamp(store, r1) >= last


def test_a_requests_change_merged_from_a_peer_is_stamped_with_the_servers_clock(
    pg_store: Store, tmp_path: Path, lagging: Callable[[], None]
) -> None:
    th = _node(pg_store)
    vn = _node(open_store(f"sqlite:///{tmp_path / 'vn.db'}"), here="VN")
    try:
        aoc = acting_as(th, "TH-AOC")
        sent = create_request(th, aoc, _freeze(), send=True)
        assert receive(vn, served(th, "VN-BANK")).rejected == 0
        bank = acting_as(vn, "VN-BANK")
        transition(vn, bank, sent.request_id, RequestStatus.ACKNOWLEDGED, None, actor="Lan")
        lagging()
        before = _server_clock(th)
        assert receive(th, served(vn, "TH-AOC")).rejected == 0
        assert _request_stamp(th, sent.request_id) >= before
    finally:
        vn.close()


def test_stamp_now_reads_the_servers_clock_once_a_transaction(pg_store: Store) -> None:
    """One `clock_timestamp()` per writing transaction, however many stamps it takes."""
    asked: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "clock_timestamp" in statement:
            asked.append(statement)

    sa.event.listen(pg_store.engine, "before_cursor_execute", seen)
    try:
        with pg_store.begin() as conn:
            announce_writer(conn)
            first = stamp_now(conn)
            assert stamp_now(conn) == first and first.tzinfo is UTC
        with pg_store.begin() as conn:
            announce_writer(conn)
            second = stamp_now(conn)
    finally:
        sa.event.remove(pg_store.engine, "before_cursor_execute", seen)
    assert len(asked) == 2
    assert second > first


def test_on_sqlite_the_stamp_is_the_process_clock(sqlite_store: Store) -> None:
    with sqlite_store.begin() as conn:
        announce_writer(conn)
        before = datetime.now(UTC)
        stamp = stamp_now(conn)
        assert before <= stamp <= datetime.now(UTC)

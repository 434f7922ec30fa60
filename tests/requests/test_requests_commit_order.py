"""A peer that pulls a requests collection and keeps the newest date_added it was served as its
next `added_after` is served, then or at its next pull, every change of a request: one a slow
writer stamped earlier and committed later (PostgreSQL, where two writers run at once), and one
made between the pages of a pull to a request the pull had passed (either backend).

Before, the requests collection was pulled without a bound: the peer was served a request
changed at t2, kept t2, and never got the change of another request stamped t1 < t2 and
committed (or read) after. A pull is `feed.object_page`, the function behind the objects
endpoint of the collection `Cooperation requests ORG`, as `bigfish sync pull` reads it.

The slow writer is stopped as in tests/linking/test_concurrent_writes.py and goes on once the
pull has been served or waits for a lock (PostgreSQL shows it), never after a fixed time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import bigfish.cooperation.service
from bigfish.cooperation.federation import import_requests
from bigfish.cooperation.model import RequestDraft, RequestStatus, RequestType, Subject, SubjectKind
from bigfish.cooperation.service import acting_as, create_request, expire_overdue, transition
from bigfish.cooperation.wire import REQUEST_TYPE
from bigfish.interop import feed
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from tests.linking.test_concurrent_deletion import Meanwhile
from tests.linking.test_concurrent_writes import Gate
from tests.requests.test_federation import PEER, _node, served

ASKS, ANSWERS = "TH-AOC", "VN-BANK"


class Peer:
    """The peer's side of ANSWERS' requests collection: it keeps the newest date_added it was
    served as its next `added_after`, and the status it was last served of each request."""

    def __init__(self, store: Store, limit: int = 1000) -> None:
        self.store, self.limit = store, limit
        self.added_after: datetime | None = None
        self.status: dict[str, str] = {}

    def pull(self) -> None:
        """Every page, `next` after `next`, from the kept `added_after`."""
        token: str | None = None
        newest = self.added_after
        while True:
            page = self.page(token)
            newest = max([d for d in (newest, *_dates(page)) if d is not None], default=None)
            token = page.next
            if token is None:
                break
        self.added_after = newest

    def page(self, token: str | None) -> feed.Page:
        """One page, as GET .../objects/ serves it; the statuses it serves are kept."""
        viewer = acting_as(self.store, ANSWERS, ApiRole.SYNC)
        with self.store.connect() as conn:
            [collection] = [c for c in feed.collections(conn, viewer) if c.kind == "requests"]
            page = feed.object_page(
                conn, collection, limit=self.limit, added_after=self.added_after, next_token=token
            )
        for entry in page.entries:
            self.status[entry.object["request_id"]] = entry.object["status"]
        return page


def _dates(page: feed.Page) -> list[datetime]:
    return [e.date_added for e in page.entries]


def _draft(to_org: str, summary: str) -> RequestDraft:
    return RequestDraft(
        to_org=to_org,
        request_type=RequestType.PAYMENT_FREEZE,
        legal_basis="budapest-35",
        summary=summary,
        subjects=(Subject(SubjectKind.IDENTIFIER, "BFTVVNVX:0071000123456", "bank_account"),),
        deadline=datetime.now(UTC) + timedelta(days=2),
        created_by="Somchai",
    )


def _sent(store: Store, summary: str) -> str:
    """A request from ASKS to ANSWERS, sent; its id."""
    draft = _draft(ANSWERS, summary)
    return create_request(store, acting_as(store, ASKS), draft, send=True).request_id


def _acknowledge(store: Store, request_id: str) -> Callable[[], None]:
    def run() -> None:
        bank = acting_as(store, ANSWERS)
        transition(store, bank, request_id, RequestStatus.ACKNOWLEDGED, None, actor="Linh")

    return run


def _parties(store: Store) -> Store:
    add_org(store, ASKS, country="TH")
    add_org(store, ANSWERS, country="VN")
    return store


@pytest.mark.postgres
def test_a_change_committed_after_a_later_stamped_one_is_served(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """r1's acknowledgement, stamped before r2's and committed after a pull that served r2's,
    is served by the next pull (before: the peer asked for what came after r2's stamp, and
    kept r1 open for ever)."""
    store = _parties(pg_store)
    r1, r2 = _sent(store, "first"), _sent(store, "second")
    peer = Peer(store)
    peer.pull()
    assert peer.status == {r1: "sent", r2: "sent"}
    gate = Gate(monkeypatch, bigfish.cooperation.service, "_event", after=True, bound=60.0)
    writer = Meanwhile(_acknowledge(store, r1))  # stopped once it has stamped r1
    while not gate.reached.wait(0.01):
        if not writer.thread.is_alive():
            writer.join()  # it failed before it stamped
            raise AssertionError("the slow writer never reached the gate")
    _acknowledge(store, r2)()
    reader = Meanwhile(peer.pull).settle(store)  # served, or waits for the slow writer
    gate.open()
    writer.join()
    reader.join()
    peer.pull()
    assert peer.status == {r1: "acknowledged", r2: "acknowledged"}


def test_a_change_between_the_pages_of_a_pull_is_served_by_the_next_pull(store: Store) -> None:
    """A pull of one request a page: after its first page (r1), r1 and then r2 are acknowledged,
    so r1's new stamp is earlier than r2's. Had the later pages served r2's (they resume past
    r1), the peer would keep its stamp and never be served r1's acknowledgement. Both are
    served by the next pull."""
    _parties(store)
    r1, r2, r3 = _sent(store, "first"), _sent(store, "second"), _sent(store, "third")
    peer = Peer(store, limit=1)
    first = peer.page(None)
    assert peer.status == {r1: "sent"} and first.next is not None
    _acknowledge(store, r1)()
    _acknowledge(store, r2)()
    token: str | None = first.next
    newest = max(_dates(first))
    while token is not None:
        page = peer.page(token)
        newest = max([newest, *_dates(page)])
        token = page.next
    assert peer.status[r3] == "sent"
    peer.added_after = newest
    peer.pull()
    assert peer.status == {r1: "acknowledged", r2: "acknowledged", r3: "sent"}


class _Transactions:
    """The statements of every transaction on STORE's engine from now on, each list in order."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.each: list[list[str]] = []
        self._open: dict[int, list[str]] = {}
        sa.event.listen(self.engine, "begin", self._begin)
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)

    def _begin(self, conn: sa.Connection) -> None:
        self._open[id(conn)] = statements = []
        self.each.append(statements)

    def _statement(self, conn: sa.Connection, *args: Any) -> None:
        self._open.setdefault(id(conn), []).append(str(args[1]))

    def close(self) -> None:
        sa.event.remove(self.engine, "begin", self._begin)
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)

    def stamping(self) -> list[list[str]]:
        """The transactions that inserted or updated a request (and so stamped it)."""
        writes = ("INSERT INTO cooperation_requests", "UPDATE cooperation_requests")
        return [t for t in self.each if any(s.startswith(writes) for s in t)]


def test_every_writer_of_requests_announces_itself_before_anything_else(
    store: Store, tmp_path: Path
) -> None:
    """Creating a request, storing one a peer served, changing one and expiring them each stamp
    requests (updated_at): each runs the writers' lock (PostgreSQL) / the write lock (SQLite)
    as its first statement, before its stamp is taken, so that a pull's bound waits for it."""
    vn = _node(store, here="VN")
    th = _node(open_store(f"sqlite:///{tmp_path / 'th.db'}"), here="TH")
    try:
        aoc = acting_as(th, "TH-AOC")
        asked = create_request(th, aoc, _draft("VN-BANK", "freeze"), send=True).request_id
        objects = [o for o in served(th, "VN-BANK") if o["type"] == REQUEST_TYPE]
    finally:
        th.close()
    seen = _Transactions(vn)
    try:
        create_request(vn, acting_as(vn, "VN-BANK"), _draft("TH-AOC", "back"), send=True)
        with vn.begin() as conn:
            assert import_requests(conn, objects, peer=PEER) == []
        _acknowledge(vn, asked)()
        assert expire_overdue(vn, now=datetime.now(UTC) + timedelta(days=3)) == 2
    finally:
        seen.close()
    stamping = seen.stamping()
    assert len(stamping) == 4, stamping
    for statements in stamping:
        if store.dialect == "postgresql":
            assert "pg_advisory_xact_lock_shared" in statements[0], statements[:3]
        else:  # the one write lock, taken by a write that changes nothing
            assert statements[0].startswith("UPDATE link_state"), statements[:3]

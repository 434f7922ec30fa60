"""A TAXII reader that keeps the newest date_added it was served as its next `added_after` is
served, then or at its next poll, what a slow writer stamped earlier and committed later
(PostgreSQL, where two organizations' writers run at once).

Writer A stamps its report (or its withdrawal) at t1 and stops before it commits; writer B
stamps t2 > t1 and commits; a poll is served; A commits; the client polls again from the newest
date_added it was served. Before, the first poll served B's t2 and the second asked for what
came after t2: A's t1 was never served to that client. A poll is `feed.object_page`, the
function behind the objects and manifest endpoints (their X-TAXII-Date-Added-Last is the newest
date_added of the page, what the client keeps here).

The slow writer is stopped as in tests/linking/test_concurrent_writes.py and goes on once the
poll has been served or waits for a lock (PostgreSQL shows it), never after a fixed time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import bigfish.intake.service
import bigfish.reports
from bigfish.interop import feed
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from tests.linking.conftest import Ingest, jsonl_ingest, report
from tests.linking.test_concurrent_deletion import Meanwhile
from tests.linking.test_concurrent_writes import Gate

pytestmark = pytest.mark.postgres

SLOW, OTHER = "th-aoc", "my-pdrm"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
OP = Viewer.node_operator()


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(store, org, rows, marking): ROWS written as JSONL and ingested as ORG."""
    return jsonl_ingest(tmp_path)


class Client:
    """A TAXII client of the partnership collection: it keeps the newest date_added it was
    served as its next `added_after`, and what it was served ("report" or "revoked")."""

    def __init__(self, store: Store, limit: int = 1000) -> None:
        self.store, self.limit = store, limit
        self.added_after: datetime | None = None
        self.served: set[tuple[str, str]] = set()

    def poll(self) -> None:
        """One pull: every page, `next` after `next`, from the kept `added_after`."""
        token: str | None = None
        newest = self.added_after
        while True:
            page = self.page(token)
            for entry in page.entries:
                obj = entry.object
                if obj["type"] == "report":
                    kind = "revoked" if obj.get("revoked") else "report"
                    self.served.add((kind, str(obj["name"]).rsplit("/", 1)[1]))
                if newest is None or entry.date_added > newest:
                    newest = entry.date_added
            if page.next is None:
                break
            token = page.next
        self.added_after = newest

    def page(self, token: str | None) -> feed.Page:
        """One page, as GET .../objects/ serves it."""
        with self.store.connect() as conn:
            collection = feed.collections(conn, OP)[0]
            return feed.object_page(
                conn, collection, limit=self.limit, added_after=self.added_after, next_token=token
            )


def _race(store: Store, gate: Gate, slow: Callable[[], None], other: Callable[[], None]) -> Client:
    """A client that has polled once; SLOW, stopped by GATE once it has stamped, runs while
    OTHER commits a later stamp and the client polls; then SLOW commits and the client polls."""
    client = Client(store)
    client.poll()
    writer = Meanwhile(slow)
    while not gate.reached.wait(0.01):
        if not writer.thread.is_alive():
            writer.join()  # it failed before it stamped
            raise AssertionError("the slow writer never reached the gate")
    other()
    reader = Meanwhile(client.poll).settle(store)  # served, or waits for the slow writer
    gate.open()
    writer.join()
    reader.join()
    client.poll()
    return client


def test_a_report_committed_after_a_later_stamped_one_is_served(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a1, stamped before b1 and committed after a poll that served b1, is served (before: the
    client asked for what came after b1's stamp, and never got a1)."""
    store = pg_store
    ingest(store, OTHER, [report("s0", ("phone", "0811111111"))], SHARED)
    gate = Gate(monkeypatch, bigfish.intake.service, "write_batch", after=True, bound=60.0)

    def slow() -> None:
        ingest(store, SLOW, [report("a1", ("phone", "0822222222"))], SHARED)

    def other() -> None:
        ingest(store, OTHER, [report("b1", ("phone", "0833333333"))], SHARED)

    client = _race(store, gate, slow, other)
    assert client.served == {("report", "s0"), ("report", "a1"), ("report", "b1")}


def test_a_withdrawal_committed_after_a_later_stamp_is_served(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a0's deletion, stamped before b1 and committed after a poll that served b1, is served as
    a0's revoked version (before: never, and the client kept a report its owner deleted)."""
    store = pg_store
    ingest(store, SLOW, [report("a0", ("phone", "0822222222"))], SHARED)
    ingest(store, OTHER, [report("s0", ("phone", "0811111111"))], SHARED)
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == SLOW)
        ).scalar_one()
    owner = Viewer(org_id, SLOW, ApiRole.ANALYST)
    gate = Gate(monkeypatch, bigfish.reports, "record_withdrawals", after=True, bound=60.0)

    def slow() -> None:
        delete_report(store, owner, SLOW, "a0")

    def other() -> None:
        ingest(store, OTHER, [report("b1", ("phone", "0833333333"))], SHARED)

    client = _race(store, gate, slow, other)
    assert ("revoked", "a0") in client.served
    assert ("report", "b1") in client.served


def test_the_pages_of_one_pull_serve_no_stamp_later_than_its_first_page_s_bound(
    pg_store: Store, ingest: Ingest
) -> None:
    """A pull of more than one page: after the first (s0's first object) s0 is submitted again
    and then b1 is stored, so s0's new stamp is earlier than b1's. Had the later pages served b1
    (they resume past s0's position), the client would keep b1's stamp and its next pull would
    never serve s0's new version. Both are served by the next pull."""
    store = pg_store
    ingest(store, OTHER, [report("s0", ("phone", "0811111111"))], SHARED)
    ingest(store, OTHER, [report("s1", ("phone", "0844444444"))], SHARED)
    client = Client(store, limit=1)
    first = client.page(None)
    assert first.next is not None
    ingest(store, OTHER, [report("s0", ("phone", "0855555555"))], SHARED)
    ingest(store, OTHER, [report("b1", ("phone", "0833333333"))], SHARED)
    token: str | None = first.next
    newest = max(e.date_added for e in first.entries)
    while token is not None:
        page = client.page(token)
        newest = max([newest, *(e.date_added for e in page.entries)])
        token = page.next
    client.added_after = newest
    client.served.clear()
    client.poll()
    assert {("report", "s0"), ("report", "b1")} <= client.served

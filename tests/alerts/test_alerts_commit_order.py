"""A client of the alerts that polls from the page's `as_of` (or from the newest `created_at` it
was served), or pages with cursors, is served what a slow writer stamped earlier and committed
later (PostgreSQL, where two organizations' writers run at once), and each alert once.

Writer A stamps its report a1 at t1 and stops before it commits; writer B stores b1 and b2 at
t2 > t1 and commits; the client reads a page; A commits; the client goes on. Before, the page
served b1 (and b2), the client went on after t2 (its cursor past b1, or `since` at b2's date),
and a1, dated t1, was never served to it. Now the page serves no alert dated after a bound read
while no writer is in flight (`bigfish.store.stamps.settled_newest`): it waits for A.

The slow writer is stopped as in tests/linking/test_concurrent_writes.py and goes on once the
page has been read or waits for a lock (PostgreSQL shows it), never after a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import bigfish.intake.service
from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, listing
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership
from tests.api.helpers import report as api_report
from tests.linking.conftest import Ingest, jsonl_ingest, report
from tests.linking.test_concurrent_deletion import Meanwhile
from tests.linking.test_concurrent_writes import Gate

VIEWER, SLOW, OTHER = "th-aoc", "bank-slow", "telco"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
HELD_S, HELD_A, HELD_B = "0811111111", "0822222222", "0833333333"


@pytest.fixture
def ingest(tmp_path: Path) -> Ingest:
    """ingest(store, org, rows): ROWS written as JSONL and ingested as ORG, shared."""
    return jsonl_ingest(tmp_path, SHARED)


class Client:
    """A client of VIEWER's alerts, LIMIT a page: it follows `next_cursor` while there is one,
    then keeps as its next `since` the last page's `as_of` (KEEPS "as_of") or the newest
    `created_at` it was served ("newest"); SERVED: the report_id of each alert, in order."""

    def __init__(self, store: Store, keeps: str, limit: int) -> None:
        self.store, self.keeps, self.limit = store, keeps, limit
        self.viewer = viewer_as(store, VIEWER)
        self.since: datetime | None = None
        self.cursor: str | None = None
        self.newest: datetime | None = None
        self.served: list[str] = []

    def page(self) -> None:
        """One page, from the kept cursor or `since`."""
        found = list_alerts(
            self.store, self.viewer, since=self.since, cursor=self.cursor, limit=self.limit
        )
        self.served += [a.report_id for a in found.alerts]
        self.newest = max([a.created_at for a in found.alerts], default=self.newest)
        self.cursor = found.next_cursor
        if self.cursor is None:
            self.since = found.as_of if self.keeps == "as_of" else self.newest

    def poll(self) -> None:
        """Pages until there is no next one."""
        self.page()
        while self.cursor is not None:
            self.page()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("keeps", "limit"),
    [("as_of", 100), ("newest", 100), ("newest", 1)],
    ids=["since-as_of", "since-newest-served", "cursors"],
)
def test_an_alert_stamped_earlier_and_committed_later_is_served_once(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch, keeps: str, limit: int
) -> None:
    """a1, stamped before b1 and b2 and committed after a page that would have served b1, is
    served, and every alert once (before: never, whether the client went on with `since` or
    with the page's cursor)."""
    store = pg_store
    ingest(store, VIEWER, [report("v0", ("phone", HELD_S), ("phone", HELD_A), ("phone", HELD_B))])
    ingest(store, OTHER, [report("s0", ("phone", HELD_S))])
    client = Client(store, keeps, limit)
    client.poll()
    assert client.served == ["s0"]
    gate = Gate(monkeypatch, bigfish.intake.service, "write_batch", after=True, bound=60.0)
    writer = Meanwhile(lambda: ingest(store, SLOW, [report("a1", ("phone", HELD_A))]))
    while not gate.reached.wait(0.01):
        if not writer.thread.is_alive():
            writer.join()  # it failed before it stamped
            raise AssertionError("the slow writer never reached the gate")
    ingest(store, OTHER, [report("b1", ("phone", HELD_B)), report("b2", ("phone", HELD_B))])
    reader = Meanwhile(client.page).settle(store)  # read, or waits for the slow writer
    gate.open()
    writer.join()
    reader.join()
    for _ in range(2):  # on to the end of its pages, then once more from what it keeps
        client.poll()
    assert sorted(client.served) == ["a1", "b1", "b2", "s0"]


def test_a_report_stored_while_a_page_is_read_is_left_to_the_next_poll(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b1, stored once the page has read its bound and before it reads its alerts (a page is
    several statements, each seeing what was committed by then), is not on it: dated after its
    `as_of`, it is served once, by the next poll from there (had the page served it, that poll
    would have served it again)."""
    ingest(store, VIEWER, [report("v0", ("phone", HELD_S), ("phone", HELD_B))])
    ingest(store, OTHER, [report("s0", ("phone", HELD_S))])
    original = listing.page_pairs
    stored: list[bool] = []

    def meanwhile(*args: Any) -> Any:
        if not stored:
            stored.append(True)
            ingest(store, OTHER, [report("b1", ("phone", HELD_B))])
        return original(*args)

    monkeypatch.setattr(listing, "page_pairs", meanwhile)
    viewer = viewer_as(store, VIEWER)
    first = list_alerts(store, viewer)
    assert stored and [a.report_id for a in first.alerts] == ["s0"]
    assert first.as_of is not None
    after = list_alerts(store, viewer, since=first.as_of)
    assert [a.report_id for a in after.alerts] == ["b1"]
    assert after.as_of is not None and after.alerts[0].created_at <= after.as_of


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong (A, C) on each backend, with an in-process client."""
    yield from build_partnership(store)


def _get(p: Partnership, **params: str) -> dict[str, Any]:
    answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers("A"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _poll(p: Partnership, since: str | None, limit: int) -> tuple[list[dict[str, Any]], str]:
    """A's alerts after SINCE, LIMIT a page, every page; and the last page's `as_of`. A page
    with a next one gives an `as_of` before the next page's first alert."""
    alerts: list[dict[str, Any]] = []
    cursor: str | None = None
    before_next: str | None = None
    while True:
        params = {"limit": str(limit)}
        params |= {"since": since} if since is not None else {}
        params |= {"cursor": cursor} if cursor is not None else {}
        body = _get(p, **params)
        if before_next is not None and body["alerts"]:
            assert _at(body["alerts"][0]["created_at"]) > _at(before_next)
        alerts += body["alerts"]
        cursor, before_next = body["next_cursor"], body["as_of"]
        assert before_next is not None
        if cursor is None:
            return alerts, before_next


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_polling_from_as_of_serves_each_alert_once_while_reports_arrive(
    partnership: Partnership,
) -> None:
    """Rounds of reports, a poll from the last `as_of` after each: A is alerted on B's and C's
    reports of values it holds, and on values it comes to hold that B reported long before,
    each alert once; after the last poll, a poll from its `as_of` serves nothing."""
    p = partnership
    assert _get(p) == {"alerts": [], "next_cursor": None, "as_of": None}
    phones = [f"+6682000{i:04d}" for i in range(8)]

    def submit(who: str, *reports: tuple[str, list[str]], **marking: str) -> None:
        marking = marking or {"distribution": "partnership", "tlp": "green"}
        p.submit(who, [api_report(r, phones=values) for r, values in reports], **marking)

    rounds = [
        lambda: submit("A", ("a0", phones[:1]), ("a1", phones[1:2])),
        lambda: submit("B", *((f"b0-{i}", [v]) for i, v in enumerate(phones))),
        lambda: submit("A", ("a2", phones[2:3])),  # b0-2 came before
        lambda: submit("C", ("c0", phones[:1]), distribution="group", group="mekong"),
        lambda: submit("B", ("b1", phones[1:2]), ("b2", phones[6:7])),
        lambda: submit("B", ("b-red", phones[:1]), distribution="partnership", tlp="red"),
        lambda: submit("A", ("a3", phones[3:5])),
        lambda: submit("B", ("b3", phones[4:5])),
    ]
    served: list[str] = []
    since: str | None = None
    for write in rounds:
        write()
        polled, as_of = _poll(p, since, limit=2)
        assert all(_at(a["created_at"]) <= _at(as_of) for a in polled)
        assert since is None or _at(as_of) >= _at(since)
        served += [a["id"] for a in polled]
        since = as_of
    listed = _get(p, limit="1000")["alerts"]
    assert [a["report"]["report_id"] for a in listed] == [
        *("b0-0", "b0-1", "b0-2", "c0", "b1", "b0-3", "b0-4", "b3")  # b0-2..4: held later
    ]
    everything = [a["id"] for a in listed]
    assert sorted(served) == sorted(everything)
    assert len(served) == len(set(served))
    assert since is not None
    assert _get(p, since=since)["alerts"] == []


def test_since_after_the_bound_is_answered_with_the_bound(partnership: Partnership) -> None:
    """`since` later than every report: no alert, and `as_of` is the bound (earlier than
    `since`), so a stored report dated between them is served from it."""
    p = partnership
    p.submit("A", [api_report("a0")])
    p.submit("B", [api_report("b0")], distribution="partnership", tlp="green")
    bound = _get(p)["as_of"]
    assert _get(p, since="2999-01-01T00:00:00Z") == {
        "alerts": [],
        "next_cursor": None,
        "as_of": bound,
    }

"""The overview and ranking caches: stale figures only for their own viewer, only after new
reports, always marked with their time; a re-marking counts on the very next page (class 1)."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bigfish import background
from bigfish.linking.service import rebuild_networks
from bigfish.organizations import list_orgs
from bigfish.reporting.stats import compute_statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import group_members
from bigfish.web import data, freshness
from tests.api.helpers import report
from tests.web.conftest import Computations, WebPartnership, wait_until


def _count(page: str) -> int:
    found = re.search(r'data-testid="report-count">([\d,]+)<', page)
    assert found is not None
    return int(found[1].replace(",", ""))


def _stale(page: str) -> bool:
    return 'data-testid="as-of"' in page


def _viewer(store: Store, name: str, *, in_groups: bool = False) -> Viewer:
    org = next(o for o in list_orgs(store) if o.name == name)
    groups: frozenset[int] = frozenset()
    if in_groups:
        with store.connect() as conn:
            rows = conn.execute(
                sa.select(group_members.c.group_id).where(group_members.c.org_id == org.id)
            )
            groups = frozenset(int(g) for (g,) in rows)
    return Viewer(org.id, org.name, group_ids=groups)


def test_new_reports_show_after_one_refresh_and_the_page_says_so(web: WebPartnership) -> None:
    alice = web.clients["A"]
    first = alice.get("/").text
    assert (_count(first), _stale(first)) == (4, False)
    web.api.submit("A", [report("a-3", phone="+66811111111")])
    stale = alice.get("/").text
    assert (_count(stale), _stale(stale)) == (4, True)
    assert re.search(r"As of \d\d:\d\d UTC", stale)
    freshness.settle()
    fresh = alice.get("/").text
    assert (_count(fresh), _stale(fresh)) == (5, False)


def test_reports_arriving_during_a_refresh_are_counted_by_one_more(
    web: WebPartnership, computed: Computations
) -> None:
    """A refresh that was already running when newer reports arrived read the older data: the
    page that saw them has one more refresh run after it, so that they show without a reload."""
    alice = web.clients["A"]
    assert _count(alice.get("/").text) == 4
    computed.reset()
    computed.hold()
    web.api.submit("A", [report("a-6", phone="+66811111111")])
    assert _stale(alice.get("/").text)  # a refresh starts; held before it computes
    wait_until(lambda: computed.background["overview"] == 1)
    web.api.submit("A", [report("a-7", phone="+66811111111")])  # newer than what it reads
    assert _stale(alice.get("/").text)
    computed.release()
    freshness.settle()
    page = alice.get("/").text
    assert (_count(page), _stale(page)) == (6, False)
    assert computed.background["overview"] == 2


def test_the_ranking_is_marked_while_it_is_refreshed(web: WebPartnership) -> None:
    alice = web.clients["A"]
    assert not _stale(alice.get("/networks").text)
    web.api.submit("A", [report("a-4", phone="+66833333333"), report("a-5", phone="+66833333333")])
    rebuild_networks(web.store)
    assert _stale(alice.get("/networks").text)
    freshness.settle()
    page = alice.get("/networks").text
    assert not _stale(page)
    assert page.count('href="/networks/') == 3  # a-1/a-2, g-1/g-2 and the new a-4/a-5


def test_a_remarking_counts_on_the_next_page_never_served_stale(web: WebPartnership) -> None:
    carol = web.clients["C"]
    assert _count(carol.get("/").text) == 2  # g-1, g-2 through the group
    assert "/networks/" in carol.get("/networks").text.split('id="results"')[1]
    alice_key = web.api.headers("A-admin")
    answer = web.api.client.patch(
        "/api/v1/reports/A/g-1", json={"distribution": "organization"}, headers=alice_key
    )
    assert answer.status_code == 200, answer.text
    web.api.submit("A", [report("a-6")])  # a new report too: still no stale figures for C
    page = carol.get("/").text
    assert (_count(page), _stale(page)) == (1, False)
    results = carol.get("/networks").text.split('id="results"')[1]
    assert "/networks/" not in results and not _stale(results)


def test_one_viewers_figures_are_never_anothers(web: WebPartnership) -> None:
    for who, expected in (("A", 4), ("B", 2), ("C", 2), ("A", 4), ("B", 2)):
        assert _count(web.clients[who].get("/").text) == expected, who
    web.api.submit("B", [report("b-3", country="VN")])
    assert _count(web.clients["B"].get("/").text) == 2  # B's own, stale
    assert _count(web.clients["C"].get("/").text) == 2  # C's own, not B's
    freshness.settle()
    assert _count(web.clients["B"].get("/").text) == 3
    assert _count(web.clients["A"].get("/").text) == 4  # b-3 is B's only


def test_the_cache_key_is_the_whole_viewer_and_the_store(web: WebPartnership) -> None:
    calls: list[Viewer] = []

    def compute(store: Store, viewer: Viewer) -> int:
        calls.append(viewer)
        return compute_statistics(store, viewer).report_count

    cache = freshness.ViewerCache(compute)
    c_alone = _viewer(web.store, "C")
    c_in_group = _viewer(web.store, "C", in_groups=True)
    assert c_in_group.group_ids
    assert cache.get(web.store, c_alone).value == 0
    assert cache.get(web.store, c_in_group).value == 2
    assert cache.get(web.store, c_alone).value == 0
    assert len(calls) == 2
    assert cache.get(web.store, Viewer.node_operator()).value == 6
    assert len(calls) == 3
    other = Store(web.store.engine)  # another store object: its own entries
    cache.get(other, c_alone)
    assert len(calls) == 4


def test_the_ttl_refreshes_in_the_background_without_marking(web: WebPartnership) -> None:
    now = [0.0]
    viewer = _viewer(web.store, "A")
    first = data.overview_statistics(web.store, viewer, clock=lambda: now[0])
    now[0] = 61.0
    again = data.overview_statistics(web.store, viewer, clock=lambda: now[0])
    assert again.as_of is None and again.figures == first.figures
    freshness.settle()


def test_the_overview_figures_are_the_reports(web: WebPartnership) -> None:
    """The overview's key figures equal those of `bigfish report` for every viewer (losses up to
    floating-point rounding: the overview adds them per audience, then exactly)."""
    viewers = [Viewer.node_operator()] + [
        _viewer(web.store, name, in_groups=groups) for name in ("A", "B", "C") for groups in (0, 1)
    ]
    for viewer in viewers:
        whole = compute_statistics(web.store, viewer)
        shown = data.overview_statistics(web.store, viewer).figures
        assert (shown.report_count, shown.network_count) == (
            whole.report_count,
            whole.network_count,
        )
        assert shown.loss_usd == pytest.approx(whole.loss_usd, rel=1e-12)
        for mine, theirs in (
            (shown.by_country, whole.by_country),
            (shown.by_month, whole.by_month),
        ):
            assert [(t.key, t.reports) for t in mine] == [(t.key, t.reports) for t in theirs]
            assert [t.loss_usd for t in mine] == pytest.approx(
                [t.loss_usd for t in theirs], rel=1e-12
            )


def _remark(web: WebPartnership, report_id: str, **marking: str) -> None:
    answer = web.api.client.patch(
        f"/api/v1/reports/A/{report_id}", json=marking, headers=web.api.headers("A-admin")
    )
    assert answer.status_code == 200, answer.text


def test_a_remarking_that_keeps_a_report_visible_may_be_served_stale(
    web: WebPartnership,
) -> None:
    bob = web.clients["B"]
    web.api.submit("A", [report("p-1")], distribution="partnership", tlp="green")
    assert _count(bob.get("/").text) == 3  # b-1, b-2, p-1
    _remark(web, "p-1", tlp="amber")  # still shared with the partnership
    page = bob.get("/").text
    assert (_count(page), _stale(page)) == (3, True)
    freshness.settle()
    _remark(web, "p-1", distribution="organization")  # now hidden from B
    page = bob.get("/").text
    assert (_count(page), _stale(page)) == (2, False)


def test_a_report_added_then_hidden_is_never_served_stale(web: WebPartnership) -> None:
    """Figures may count a report added after their version was read (the computation starts
    later); if it is then hidden, they are not served."""
    bob = _viewer(web.store, "B")
    before = freshness.data_version(web.store)
    web.api.submit("A", [report("p-2")], distribution="partnership", tlp="green")
    web.api.submit("C", [report("c-7")])  # hidden from B, never changed: harmless
    assert freshness.nothing_hidden_since(web.store, bob, before)
    _remark(web, "p-2", distribution="organization")
    assert not freshness.nothing_hidden_since(web.store, bob, before)
    assert freshness.nothing_hidden_since(web.store, Viewer.node_operator(), before)


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own niceness is Linux's")
def test_figures_are_computed_at_a_lower_priority_than_pages() -> None:
    """The refresh thread (and the one adding up totals beside it) yield the CPU to the threads
    that answer pages."""

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen: list[int] = []
    job_key = ("test-priority", time.monotonic())
    freshness._refresher.submit(job_key, lambda: seen.append(niceness()))
    freshness.settle()
    assert seen and seen[0] == min(19, niceness() + background.BACKGROUND_NICENESS)
    with ThreadPoolExecutor(1, initializer=background.background_priority) as pool:
        assert pool.submit(niceness).result() == min(
            19, niceness() + background.BACKGROUND_NICENESS
        )


def test_a_report_the_viewer_may_not_see_does_not_mark_its_pages(web: WebPartnership) -> None:
    """Any new report, A's private ones too, changed the data version and marked B's next
    overview and ranking "as of": B read when A stored a report it may not see (class 1).
    Only what B may see marks B's pages; the figures are still refreshed behind them."""
    bob = web.clients["B"]
    assert not _stale(bob.get("/").text)
    assert not _stale(bob.get("/networks").text)
    web.api.submit("A", [report("a-8", phone="+66844444444"), report("a-9", phone="+66844444444")])
    rebuild_networks(web.store)
    page, ranking = bob.get("/").text, bob.get("/networks").text
    assert (_count(page), _stale(page), _stale(ranking)) == (2, False, False)
    freshness.settle()
    # What B may see still marks them: A's report shared with the partnership.
    web.api.submit("A", [report("a-10")], tlp="green", distribution="partnership")
    page = bob.get("/").text
    assert (_count(page), _stale(page)) == (2, True)
    freshness.settle()
    assert _count(bob.get("/").text) == 3

"""Growth ages as days pass: a network nobody touched is recounted at the first run of a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.linking.score import network_score
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

OP = Viewer.node_operator()
NOW = datetime(2025, 1, 20, 12, tzinfo=UTC)  # the rings' reports are of January 2025


def _growth(store: Store, now: datetime) -> dict[tuple[str, ...], tuple[int, float]]:
    page = list_networks(store, OP, now=now)
    return {
        tuple(sorted(r.report_id for r in n.reports)): (n.stats.growth_30d, n.stats.score)
        for n in page.networks
    }


def _two_rings(store: Store, ingest: Ingest) -> None:
    ingest(
        store,
        "th-aoc",
        [
            report("a1", ("phone", "0812345678"), day=2, loss="50000"),
            report("a2", ("phone", "0812345678"), day=10, loss="20000"),
            report("b1", ("phone", "0822222222"), day=5),
            report("b2", ("phone", "0822222222"), day=15),
        ],
    )
    rebuild_networks(store, now=NOW)


def test_an_untouched_networks_growth_falls_as_its_reports_leave_the_window(
    store: Store, ingest: Ingest
) -> None:
    """Forty days on, no report of either ring is within 30 days: the next update (of another
    report) counts their growth again, and the score falls with it."""
    _two_rings(store, ingest)
    before = _growth(store, NOW)
    assert before[("a1", "a2")][0] == 2 and before[("b1", "b2")][0] == 2
    later = NOW + timedelta(days=40)
    ingest(store, "th-aoc", [report("lone", ("phone", "0899999999"), month=2, day=25)])
    update_networks(store, now=later)
    after = _growth(store, later)
    assert after[("a1", "a2")][0] == 0 and after[("b1", "b2")][0] == 0
    assert after[("a1", "a2")][1] < before[("a1", "a2")][1]
    # The score is the documented formula of the stored facts with today's growth.
    assert after[("b1", "b2")][1] == network_score(0.0, 1, 0, 2)


def test_growth_ages_even_when_nothing_new_was_stored(store: Store, ingest: Ingest) -> None:
    """A server's hourly run with nothing to link still ages the ranking."""
    _two_rings(store, ingest)
    day = NOW + timedelta(days=21)  # 2025-02-10: a1 (2 Jan) and b1 (5 Jan) have left the window
    update_networks(store, now=day)
    assert {k: g for k, (g, _) in _growth(store, day).items()} == {
        ("a1", "a2"): 0,  # 10 Jan is 31 days before 10 Feb 12:00
        ("b1", "b2"): 1,  # 15 Jan is still inside
    }


def test_a_network_is_aged_once_a_day(store: Store, ingest: Ingest) -> None:
    """Later runs of the same day leave the count of the first: it is as of that day."""
    _two_rings(store, ingest)
    day = NOW + timedelta(days=21)
    update_networks(store, now=day)
    first = _growth(store, day)
    update_networks(store, now=day + timedelta(hours=11))  # same UTC day
    assert _growth(store, day) == first
    update_networks(store, now=day + timedelta(days=1))  # the next day: b2 is 27 days old
    assert _growth(store, day)[("b1", "b2")][0] == 1
    update_networks(store, now=day + timedelta(days=6))  # 16 Feb 12:00: 15 Jan is 32 days old
    assert _growth(store, day)[("b1", "b2")][0] == 0

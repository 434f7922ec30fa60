"""Growth as days pass, for reports dated after the run that stored it (helper-124's review)."""

from __future__ import annotations

from datetime import UTC, datetime

from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

OP = Viewer.node_operator()


def _growth(store: Store, now: datetime) -> list[tuple[int, int, float]]:
    page = list_networks(store, OP, now=now)
    return [(n.stats.report_count, n.stats.growth_30d, n.stats.score) for n in page.networks]


def test_reports_dated_after_the_last_run_enter_the_growth_of_a_network_nobody_touched(
    store: Store, ingest: Ingest
) -> None:
    """A Thai centre sends, at 18:00 UTC on 1 February (01:00 on the 2nd in Bangkok), two
    reports dated 2 February: not yet in the 30 days up to the run, growth 0. The next day's
    update counted nothing again (only networks with a growth above zero were recounted, as if
    growth could not rise without a new report), so the ring ranked with growth 0 and score 1.25
    until a rebuild said 2 and 2.25."""
    evening = datetime(2025, 2, 1, 18, tzinfo=UTC)
    rebuild_networks(store, now=evening)
    ingest(
        store, "th-aoc", [report(f"r{i}", ("phone", "0811111111"), month=2, day=2) for i in (1, 2)]
    )
    update_networks(store, now=evening)
    assert _growth(store, evening) == [(2, 0, 1.25)]
    next_day = datetime(2025, 2, 3, tzinfo=UTC)
    update_networks(store, now=next_day)
    by_update = _growth(store, next_day)
    rebuild_networks(store, now=next_day)
    assert by_update == _growth(store, next_day) == [(2, 2, 2.25)]

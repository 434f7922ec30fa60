"""The incremental update agrees with a rebuild: what a batch joins, what a deletion leaves."""

from __future__ import annotations

from datetime import UTC, datetime

from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()


def _networks(store: Store) -> list[tuple[int, int, tuple[str, ...]]]:
    page = list_networks(store, OP, now=NOW)
    return sorted(
        (n.id, n.stats.report_count, tuple(sorted(r.report_id for r in n.reports)))
        for n in page.networks
    )


def test_a_batch_joins_a_network_only_with_the_reports_linked_to_it(
    store: Store, ingest: Ingest
) -> None:
    """One new report shares the ring's phone; two others share nothing with it (one of them
    nothing at all). Only the first joins the ring, as a rebuild says."""
    ingest(
        store,
        "th-aoc",
        [report("a1", ("phone", "0812345678")), report("a2", ("phone", "0812345678"))],
    )
    rebuild_networks(store, now=NOW)
    [(nid, _, _)] = _networks(store)
    ingest(
        store,
        "th-aoc",
        [
            report("n1", ("phone", "0812345678")),
            report("n2", ("phone", "0822222222")),
            report("n3", ("phone", "0833333333")),
        ],
    )
    update_networks(store, now=NOW)
    assert _networks(store) == [(nid, 3, ("a1", "a2", "n1"))]
    rebuild_networks(store, now=NOW)
    assert _networks(store) == [(nid, 3, ("a1", "a2", "n1"))]


def test_a_batch_of_two_rings_makes_two_networks(store: Store, ingest: Ingest) -> None:
    rebuild_networks(store, now=NOW)  # the linking state exists: later runs are updates
    ingest(
        store,
        "th-aoc",
        [
            report("x1", ("phone", "0812345678")),
            report("x2", ("phone", "0812345678")),
            report("y1", ("phone", "0822222222")),
            report("y2", ("phone", "0822222222")),
            report("z", ("phone", "0833333333")),
        ],
    )
    summary = update_networks(store, now=NOW)
    assert summary.mode == "update"
    groups = [members for _, _, members in _networks(store)]
    assert groups == [("x1", "x2"), ("y1", "y2")]

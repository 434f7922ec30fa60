"""The incremental update agrees with a rebuild: what a batch joins, what a deletion leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_linking import network_events, networks
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


def _delete(store: Store, org: str, *report_ids: str) -> None:
    """Delete reports as ORG's analyst does (`bigfish.reports.delete_report`)."""
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == org)
        ).scalar_one()
    analyst = Viewer(org_id=org_id, org_name=org, role=ApiRole.ANALYST)
    for report_id in report_ids:
        delete_report(store, analyst, org, report_id)


def _status(store: Store) -> dict[int, str]:
    with store.connect() as conn:
        return dict(conn.execute(sa.select(networks.c.id, networks.c.status)).all())


BRIDGED = [
    report("a1", ("phone", "0812345678")),
    report("a2", ("phone", "0812345678")),
    report("a3", ("phone", "0812345678"), ("bank_account", "KBANK:1234567890")),
    report("a4", ("bank_account", "KBANK:1234567890")),
    report("b1", ("phone", "0899999999")),
    report("b2", ("phone", "0899999999")),
]


def test_the_update_after_a_deletion_splits_and_dissolves_as_a_rebuild(
    store: Store, ingest: Ingest
) -> None:
    """Deleting the report that bridged a ring's two halves leaves a1-a2 and a lone a4;
    deleting one of a pair leaves a network of one report: dissolved, not listed."""
    ingest(store, "th-aoc", BRIDGED)
    rebuild_networks(store, now=NOW)
    before = {members: nid for nid, _, members in _networks(store)}
    ring, pair = before[("a1", "a2", "a3", "a4")], before[("b1", "b2")]
    _delete(store, "th-aoc", "a3", "b2")
    summary = update_networks(store, now=NOW)
    assert summary.dissolved == 1
    assert _networks(store) == [(ring, 2, ("a1", "a2"))]
    assert _status(store)[pair] == "dissolved"
    with store.connect() as conn:
        events = conn.execute(
            sa.select(network_events.c.kind).where(network_events.c.network_id == pair)
        ).scalars()
        assert list(events) == ["created", "dissolved"]
    rebuild_networks(store, now=NOW)
    assert _networks(store) == [(ring, 2, ("a1", "a2"))]


@pytest.mark.parametrize("link", [rebuild_networks, update_networks])
def test_a_network_whose_reports_are_all_deleted_keeps_its_id_retired(
    store: Store, ingest: Ingest, link: Callable[..., object]
) -> None:
    """Its id is recorded dissolved, never given to another ring (an investigator holding it
    would land on someone else's), whether a rebuild or an update sees the deletion."""
    ingest(store, "th-aoc", BRIDGED)
    rebuild_networks(store, now=NOW)
    pair = {members: nid for nid, _, members in _networks(store)}[("b1", "b2")]
    _delete(store, "th-aoc", "b1", "b2")
    link(store, now=NOW)
    assert _status(store)[pair] == "dissolved"
    ingest(store, "th-aoc", [report(f"c{i}", ("phone", "0833333333")) for i in (1, 2)])
    update_networks(store, now=NOW)
    [new] = [nid for nid, _, members in _networks(store) if members == ("c1", "c2")]
    assert new > pair


def test_growth_is_counted_as_of_the_update_that_grows_a_network(
    store: Store, ingest: Ingest
) -> None:
    """Linked on 1 February, both January reports were recent; a report joining on 19 February
    is counted with the members of the 30 days up to then: a2 (20 January, 00:00, exactly 30
    days before) no longer is, a3 (19 February, the run's time) is."""
    ingest(
        store,
        "th-aoc",
        [
            report("a1", ("phone", "0812345678"), day=10),
            report("a2", ("phone", "0812345678"), day=20),
        ],
    )
    rebuild_networks(store, now=NOW)
    later = datetime(2025, 2, 19, tzinfo=UTC)
    ingest(store, "th-aoc", [report("a3", ("phone", "0812345678"), month=2, day=19)])
    update_networks(store, now=later)
    [grown] = list_networks(store, OP, now=later).networks
    rebuild_networks(store, now=later)
    [rebuilt] = list_networks(store, OP, now=later).networks
    assert grown.stats.growth_30d == rebuilt.stats.growth_30d == 1
    assert grown.stats.score == rebuilt.stats.score

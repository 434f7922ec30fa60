"""How many reports mention a value that does not link, as the operator is told it after updates
(helper-124's review): the same as after a rebuild, and the node's count now."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.linking import get_network, list_networks, pin_value, rebuild_networks, update_networks
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
RING, PINNED, HOTLINE = "+66811111111", "+66822222222", "+6628888888"  # hotline: hotlines-th


def _counts(store: Store) -> dict[str, tuple[str, int]]:
    """Of the one network: canonical -> (reason, report count) of every value not linking."""
    [network] = list_networks(store, OP, now=NOW).networks
    doc = get_network(store, OP, network.id, now=NOW).to_json()
    return {n["canonical"]: (n["reason"], n["report_count"]) for n in doc["not_linking"]}


def _delete(store: Store, report_id: str) -> None:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == "th-aoc")
        ).scalar_one()
    analyst = Viewer(org_id=org_id, org_name="th-aoc", role=ApiRole.ANALYST)
    delete_report(store, analyst, "th-aoc", report_id)


def test_a_pinned_value_counts_every_report_that_mentions_it_after_an_update(
    store: Store, ingest: Ingest
) -> None:
    """The update recorded the pin's stop with the one report that mentioned it then, and never
    counted again: the network of two reports that both mention it said 1 (a rebuild, 2)."""
    rebuild_networks(store, now=NOW)
    pin_value(store, "phone", PINNED, link=False)
    ingest(store, "th-aoc", [report("r1", ("phone", RING), ("phone", PINNED))])
    update_networks(store, now=NOW)
    ingest(store, "th-aoc", [report("r2", ("phone", RING), ("phone", PINNED))])
    update_networks(store, now=NOW)
    assert _counts(store) == {PINNED: ("pin", 2)}
    rebuild_networks(store, now=NOW)
    assert _counts(store) == {PINNED: ("pin", 2)}


def test_a_listed_value_counts_every_report_that_mentions_it_after_an_update(
    store: Store, ingest: Ingest
) -> None:
    """A bank's hotline, mentioned by a lone report, then by two members of a ring, and the
    lone report withdrawn: 3, then 2 reports mention it (the update said 1 both times)."""
    ingest(store, "th-aoc", [report("lone", ("phone", HOTLINE))])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", [report(f"r{i}", ("phone", RING), ("phone", HOTLINE)) for i in (1, 2)])
    update_networks(store, now=NOW)
    assert _counts(store) == {HOTLINE: ("warning_list", 3)}
    _delete(store, "lone")
    update_networks(store, now=NOW)
    assert _counts(store) == {HOTLINE: ("warning_list", 2)}
    rebuild_networks(store, now=NOW)
    assert _counts(store) == {HOTLINE: ("warning_list", 2)}

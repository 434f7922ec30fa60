"""The update's fast path (new reports joining one network) runs the hub test as a relink does:
a value that reaches a third ring, one report in each, is shared infrastructure there too, and
never merges the rings, however the reports arrive (one ingest per ring, or one batch)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers
from bigfish.store.schema_linking import stopped_values
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
HUB = ("phone", "0899999999")


def _ring(name: str, phone: str, *, hub: bool = True) -> list[dict[str, object]]:
    """Two reports sharing PHONE; the first also mentions the hub."""
    first = (("phone", phone), HUB) if hub else (("phone", phone),)
    return [report(f"{name}1", *first), report(f"{name}2", ("phone", phone))]


def _networks(store: Store) -> list[tuple[str, ...]]:
    page = list_networks(store, OP, now=NOW)
    return sorted(tuple(sorted(r.report_id for r in n.reports)) for n in page.networks)


def _stop_reason(store: Store) -> str | None:
    query = (
        sa.select(stopped_values.c.reason)
        .join(identifiers, identifiers.c.id == stopped_values.c.identifier_id)
        .where(identifiers.c.canonical == "+66899999999")
    )
    with store.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


RINGS = [("a1", "a2"), ("b1", "b2"), ("c1", "c2")]


def test_a_third_ring_reached_by_the_hub_splits_off_as_a_rebuild_has_it(
    store: Store, ingest: Ingest
) -> None:
    ingest(store, "th-aoc", _ring("a", "0811111111") + _ring("b", "0822222222"))
    rebuild_networks(store, now=NOW)
    assert _networks(store) == [("a1", "a2", "b1", "b2")]  # two reports: no hub test yet
    ingest(store, "th-aoc", _ring("c", "0833333333"))
    update_networks(store, now=NOW)
    assert _networks(store) == RINGS
    assert _stop_reason(store) == "hub_groups"
    rebuild_networks(store, now=NOW)
    assert _networks(store) == RINGS


def test_one_batch_of_three_rings_and_their_hub_makes_three_networks(
    store: Store, ingest: Ingest
) -> None:
    rebuild_networks(store, now=NOW)  # the linking state exists: the ingest is an update
    ingest(
        store,
        "th-aoc",
        _ring("a", "0811111111") + _ring("b", "0822222222") + _ring("c", "0833333333"),
    )
    update_networks(store, now=NOW)
    assert _networks(store) == RINGS
    assert _stop_reason(store) == "hub_groups"


def test_a_ring_growing_by_its_own_phone_still_grows_in_place(store: Store, ingest: Ingest) -> None:
    ingest(store, "th-aoc", _ring("a", "0811111111", hub=False))
    rebuild_networks(store, now=NOW)
    [before] = list_networks(store, OP, now=NOW).networks
    ingest(store, "th-aoc", [report("a3", ("phone", "0811111111"))])
    update_networks(store, now=NOW)
    [after] = list_networks(store, OP, now=NOW).networks
    assert after.id == before.id
    assert _networks(store) == [("a1", "a2", "a3")]

"""Pins override the warning lists and the hub test, in the networks and in their explanation."""

from __future__ import annotations

from datetime import UTC, datetime

from bigfish.linking import get_network, list_networks, pin_value, rebuild_networks, update_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
HOTLINE = "+6628888888"  # on the shipped list hotlines-th


def _explained(store: Store) -> list[dict[str, object]]:
    return [
        get_network(store, OP, n.id, now=NOW).to_json()
        for n in list_networks(store, OP, now=NOW).networks
    ]


def test_a_listed_value_pinned_as_linking_links_and_is_explained(
    store: Store, ingest: Ingest
) -> None:
    ingest(
        store,
        "th-aoc",
        [report("h1", ("phone", "02-888-8888")), report("h2", ("phone", "02 888 8888"))],
    )
    pin_value(store, "phone", HOTLINE, link=True, note="spoofed by one ring")
    rebuild_networks(store, now=NOW)
    [doc] = _explained(store)
    assert doc["report_count"] == 2
    assert [(i["canonical"], i["report_count"]) for i in doc["identifiers"]] == [(HOTLINE, 2)]
    assert len(doc["spanning_links"]) == 1
    assert doc["spanning_links"][0]["identifier"]["canonical"] == HOTLINE
    assert doc["not_linking"] == []


def test_a_pin_made_after_the_value_was_stopped_is_explained_by_the_update(
    store: Store, ingest: Ingest
) -> None:
    ingest(
        store,
        "th-aoc",
        [
            report("h1", ("phone", "02-888-8888"), ("phone", "0812345678")),
            report("h2", ("phone", "0812345678")),
        ],
    )
    rebuild_networks(store, now=NOW)  # the hotline is stopped by its list
    pin_value(store, "phone", HOTLINE, link=True)
    ingest(store, "th-aoc", [report("h3", ("phone", "02 888 8888"))])
    update_networks(store, now=NOW)
    [doc] = _explained(store)
    assert doc["report_count"] == 3
    assert len(doc["spanning_links"]) == 2
    assert {link["identifier"]["canonical"] for link in doc["spanning_links"]} == {
        HOTLINE,
        "+66812345678",
    }
    assert doc["not_linking"] == []

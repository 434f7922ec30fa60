"""A value an update stops no longer holds a network together (helper-124's review).

The update records a stop for a value of the reports it links (a pin, a warning list, the degree
limit). A network that value had joined was left as it was, explained without it: listed with
its reports, but with no link between them, and the value named as one that does not link."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bigfish.linking import (
    HubPolicy,
    get_network,
    list_networks,
    load_warning_lists,
    pin_value,
    rebuild_networks,
    update_networks,
)
from bigfish.linking.explain import Join, connected_parts
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
RING, OTHER, SHOP = "0811111111", "0899999999", "0877777777"


def _docs(store: Store) -> list[dict[str, Any]]:
    return [
        get_network(store, OP, n.id, now=NOW).to_json()
        for n in list_networks(store, OP, now=NOW).networks
    ]


def _members(store: Store) -> list[tuple[str, ...]]:
    return sorted(tuple(sorted(r["report_id"] for r in doc["reports"])) for doc in _docs(store))


def _unexplained(store: Store) -> list[tuple[str, ...]]:
    """Networks whose links do not connect all their reports (an affidavit could not be
    written), by their members."""
    out = []
    for doc in _docs(store):
        reports = [r["report_id"] for r in doc["reports"]]
        links = [
            Join(i, "", "", tuple(reports.index(r["report_id"]) for r in link["reports"]))
            for i, link in enumerate(doc["links"])
        ]
        if len(connected_parts(range(len(reports)), links)) != 1:
            out.append(tuple(sorted(reports)))
    return out


def test_a_value_pinned_then_mentioned_again_no_longer_holds_its_network(
    store: Store, ingest: Ingest
) -> None:
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", RING)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    pin_value(store, "phone", RING, country="TH", link=False, note="victims' bank")
    ingest(store, "th-aoc", [report("n", ("phone", RING), ("phone", OTHER))])
    update_networks(store, now=NOW)
    assert _unexplained(store) == []
    assert _members(store) == []
    rebuild_networks(store, now=NOW)
    assert _members(store) == []


def test_a_value_newly_listed_then_mentioned_again_no_longer_holds_its_network(
    store: Store, ingest: Ingest, tmp_path: Path
) -> None:
    """The operator adds the value to a list of their own (BIGFISH_WARNING_LISTS), which every
    later update uses; the ring it alone joined comes apart when the next report names it."""
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", RING)) for i in (1, 2)])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", OTHER), ("phone", RING)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    assert _members(store) == [("a1", "a2", "b1", "b2")]
    folder = tmp_path / "lists"
    folder.mkdir()
    ours = {"name": "ours", "type": "exact", "kinds": ["phone"], "country": "TH", "list": [RING]}
    (folder / "ours.json").write_text(json.dumps(ours), encoding="utf-8")
    lists = load_warning_lists([folder])
    ingest(store, "th-aoc", [report("n", ("phone", RING))])
    update_networks(store, now=NOW, warning_lists=lists)
    assert _unexplained(store) == []
    assert _members(store) == [("b1", "b2")]
    rebuild_networks(store, now=NOW, warning_lists=lists)
    assert _members(store) == [("b1", "b2")]


def test_a_value_past_the_degree_limit_no_longer_holds_its_network(
    store: Store, ingest: Ingest
) -> None:
    """The last rebuild's limit is 3 reports here; a fourth report of the ring's phone puts it
    above, and the update stops it as a hub: the ring it alone joined is not left standing on
    it. (A rebuild computes a new limit from the new degrees, 4 here, and may link it again:
    the documented margin; what is checked is that the update's own networks are explained.)"""
    policy = HubPolicy(min_degree_cap=3, degree_factor=1.0)
    rows = [report(f"a{i}", ("phone", RING)) for i in (1, 2, 3)]
    rows += [report(f"p{i}{k}", ("phone", f"08200000{i}{i}")) for i in range(1, 9) for k in (1, 2)]
    ingest(store, "th-aoc", rows)
    rebuild_networks(store, now=NOW, policy=policy)
    assert ("a1", "a2", "a3") in _members(store)
    ingest(store, "th-aoc", [report("n", ("phone", RING), ("phone", OTHER))])
    update_networks(store, now=NOW, policy=policy)
    assert _unexplained(store) == []
    assert ("a1", "a2", "a3") not in _members(store)


def test_a_listed_value_pinned_as_linking_joins_every_report_of_it_when_an_update_relinks_one(
    store: Store, ingest: Ingest, tmp_path: Path
) -> None:
    """The reverse: a relink lifted the stop of a listed value pinned --link, but joined only
    the affected reports through it: its other reports stayed in another network, the value
    now linking and its reports in two networks (a rebuild merges them)."""
    folder = tmp_path / "lists"
    folder.mkdir()
    ours = {"name": "ours", "type": "exact", "kinds": ["phone"], "country": "TH", "list": [SHOP]}
    (folder / "ours.json").write_text(json.dumps(ours), encoding="utf-8")
    lists = load_warning_lists([folder])
    ingest(
        store,
        "th-aoc",
        [report("a1", ("phone", RING), ("phone", SHOP)), report("a2", ("phone", RING))],
    )
    ingest(
        store,
        "th-aoc",
        [report("b1", ("phone", OTHER), ("phone", SHOP)), report("b2", ("phone", OTHER))],
    )
    rebuild_networks(store, now=NOW, warning_lists=lists)
    assert _members(store) == [("a1", "a2"), ("b1", "b2")]
    pin_value(store, "phone", SHOP, country="TH", link=True, note="the ring's own shop")
    ingest(store, "th-aoc", [report("a2", ("phone", RING), loss="100")])  # sent again, changed
    update_networks(store, now=NOW, warning_lists=lists)
    assert _members(store) == [("a1", "a2", "b1", "b2")]
    rebuild_networks(store, now=NOW, warning_lists=lists)
    assert _members(store) == [("a1", "a2", "b1", "b2")]

"""A split is in both networks' histories: the piece's (`split`, from the parent) and the
parent's (`split_into`, the piece). It was recorded under the piece only, so `bigfish network
PARENT` said nothing of the reports that left it (helper-98's review)."""

from __future__ import annotations

import numpy as np

from bigfish.linking import get_network, rebuild_networks, update_networks
from bigfish.linking.networks import EventKind, assign_ids
from bigfish.store import Store
from tests.linking.conftest import Ingest, report
from tests.linking.test_networks_store import NOW, OP, RING_A, _ids


def test_the_parent_records_what_split_off_under_the_id_it_keeps() -> None:
    # 9 splits (the larger piece keeps 9; 10 is new); 5 absorbs 7, and 7's split-off piece
    # is recorded under 5, the id 7's main part now has.
    old = np.array([5, 5, 7, 7, 7, 7, 9, 9, 9])
    new = np.array([0, 0, 0, 0, 0, 3, 1, 1, 2])
    result = assign_ids(new, old, next_id=10)
    kinds = {(e.kind, e.network_id, e.other_ids) for e in result.events}
    assert (EventKind.SPLIT, 10, (9,)) in kinds
    assert (EventKind.SPLIT_INTO, 9, (10,)) in kinds
    assert (EventKind.SPLIT, 11, (7,)) in kinds
    assert (EventKind.SPLIT_INTO, 5, (11,)) in kinds


def test_network_parent_shows_the_split(store: Store, ingest: Ingest) -> None:
    ingest(
        store, "th-aoc", [*RING_A[:2], report("c", ("phone", "0812345678"), ("url", "scam.xyz/a"))]
    )
    ingest(
        store, "th-aoc", [report("d", ("url", "scam.xyz/a")), report("e", ("url", "scam.xyz/a"))]
    )
    rebuild_networks(store, now=NOW)
    [(parent, _)] = _ids(store)
    ingest(store, "th-aoc", [report("c", ("url", "scam.xyz/a"))])  # c never named the phone
    update_networks(store, now=NOW)
    [child] = [nid for nid, _ in _ids(store) if nid != parent]
    parent_events = get_network(store, OP, parent, now=NOW).to_json()["events"]
    child_events = get_network(store, OP, child, now=NOW).to_json()["events"]
    assert [(e["kind"], e["other_ids"]) for e in parent_events] == [
        ("created", []),
        ("split_into", [child]),
    ]
    assert "split off into network" in parent_events[1]["detail"]
    assert [(e["kind"], e["other_ids"]) for e in child_events] == [("split", [parent])]

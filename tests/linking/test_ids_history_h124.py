"""Network ids and their history at the edges (helper-124's review): three networks merged at
once, a merge split back, a split whose pieces tie, and the id an investigator cited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bigfish.linking import get_network, list_networks, rebuild_networks, update_networks
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_linking import network_events, networks
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()
A, B, C = "0811111111", "0822222222", "0833333333"
LINKS = [rebuild_networks, update_networks]
Link = Callable[..., object]


def _networks(store: Store) -> dict[tuple[str, ...], int]:
    """Members -> id of every active network."""
    page = list_networks(store, OP, now=NOW)
    return {tuple(sorted(r.report_id for r in n.reports)): n.id for n in page.networks}


def _cited(store: Store, network_id: int) -> tuple[str, ...]:
    """The members of the network an investigator who cited NETWORK_ID is shown."""
    doc = get_network(store, OP, network_id, now=NOW).to_json()
    return tuple(sorted(r["report_id"] for r in doc["reports"]))


def _events(store: Store) -> list[tuple[str, int, tuple[int, ...]]]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(network_events).order_by(network_events.c.id))
        return [(r.kind, r.network_id, tuple(r.other_ids or ())) for r in rows]


def _status(store: Store) -> dict[int, tuple[str, int | None]]:
    with store.connect() as conn:
        query = sa.select(networks.c.id, networks.c.status, networks.c.merged_into)
        return {r.id: (r.status, r.merged_into) for r in conn.execute(query)}


def _delete(store: Store, *report_ids: str) -> None:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == "th-aoc")
        ).scalar_one()
    analyst = Viewer(org_id=org_id, org_name="th-aoc", role=ApiRole.ANALYST)
    for report_id in report_ids:
        delete_report(store, analyst, "th-aoc", report_id)


def _rings(store: Store, ingest: Ingest) -> tuple[int, int, int]:
    """Three rings, made one after another: ids a < b < c."""
    for name, phone in (("a", A), ("b", B), ("c", C)):
        ingest(store, "th-aoc", [report(f"{name}{i}", ("phone", phone)) for i in (1, 2)])
        rebuild_networks(store, now=NOW)
    ids = _networks(store)
    return ids[("a1", "a2")], ids[("b1", "b2")], ids[("c1", "c2")]


@pytest.mark.parametrize("link", LINKS)
def test_three_networks_merged_at_once_keep_the_oldest_id(
    store: Store, ingest: Ingest, link: Link
) -> None:
    a, b, c = _rings(store, ingest)
    ingest(store, "th-aoc", [report("x", ("phone", C), ("phone", A), ("phone", B))])
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2", "b1", "b2", "c1", "c2", "x"): a}
    assert ("merged", a, (b, c)) in _events(store)
    assert _status(store)[b] == ("merged", a) and _status(store)[c] == ("merged", a)
    assert _cited(store, b) == _cited(store, c) == _cited(store, a)


@pytest.mark.parametrize("link", LINKS)
def test_a_merge_split_back_leads_each_cited_id_to_its_own_ring(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b merged into a, then the bridge is withdrawn: a keeps its id, b's reports take back the
    id they had (helper-125: the piece holding a merged id's anchor), recorded as split from a."""
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2, 3)])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    ids = _networks(store)
    a, b = ids[("a1", "a2", "a3")], ids[("b1", "b2")]
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    _delete(store, "x")
    link(store, now=NOW)
    after = _networks(store)
    assert after[("a1", "a2", "a3")] == a
    assert after[("b1", "b2")] == b
    assert ("split", b, (a,)) in _events(store)
    assert _cited(store, a) == ("a1", "a2", "a3")
    assert _cited(store, b) == ("b1", "b2")


@pytest.mark.parametrize("link", LINKS)
def test_a_merge_split_back_twice_leads_each_cited_id_to_its_own_ring(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b's reports merged away and split back twice: each time they take back b's id, which
    leads to b's ring (before helper-125 each split gave them a new id, each to lead there)."""
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2, 3)])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    cited = [_networks(store)[("b1", "b2")]]
    for bridge in ("x", "y"):
        ingest(store, "th-aoc", [report(bridge, ("phone", A), ("phone", B))])
        link(store, now=NOW)
        _delete(store, bridge)
        link(store, now=NOW)
        cited.append(_networks(store)[("b1", "b2")])
    assert cited == [cited[0]] * 3
    for nid in cited:
        assert _cited(store, nid) == ("b1", "b2"), nid


@pytest.mark.parametrize("link", LINKS)
def test_a_split_into_equal_pieces_leaves_the_id_with_the_earliest_report(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """A tie in size: the piece holding the earliest stored report keeps the id, whichever
    run relinks it, and the other is recorded as split off."""
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    [nid] = _networks(store).values()
    _delete(store, "x")
    link(store, now=NOW)
    after = _networks(store)
    assert after[("a1", "a2")] == nid
    assert ("split", after[("b1", "b2")], (nid,)) in _events(store)
    assert ("split_into", nid, (after[("b1", "b2")],)) in _events(store)

"""A merge split back restores each id to its own ring (helper-125): on a split, the piece holding
an id's anchor (the earliest report still there of those it held when it first merged) keeps or
takes back that id, whichever piece is larger, even after that earliest report is withdrawn."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.errors import NotFound
from bigfish.linking import incremental, rebuild_networks, service, update_networks
from bigfish.store import Store, metadata
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_rings
from tests.linking.conftest import Ingest, miscounted, report
from tests.linking.test_concurrent_deletion import _delete_after
from tests.linking.test_ids_history_h124 import (
    LINKS,
    NOW,
    A,
    B,
    C,
    Link,
    _cited,
    _delete,
    _events,
    _networks,
    _status,
)
from tests.store.test_migrations import run_migration


def _two_rings(store: Store, ingest: Ingest, a: int, b: int) -> tuple[int, int]:
    """Ring a of A reports made first, then ring b of B reports: their ids."""
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in range(1, a + 1)])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in range(1, b + 1)])
    rebuild_networks(store, now=NOW)
    ids = _networks(store)
    return ids[tuple(f"a{i}" for i in range(1, a + 1))], ids[
        tuple(f"b{i}" for i in range(1, b + 1))
    ]


@pytest.mark.parametrize("link", LINKS)
def test_a_merge_split_back_gives_the_older_id_back_to_the_smaller_older_ring(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """a (2 reports) is older than b (3): merged into a's id, then the bridge is withdrawn. The
    larger b piece does not keep a's id: each ring is back under its own, the split recorded."""
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2", "b1", "b2", "b3", "x"): a}
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2"): a, ("b1", "b2", "b3"): b}
    assert _status(store)[b] == ("active", None)
    assert ("split", b, (a,)) in _events(store)
    assert ("split_into", a, (b,)) in _events(store)
    assert _cited(store, a) == ("a1", "a2")
    assert _cited(store, b) == ("b1", "b2", "b3")


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_whose_earliest_report_is_withdrawn_comes_back_with_its_ring(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b merged into a; b's earliest report is withdrawn, then the bridge: b's remaining
    reports take b's id back, and the id b had leads to them, not to a's ring."""
    a, b = _two_rings(store, ingest, 4, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    _delete(store, "b1")
    link(store, now=NOW)
    assert _cited(store, b) == ("a1", "a2", "a3", "a4", "b2", "b3", "x")
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2", "a3", "a4"): a, ("b2", "b3"): b}
    assert _cited(store, a) == ("a1", "a2", "a3", "a4")
    assert _cited(store, b) == ("b2", "b3")


@pytest.mark.parametrize("link", LINKS)
def test_three_rings_merged_and_split_back_each_take_their_id(
    store: Store, ingest: Ingest, link: Link
) -> None:
    ids = {}
    for name, phone, size in (("a", A, 2), ("b", B, 4), ("c", C, 3)):
        ingest(store, "th-aoc", [report(f"{name}{i}", ("phone", phone)) for i in range(size)])
        rebuild_networks(store, now=NOW)
        ids[name] = _networks(store)[tuple(f"{name}{i}" for i in range(size))]
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B), ("phone", C))])
    link(store, now=NOW)
    assert list(_networks(store).values()) == [ids["a"]]
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {
        ("a0", "a1"): ids["a"],
        ("b0", "b1", "b2", "b3"): ids["b"],
        ("c0", "c1", "c2"): ids["c"],
    }


@pytest.mark.parametrize("link", LINKS)
def test_two_merged_ids_split_off_together_the_older_comes_back(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b and c merged into a one after another, then a is cut from b and c (which a report of
    their own joins): b comes back with both rings, and c leads to it."""
    ids = {}
    for name, phone in (("a", A), ("b", B), ("c", C)):
        ingest(store, "th-aoc", [report(f"{name}{i}", ("phone", phone)) for i in (1, 2, 3)])
        rebuild_networks(store, now=NOW)
        ids[name] = _networks(store)[(f"{name}1", f"{name}2", f"{name}3")]
    ingest(store, "th-aoc", [report("y", ("phone", B), ("phone", C))])
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    assert list(_networks(store).values()) == [ids["a"]]
    _delete(store, "x")
    link(store, now=NOW)
    bc = ("b1", "b2", "b3", "c1", "c2", "c3", "y")
    assert _networks(store) == {("a1", "a2", "a3"): ids["a"], bc: ids["b"]}
    assert _cited(store, ids["c"]) == bc
    assert _status(store)[ids["c"]] == ("merged", ids["b"])


@pytest.mark.parametrize("link", LINKS)
def test_a_ring_split_back_while_it_joins_a_newer_network_takes_its_id_back_and_the_older(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """In one run the bridge from a to b is withdrawn and a report joins b to c, made after b:
    b's ring takes its id back and absorbs c (the older id survives), recorded as a merge."""
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    ingest(store, "th-aoc", [report(f"c{i}", ("phone", C)) for i in (1, 2)])
    link(store, now=NOW)
    c = _networks(store)[("c1", "c2")]
    ingest(store, "th-aoc", [report("y", ("phone", B), ("phone", C))])
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {
        ("a1", "a2"): a,
        ("b1", "b2", "b3", "c1", "c2", "y"): b,
    }
    assert ("merged", b, (c,)) in _events(store)
    assert _cited(store, c) == ("b1", "b2", "b3", "c1", "c2", "y")


@pytest.mark.parametrize("link", LINKS)
def test_a_network_that_never_merged_splits_as_before_the_larger_piece_keeps_the_id(
    store: Store, ingest: Ingest, link: Link
) -> None:
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2, 3)])
    rebuild_networks(store, now=NOW)
    [nid] = _networks(store).values()
    _delete(store, "x")
    link(store, now=NOW)
    after = _networks(store)
    assert after[("b1", "b2", "b3")] == nid
    assert ("split", after[("a1", "a2")], (nid,)) in _events(store)


def test_0020_network_rings_starts_from_the_part_rows_of_merged_ids(
    store: Store, ingest: Ingest
) -> None:
    """A store merged before migration 0020 knows each merged id by the report of its part row:
    upgraded, that report is the id's ring, and a split back gives the id back."""
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    run_migration(store, "downgrade", "0019")
    assert "network_rings" not in sa.inspect(store.engine).get_table_names()
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(network_rings.c.network_id, reports.c.report_id).join(
                reports, reports.c.id == network_rings.c.report_pk
            )
        )
        assert sorted(tuple(r) for r in rows) == [(b, "b1")]
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    _delete(store, "x")
    rebuild_networks(store, now=NOW)
    assert _networks(store) == {("a1", "a2"): a, ("b1", "b2", "b3"): b}


def test_a_ring_report_deleted_while_the_update_merges_passes_the_anchor_on(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b1 is deleted once the update that merges b into a has linked, before it writes b's
    ring: the deletion waits for the run (PostgreSQL: the run holds b1; SQLite: its write
    lock), the ring is written whole and loses b1 with it; split back, b2 anchors b."""
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    join_deletion = _delete_after(monkeypatch, incremental, "_relink", store, "b1")
    update_networks(store, now=NOW)
    join_deletion()
    monkeypatch.undo()
    update_networks(store, now=NOW)  # sees the deletion
    assert _networks(store) == {("a1", "a2", "b2", "b3", "x"): a}
    assert miscounted(store) == []
    _delete(store, "x")
    update_networks(store, now=NOW)
    assert _networks(store) == {("a1", "a2"): a, ("b2", "b3"): b}


@pytest.mark.postgres
def test_a_ring_report_deleted_while_the_rebuild_merges_passes_the_anchor_on(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above for a rebuild (PostgreSQL): b1 is deleted after it has linked, before it
    writes; the rebuild holds b1 (a ring report), so the deletion waits for it."""
    store = pg_store
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    join_deletion = _delete_after(monkeypatch, service, "_link", store, "b1")
    rebuild_networks(store, now=NOW)
    join_deletion()
    monkeypatch.undo()
    rebuild_networks(store, now=NOW)
    _delete(store, "x")
    rebuild_networks(store, now=NOW)
    assert _networks(store) == {("a1", "a2"): a, ("b2", "b3"): b}


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_whose_ring_left_every_network_leads_nowhere(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b (two reports) merged into a; b1 is withdrawn, then the bridge: b2 alone is in no
    network. The id b had must not lead to a's ring (404, as while b1 was there)."""
    a, b = _two_rings(store, ingest, 3, 2)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    _delete(store, "b1")
    link(store, now=NOW)
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2", "a3"): a}
    with pytest.raises(NotFound):
        _cited(store, b)
    assert _status(store)[b] == ("dissolved", None)


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_keeps_leading_to_its_ring_when_its_earliest_report_stops_linking(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b1, b's anchor, no longer names B (updated): it leaves the merged network, the rest
    of b's ring stays in it; split back later, b comes back with b2 and b3."""
    a, b = _two_rings(store, ingest, 2, 3)
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    ingest(store, "th-aoc", [report("b1", ("phone", "0844444444"))])
    link(store, now=NOW)
    assert _cited(store, b) == ("a1", "a2", "b2", "b3", "x")
    _delete(store, "x")
    link(store, now=NOW)
    assert _networks(store) == {("a1", "a2"): a, ("b2", "b3"): b}

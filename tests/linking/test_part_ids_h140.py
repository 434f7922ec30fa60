"""A viewer's part ids (`bigfish.linking.parts`), the gaps helper-136 left (helper-140): a part
id given out before part ids kept a ring gets one when a viewer is shown it, so that it too
survives its first report's deletion; and a group that an older report joins keeps its id (the
part row stays at the report that kept it, now not the group's first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bigfish.errors import NotFound
from bigfish.linking import get_network, rebuild_networks
from bigfish.linking import parts as parts_module
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_rings
from tests.linking.conftest import Ingest, report
from tests.linking.test_ids_history_h124 import LINKS, NOW, A, B, C, Link
from tests.linking.test_part_ids_h136 import (
    OP,
    RELINKS,
    SHARED,
    _glued,
    _opened,
    _org,
    _part_row,
    _seen,
)


def _ring(store: Store, network_id: int) -> set[str]:
    """The report ids of NETWORK_ID's ring (`network_rings`)."""
    with store.connect() as conn:
        query = (
            sa.select(reports.c.report_id)
            .join(network_rings, network_rings.c.report_pk == reports.c.id)
            .where(network_rings.c.network_id == network_id)
        )
        return set(conn.execute(query).scalars())


def _as_before_rings(store: Store, part: int) -> None:
    """PART as a release before part rings left it: a part row, no ring."""
    with store.begin() as conn:
        conn.execute(network_rings.delete().where(network_rings.c.network_id == part))


def _pk(store: Store, report_id: str) -> int:
    with store.connect() as conn:
        query = sa.select(reports.c.id).where(reports.c.report_id == report_id)
        return int(conn.execute(query).scalar_one())


@pytest.mark.parametrize("relink", RELINKS)
def test_a_part_id_given_out_before_rings_keeps_its_group_once_read(
    store: Store, ingest: Ingest, relink: Link | None
) -> None:
    """B's part (c1..c4) has a part row and no ring, as an upgraded store holds it. B reads:
    the ring is recorded then. c1 (its part row's report) is deleted: the group keeps the id
    (it was given a new one: no ring told which group takes the id back)."""
    b, whole, part = _glued(store, ingest)
    _as_before_rings(store, part)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c3", "c4"): part}
    delete_report(store, b, "org-b", "c1")
    if relink is not None:
        relink(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3", "c4"): part}
    assert _opened(store, b, part) == ("c2", "c3", "c4")


def test_a_part_id_given_out_before_rings_gets_one_when_opened(
    store: Store, ingest: Ingest
) -> None:
    """Opening the id (GET /networks/{id}) is a read that shows the group too."""
    b, whole, part = _glued(store, ingest)
    _as_before_rings(store, part)
    assert _opened(store, b, part) == ("c1", "c2", "c3", "c4")
    delete_report(store, b, "org-b", "c1")
    assert _opened(store, b, part) == ("c2", "c3", "c4")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3", "c4"): part}


def test_a_ring_not_recorded_while_a_link_run_holds_the_lock_is_recorded_at_a_later_read(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock rule of part ids: a read never waits for a link run; the id is shown all the
    same (its row keeps it), and the next read records the ring."""
    b, whole, part = _glued(store, ingest)
    _as_before_rings(store, part)
    try_lock = parts_module._try_lock

    def held(conn: Connection) -> bool:
        return False

    monkeypatch.setattr(parts_module, "_try_lock", held)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c3", "c4"): part}
    assert _ring(store, part) == set()
    monkeypatch.setattr(parts_module, "_try_lock", try_lock)
    _seen(store, b)
    assert _ring(store, part) == {"c1", "c2", "c3", "c4"}


def test_a_ring_is_not_recorded_for_a_group_one_of_whose_reports_went_meanwhile(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report of the group is deleted between the read and the ring's writing: no ring row
    names it (its foreign key failed the read); the next read records the group's ring."""
    b, whole, part = _glued(store, ingest)
    _as_before_rings(store, part)
    record = parts_module._record_rings

    def deleting_first(engine: Engine, rings: Mapping[int, Sequence[int]]) -> None:
        monkeypatch.setattr(parts_module, "_record_rings", record)
        delete_report(store, b, "org-b", "c3")
        record(engine, rings)

    monkeypatch.setattr(parts_module, "_record_rings", deleting_first)
    _seen(store, b)
    assert _ring(store, part) == set()
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c4"): part}
    assert _ring(store, part) == {"c1", "c2", "c4"}


def test_a_merged_id_seen_as_a_part_gets_no_ring_from_a_read(store: Store, ingest: Ingest) -> None:
    """A merged-away id's ring is the link runs' (it decides which piece takes the id back
    on a split): a read leaves it as the merge recorded it."""
    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3)])
    rebuild_networks(store, now=NOW)
    merged = _seen(store, b)[("c1", "c2", "c3")]
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    ring = _ring(store, merged)
    _as_before_rings(store, merged)
    assert _seen(store, b)[("c1", "c2", "c3")] == merged
    assert _ring(store, merged) == set() != ring


def _older_report_links_in(
    store: Store, ingest: Ingest, link: Link
) -> tuple[Viewer, Viewer, int, int]:
    """B's (b1, b2) and (c2, c3, c4), joined by H's private report: B sees (c2..c4) apart,
    under a part id kept at c2; V, shown (b1, b2) and (c2, c3) (the shared ones), sees the
    latter under the same id (its first report is c2 too). B's c1, stored before c2 and in
    no network, is sent again naming c2's phone: it links into B's group, and is its first
    report now. (B, V, the network's id, the part id.)"""
    b, v = _org(store, "org-b"), _org(store, "org-v")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)], SHARED)
    ingest(store, "org-b", [report("c1", ("phone", C))])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (2, 3)], SHARED)
    ingest(store, "org-b", [report("c4", ("phone", B))])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    by_b = _seen(store, b)
    whole, part = by_b[("b1", "b2")], by_b[("c2", "c3", "c4")]
    assert _seen(store, v) == {("b1", "b2"): whole, ("c2", "c3"): part}
    c1 = _pk(store, "c1")
    ingest(store, "org-b", [report("c1", ("phone", C), ("phone", B))])
    assert _pk(store, "c1") == c1 < _pk(store, "c2")  # rewritten in place: older than c2
    link(store, now=NOW)
    return b, v, whole, part


@pytest.mark.parametrize("link", LINKS)
def test_a_group_an_older_report_joins_keeps_its_id(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """B's group starts at c1 now, which keeps no part row: it was given a new id (the row at
    c2 kept the old one for no group of B's, and it answered B 404). It keeps the id; V's
    group, which still starts at c2, keeps it too: the row stays where it was."""
    b, v, whole, part = _older_report_links_in(store, ingest, link)
    members = ("c1", "c2", "c3", "c4")
    assert _seen(store, b) == {("b1", "b2"): whole, members: part}
    assert _opened(store, b, part) == members
    assert _seen(store, v) == {("b1", "b2"): whole, ("c2", "c3"): part}
    assert _opened(store, v, part) == ("c2", "c3")
    assert _part_row(store, part) == _pk(store, "c2")
    assert get_network(store, OP, part, now=NOW).summary.id == whole


@pytest.mark.parametrize("link", LINKS)
def test_a_group_an_older_report_joins_opens_under_its_id_before_any_list_is_read(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """B opens the id it bookmarked first: its group (was 404: the read gave the group a new id
    at c1, and the id's row at c2 led to a part shown under that one)."""
    b, _, whole, part = _older_report_links_in(store, ingest, link)
    assert _opened(store, b, part) == ("c1", "c2", "c3", "c4")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c3", "c4"): part}


@pytest.mark.parametrize("link", LINKS)
def test_a_group_an_older_report_joined_keeps_its_id_when_the_row_report_is_deleted(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """The report keeping the row (c2, not the group's first) is deleted: the id goes back to
    the group through its ring, and its row to the group's first report (c1)."""
    b, _, whole, part = _older_report_links_in(store, ingest, link)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c3", "c4"): part}
    delete_report(store, b, "org-b", "c2")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c3", "c4"): part}
    assert _part_row(store, part) == _pk(store, "c1")
    link(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c3", "c4"): part}
    assert _opened(store, b, part) == ("c1", "c3", "c4")


@pytest.mark.parametrize("link", LINKS)
def test_two_groups_joined_show_one_id_and_split_back_to_both(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """B's parts (c1, c2) and (d1, d2) are joined by B's report x: one group, under the id
    of its first report's row; the other id is shown for no group (404 to B, as a part id
    of a group B sees under another id). x deleted: each group under its own id again."""
    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"d{i}", ("phone", C)) for i in (1, 2)])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B), ("phone", C))])
    rebuild_networks(store, now=NOW)
    before = _seen(store, b)
    whole, first, second = before[("b1", "b2")], before[("c1", "c2")], before[("d1", "d2")]
    ingest(store, "org-b", [report("x", ("phone", B), ("phone", C))])
    link(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "d1", "d2", "x"): first}
    with pytest.raises(NotFound):
        get_network(store, b, second, now=NOW)
    delete_report(store, b, "org-b", "x")
    link(store, now=NOW)
    assert _seen(store, b) == before


@pytest.mark.parametrize("link", LINKS)
def test_a_row_further_in_goes_before_an_id_to_take_back_anchored_later(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """B sees (c2, c3, c4) under P (row at c2); V sees its own x with (c3, c4) under T (row at
    x). B's older c1 links in, and V's x is deleted: T's anchor passes to c3, in B's group
    too. B's group is kept by its earliest report that keeps an id, c2: it shows P, and V's
    (c3, c4) takes T back. (Taking T back first, B was shown V's T, and V a new id.)"""
    b, v = _org(store, "org-b"), _org(store, "org-v")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)], SHARED)
    ingest(store, "org-b", [report("c1", ("phone", C))])
    ingest(store, "org-b", [report("c2", ("phone", B))])
    ingest(store, "org-v", [report("x", ("phone", B))])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (3, 4)], SHARED)
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    by_b, by_v = _seen(store, b), _seen(store, v)
    whole, part = by_b[("b1", "b2")], by_b[("c2", "c3", "c4")]
    assert by_v == {("b1", "b2"): whole, ("c3", "c4", "x"): by_v[("c3", "c4", "x")]}
    theirs = by_v[("c3", "c4", "x")]
    ingest(store, "org-b", [report("c1", ("phone", C), ("phone", B))])
    link(store, now=NOW)
    delete_report(store, v, "org-v", "x")
    link(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c1", "c2", "c3", "c4"): part}
    assert _seen(store, v) == {("b1", "b2"): whole, ("c3", "c4"): theirs}
    assert _opened(store, v, theirs) == ("c3", "c4")

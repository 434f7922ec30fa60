"""A viewer's part ids (`bigfish.linking.parts`) survive deletions (helper-136): a part id, or a
merged-away id a viewer sees as a part, whose first report is deleted stays the id of the
group's other reports; it leads nowhere once none of them is left, and never to a network its
viewer sees whole. A merged-away id keeps a part row when the report it moves to keeps another
id. A dissolved id stays dissolved when its reports come back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bigfish.errors import NotFound
from bigfish.linking import get_network, list_networks, rebuild_networks, update_networks
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_parts
from tests.linking.conftest import Ingest, report
from tests.linking.test_ids_history_h124 import LINKS, NOW, A, B, Link, _events, _status

OP = Viewer.node_operator()
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
RELINKS: list[Link | None] = [None, *LINKS]  # no link run between, or one of each kind


def _org(store: Store, name: str) -> Viewer:
    return Viewer(add_org(store, name, country="TH").id, name, ApiRole.ANALYST)


def _seen(store: Store, viewer: Viewer) -> dict[tuple[str, ...], int]:
    """Members -> id of every network (or part) VIEWER is shown."""
    page = list_networks(store, viewer, now=NOW)
    return {tuple(sorted(r.report_id for r in n.reports)): n.id for n in page.networks}


def _opened(store: Store, viewer: Viewer, network_id: int) -> tuple[str, ...]:
    """The members VIEWER is shown when it opens NETWORK_ID."""
    doc = get_network(store, viewer, network_id, now=NOW).to_json()
    return tuple(sorted(r["report_id"] for r in doc["reports"]))


def _part_row(store: Store, network_id: int) -> int | None:
    """The report pk that keeps NETWORK_ID findable (`network_parts`), if any."""
    with store.connect() as conn:
        query = sa.select(network_parts.c.anchor_pk).where(network_parts.c.id == network_id)
        return conn.execute(query).scalar_one_or_none()


def _glued(store: Store, ingest: Ingest) -> tuple[Viewer, int, int]:
    """B's pair (b1, b2) and its ring c1-c4, joined by a report of H that B cannot see: B is
    shown them apart, (c1..c4) under a part id. (B, the network's id, the part id.)"""
    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3, 4)])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    seen = _seen(store, b)
    assert set(seen) == {("b1", "b2"), ("c1", "c2", "c3", "c4")}
    return b, seen[("b1", "b2")], seen[("c1", "c2", "c3", "c4")]


@pytest.mark.parametrize("relink", RELINKS)
def test_a_part_keeps_its_id_when_its_first_report_is_deleted(
    store: Store, ingest: Ingest, relink: Link | None
) -> None:
    """The part row goes with c1 (its report); the group's other reports keep the id, read
    after read and deletion after deletion, with or without a link run between."""
    b, whole, part = _glued(store, ingest)
    for gone, left in (("c1", ("c2", "c3", "c4")), ("c2", ("c3", "c4"))):
        delete_report(store, b, "org-b", gone)
        if relink is not None:
            relink(store, now=NOW)
        assert _seen(store, b) == {("b1", "b2"): whole, left: part}
        assert _seen(store, b) == {("b1", "b2"): whole, left: part}
        assert _opened(store, b, part) == left
    operator = get_network(store, OP, part, now=NOW)
    assert operator.summary.id == whole and operator.redirected_from == part


def test_a_part_whose_first_report_is_deleted_opens_before_any_list_is_read(
    store: Store, ingest: Ingest
) -> None:
    """An analyst opens the id it bookmarked before anything lists the networks again."""
    b, whole, part = _glued(store, ingest)
    delete_report(store, b, "org-b", "c1")
    assert _opened(store, b, part) == ("c2", "c3", "c4")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3", "c4"): part}


@pytest.mark.parametrize("link", LINKS)
def test_a_part_id_that_lost_its_first_report_leads_nowhere_once_its_viewer_sees_it_whole(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """H shares its report: B sees the network whole, and the part id it was given answers 404
    to it, as it does while its first report is there (`test_class03...b_may_see_the_link`):
    it led B to the whole network, telling that someone sees it in parts."""
    b, whole, part = _glued(store, ingest)
    delete_report(store, b, "org-b", "c1")
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))], SHARED)
    link(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2", "c2", "c3", "c4", "glue"): whole}
    with pytest.raises(NotFound):
        get_network(store, b, part, now=NOW)
    assert get_network(store, OP, part, now=NOW).summary.id == whole


@pytest.mark.parametrize("relink", RELINKS)
def test_a_part_none_of_whose_reports_is_left_leads_nowhere(
    store: Store, ingest: Ingest, relink: Link | None
) -> None:
    """Every report of the part deleted: its id names nothing, for B and for the operator
    (it led the operator to the network it was cut from, whose reports are others)."""
    b, whole, part = _glued(store, ingest)
    ingest(store, "org-b", [report("c5", ("phone", A))])  # the network stays
    rebuild_networks(store, now=NOW)
    for gone in ("c1", "c2", "c3", "c4"):
        delete_report(store, b, "org-b", gone)
    if relink is not None:
        relink(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2", "c5"): whole}
    for viewer in (b, OP):
        with pytest.raises(NotFound):
            get_network(store, viewer, part, now=NOW)


def _merged_as_a_part(store: Store, ingest: Ingest, link: Link) -> tuple[Viewer, int, int]:
    """B's networks (b1, b2) and (c1, c2, c3), merged by a report of H that B cannot see: B
    keeps seeing (c1..c3) under its id, merged away (`state.keep_part_ids`)."""
    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3)])
    rebuild_networks(store, now=NOW)
    before = _seen(store, b)
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    assert _seen(store, b) == before
    whole, merged = before[("b1", "b2")], before[("c1", "c2", "c3")]
    assert _status(store)[merged] == ("merged", whole)
    return b, whole, merged


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_seen_as_a_part_keeps_it_when_its_first_report_is_deleted(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """c1 (its part row's report) deleted, B reads before the next link run: (c2, c3) is still
    shown under the merged id, not a new one that the run then kept it from (the part row
    could not move to c2, which anchored that new id: the merged id 404 for B for good)."""
    b, whole, merged = _merged_as_a_part(store, ingest, link)
    delete_report(store, b, "org-b", "c1")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3"): merged}
    link(store, now=NOW)
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3"): merged}
    assert _opened(store, b, merged) == ("c2", "c3")
    assert get_network(store, OP, merged, now=NOW).summary.id == whole


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_seen_as_a_part_opens_after_its_first_report_is_deleted(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """B opens the merged id it bookmarked after c1 is deleted, before any list is read or a
    link run moves the id's row: it is shown (c2, c3), not 404 (merged_into leads to the network
    B sees in parts)."""
    b, whole, merged = _merged_as_a_part(store, ingest, link)
    delete_report(store, b, "org-b", "c1")
    assert _opened(store, b, merged) == ("c2", "c3")
    assert _seen(store, b) == {("b1", "b2"): whole, ("c2", "c3"): merged}
    assert get_network(store, OP, merged, now=NOW).summary.id == whole


@pytest.mark.parametrize("link", LINKS)
def test_a_merged_id_keeps_a_part_row_when_its_next_report_keeps_another_id(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """W's ring (c1 private, c2 and c3 shared) is merged into (b1, b2) by H's private report:
    W sees (c1..c3) under the merged id (its part row at c1); V, who cannot see c1, sees
    (c2, c3) under a part id (at c2). c1 is deleted: the link run moves the merged id's row
    to c2, which keeps V's id; it passed the row over (the operator still led to the survivor
    through merged_into) and the id that W cited became 404 for W. It moves to c3 now."""
    w, v = _org(store, "org-w"), _org(store, "org-v")
    _org(store, "org-h")
    ingest(store, "org-w", [report(f"b{i}", ("phone", A)) for i in (1, 2)], SHARED)
    rebuild_networks(store, now=NOW)
    ingest(store, "org-w", [report("c1", ("phone", B))])
    ingest(store, "org-w", [report(f"c{i}", ("phone", B)) for i in (2, 3)], SHARED)
    rebuild_networks(store, now=NOW)
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    by_w = _seen(store, w)
    whole, merged = by_w[("b1", "b2")], by_w[("c1", "c2", "c3")]
    part = _seen(store, v)[("c2", "c3")]
    assert part not in (whole, merged)
    delete_report(store, w, "org-w", "c1")
    link(store, now=NOW)
    assert _part_row(store, merged) is not None
    assert _opened(store, w, merged) == ("c2", "c3")  # shown where its reports are
    assert _seen(store, v) == {("b1", "b2"): whole, ("c2", "c3"): part}
    assert get_network(store, OP, merged, now=NOW).summary.id == whole


@pytest.mark.parametrize("link", LINKS)
def test_a_dissolved_id_stays_dissolved_when_its_reports_come_back(
    store: Store, ingest: Ingest, link: Link
) -> None:
    """b (b1, b2) merged into a; b1 deleted, then the bridge: b is dissolved (b2 in no
    network). b1 sent again links b2 again: a new network under a new id, recorded as created;
    b stays 404 to the operator and to the reports' organization (by design: see
    `bigfish.linking.networks`)."""
    th = _org(store, "th-aoc")
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2, 3)])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    b = _seen(store, OP)[("b1", "b2")]
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    link(store, now=NOW)
    for gone in ("b1", "x"):
        delete_report(store, th, "th-aoc", gone)
        link(store, now=NOW)
    assert _status(store)[b] == ("dissolved", None)
    ingest(store, "th-aoc", [report("b1", ("phone", B))])  # sent again
    link(store, now=NOW)
    again = _seen(store, OP)[("b1", "b2")]
    assert again != b and ("created", again, ()) in _events(store)
    assert _status(store)[b] == ("dissolved", None)
    for viewer in (OP, th):
        with pytest.raises(NotFound):
            get_network(store, viewer, b, now=NOW)


def test_part_rings_leave_link_runs_alone(store: Store, ingest: Ingest) -> None:
    """The reports a part id is given out for are kept as its ring (`network_rings`): link runs
    read rings, and must make the same networks whether or not viewers were given parts."""
    b, whole, part = _glued(store, ingest)
    delete_report(store, b, "org-b", "c1")
    _seen(store, b)
    ingest(store, "org-b", [report("c9", ("phone", B)), report("b9", ("phone", A))])
    update_networks(store, now=NOW)
    updated = _seen(store, OP)
    rebuild_networks(store, now=NOW)
    assert (
        _seen(store, OP) == updated == {("b1", "b2", "b9", "c2", "c3", "c4", "c9", "glue"): whole}
    )
    assert _seen(store, b) == {("b1", "b2", "b9"): whole, ("c2", "c3", "c4", "c9"): part}


@pytest.mark.parametrize("gone", ["c1", "c3"])
def test_a_report_deleted_while_a_part_id_is_given_out_leaves_the_part_to_a_later_read(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch, gone: str
) -> None:
    """A report of the group is deleted after the read found the group, before its id is given
    out: the group is left out of that answer (its part row and ring would name a report that
    is no more: the read failed on their foreign key), and the next read shows it."""
    from bigfish.linking import parts

    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3, 4)])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    give_out = parts._give_out

    def deleting_first(
        engine: Engine, groups: Mapping[int, Sequence[int]], network_of: Mapping[int, int]
    ) -> dict[int, int]:
        monkeypatch.setattr(parts, "_give_out", give_out)
        delete_report(store, b, "org-b", gone)
        return give_out(engine, groups, network_of)

    monkeypatch.setattr(parts, "_give_out", deleting_first)
    assert set(_seen(store, b)) == {("b1", "b2")}
    left = tuple(f"c{i}" for i in (1, 2, 3, 4) if f"c{i}" != gone)
    assert set(_seen(store, b)) == {("b1", "b2"), left}


def test_a_part_row_an_older_run_left_to_a_dissolved_id_leads_nowhere(
    store: Store, ingest: Ingest
) -> None:
    """A run before this rule kept a dissolved id's part row: the id is 404 all the same, an
    update leaves the row, and the next rebuild removes it (its report may keep another id)."""
    th = _org(store, "th-aoc")
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", A)) for i in (1, 2, 3)])
    rebuild_networks(store, now=NOW)
    ingest(store, "th-aoc", [report(f"b{i}", ("phone", B)) for i in (1, 2)])
    rebuild_networks(store, now=NOW)
    b = _seen(store, OP)[("b1", "b2")]
    ingest(store, "th-aoc", [report("x", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    delete_report(store, th, "th-aoc", "x")
    delete_report(store, th, "th-aoc", "b1")
    rebuild_networks(store, now=NOW)
    assert _status(store)[b] == ("dissolved", None)
    ingest(store, "th-aoc", [report("b3", ("phone", B))])
    update_networks(store, now=NOW)
    assert _seen(store, OP)[("b2", "b3")] != b
    with store.begin() as conn:  # as a run before the rule left it
        b2 = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "b2")).scalar_one()
        conn.execute(network_parts.insert().values(anchor_pk=b2, id=b))
    with pytest.raises(NotFound):
        get_network(store, OP, b, now=NOW)
    ingest(store, "th-aoc", [report("b4", ("phone", B))])
    update_networks(store, now=NOW)
    assert _part_row(store, b) is not None
    with pytest.raises(NotFound):
        get_network(store, OP, b, now=NOW)
    rebuild_networks(store, now=NOW)
    assert _part_row(store, b) is None

"""A viewer's parts of a network (`bigfish.linking.parts.MemberGraph.cut_for`): the numpy
computation over every network at once against the plain per-network reading of its rule."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.linking.explain import Join, connected_parts
from bigfish.linking.parts import MemberGraph
from bigfish.sharing import Audience, Viewer

AUDIENCES = (
    Audience(partnership=True, owner_org_id=None, group_id=None),
    Audience(partnership=False, owner_org_id=1, group_id=None),
    Audience(partnership=False, owner_org_id=2, group_id=None),
    Audience(partnership=False, owner_org_id=3, group_id=7),
)
VIEWERS = (
    Viewer(1, "one"),
    Viewer(2, "two", group_ids=frozenset({7})),
    Viewer(3, "three"),
    Viewer(4, "four"),
    Viewer.node_operator(),
)


def _plain(
    members: dict[int, tuple[int, int]], mentions: list[tuple[int, int]], viewer: Viewer
) -> dict[int, list[tuple[int, ...]]]:
    """The rule read network by network: visible members, joined by what they mention."""
    from bigfish.sharing import reaches

    by_network: dict[int, list[int]] = defaultdict(list)
    for pk, (nid, _) in members.items():
        by_network[nid].append(pk)
    out: dict[int, list[tuple[int, ...]]] = {}
    for nid, pks in by_network.items():
        seen = [pk for pk in pks if reaches(viewer, AUDIENCES[members[pk][1]])]
        if viewer.operator or len(seen) < 2 or len(seen) == len(pks):
            continue
        reports: dict[int, set[int]] = defaultdict(set)
        for pk, ident in mentions:
            if pk in seen:
                reports[ident].add(pk)
        joins = [Join(i, "phone", str(i), tuple(sorted(r))) for i, r in reports.items()]
        groups = connected_parts(seen, joins)
        if len(groups) > 1:
            out[nid] = [g for g in groups if len(g) >= 2]
    return out


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[dict[int, tuple[int, int]], list[tuple[int, int]]]:
    size = draw(st.integers(0, 30))
    pks = sorted(draw(st.sets(st.integers(1, 500), min_size=size, max_size=size)))
    members = {
        pk: (draw(st.integers(1, 4)), draw(st.integers(0, len(AUDIENCES) - 1))) for pk in pks
    }
    mentions = []
    for pk, (nid, _) in members.items():
        for ident in draw(st.sets(st.integers(1, 6), max_size=3)):
            mentions.append((pk, nid * 10 + ident if draw(st.booleans()) else ident))
    return members, mentions


@settings(max_examples=300, deadline=None)
@given(_graphs(), st.sampled_from(VIEWERS))
def test_the_cut_is_the_rule_read_network_by_network(
    graph: tuple[dict[int, tuple[int, int]], list[tuple[int, int]]], viewer: Viewer
) -> None:
    members, mentions = graph
    pks = np.array(sorted(members), dtype=np.int64)
    index = {int(pk): i for i, pk in enumerate(pks)}
    built = MemberGraph(
        pk=pks,
        network=np.array([members[int(pk)][0] for pk in pks], dtype=np.int64),
        audience=np.array([members[int(pk)][1] for pk in pks], dtype=np.int64),
        audiences=AUDIENCES,
        edge_member=np.array([index[pk] for pk, _ in mentions], dtype=np.int64),
        edge_ident=np.array([ident for _, ident in mentions], dtype=np.int64),
    )
    # An identifier mentioned in two networks joins nothing across them (a Leiden split).
    assert built.cut_for(viewer) == _plain(members, mentions, viewer)
    seen = {
        nid
        for nid in {n for n, _ in members.values()}
        if sum(
            1
            for n, a in members.values()
            if n == nid and (viewer.operator or _reaches(viewer, AUDIENCES[a]))
        )
        >= 2
    }
    assert built.seen_by(viewer) == seen


def _reaches(viewer: Viewer, target: Audience) -> bool:
    from bigfish.sharing import reaches

    return reaches(viewer, target)


def test_connected_parts_orders_groups_by_their_first_report() -> None:
    joins = [
        Join(1, "phone", "a", (5, 9)),
        Join(2, "phone", "b", (2, 7)),
        Join(3, "url", "c", (7, 3)),
    ]
    assert connected_parts([9, 7, 5, 3, 2, 11], joins) == [(2, 3, 7), (5, 9), (11,)]

"""Explanations checked against brute force on small random graphs (helper-124's review).

Key identifiers are the identifiers whose removal splits the reports they connect; the spanning
links are a minimal set of links that connects every report the identifiers connect, each link
two reports that both mention its identifier. Both are computed here the slow, obvious way and
compared with `bigfish.linking.explain`. These pass on the code as reviewed: they guard it.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from bigfish.linking.explain import (
    Join,
    MemberMention,
    connected_parts,
    joins,
    key_identifiers,
    spanning_links,
)


def _parts(reports: Iterable[int], shared: Iterable[Join]) -> list[set[int]]:
    """The groups of REPORTS that SHARED connects, by repeated merging (no union-find)."""
    groups = [{pk} for pk in reports]
    for join in shared:
        touched = [g for g in groups if g & set(join.report_pks)]
        merged = set().union(*touched) if touched else set()
        groups = [g for g in groups if not g & set(join.report_pks)] + ([merged] if merged else [])
    return groups


mentions_strategy = st.lists(
    st.tuples(st.integers(1, 9), st.integers(100, 106)), min_size=0, max_size=30
).map(
    lambda pairs: [
        MemberMention(pk, ident, "phone", f"+6681{ident:07d}", "field") for pk, ident in pairs
    ]
)


@settings(max_examples=300, deadline=None)
@given(mentions=mentions_strategy)
def test_key_identifiers_are_exactly_those_whose_removal_splits_the_reports(
    mentions: list[MemberMention],
) -> None:
    shared = joins(mentions)
    reports = sorted({pk for j in shared for pk in j.report_pks})
    whole = len(_parts(reports, shared))
    brute = sorted(
        j.identifier_id
        for j in shared
        if len(_parts(reports, [k for k in shared if k.identifier_id != j.identifier_id])) > whole
    )
    assert key_identifiers(shared) == brute


@settings(max_examples=300, deadline=None)
@given(mentions=mentions_strategy, extra=st.lists(st.integers(1, 12), max_size=4))
def test_spanning_links_connect_every_group_with_the_fewest_links(
    mentions: list[MemberMention], extra: list[int]
) -> None:
    shared = joins(mentions)
    reports = sorted({pk for j in shared for pk in j.report_pks} | set(extra))
    links = spanning_links(reports, shared)
    by_id = {j.identifier_id: set(j.report_pks) for j in shared}
    for link in links:
        assert link.report_a != link.report_b
        assert {link.report_a, link.report_b} <= by_id[link.identifier_id]
    groups = _parts(reports, shared)
    assert len(links) == len(reports) - len(groups)
    cited = [Join(link.identifier_id, "", "", (link.report_a, link.report_b)) for link in links]
    assert sorted(map(sorted, _parts(reports, cited))) == sorted(map(sorted, groups))
    assert sorted(connected_parts(reports, shared)) == sorted(tuple(sorted(g)) for g in groups)

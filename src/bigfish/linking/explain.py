"""Why these reports are one network: which identifier joins which reports, the few links an
investigator cites (a spanning set), and the key identifiers whose removal splits the network."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MemberMention:
    """A linking identifier mentioned by a member report."""

    report_pk: int
    identifier_id: int
    kind: str
    canonical: str
    source: str  # field | narrative | derived


@dataclass(frozen=True, slots=True)
class Join:
    """One identifier and the member reports it joins (two or more)."""

    identifier_id: int
    kind: str
    canonical: str
    report_pks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """Report A and report B both mention the identifier: one edge of the spanning set."""

    report_a: int
    report_b: int
    identifier_id: int


def joins(mentions: Iterable[MemberMention]) -> list[Join]:
    """Every identifier shared by two member reports or more, most reports first."""
    reports: dict[int, set[int]] = defaultdict(set)
    names: dict[int, tuple[str, str]] = {}
    for m in mentions:
        reports[m.identifier_id].add(m.report_pk)
        names[m.identifier_id] = (m.kind, m.canonical)
    found = [
        Join(ident, *names[ident], tuple(sorted(pks)))
        for ident, pks in reports.items()
        if len(pks) >= 2
    ]
    found.sort(key=lambda j: (-len(j.report_pks), j.kind, j.canonical))
    return found


def _find(parent: dict[int, int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def spanning_links(report_pks: Sequence[int], shared: Sequence[Join]) -> list[Link]:
    """A minimal set of links connecting every member (one fewer than the reports when the
    network is connected). Identifiers joining more reports are cited first, so an affidavit
    names as few identifiers as possible."""
    parent = {pk: pk for pk in report_pks}
    links: list[Link] = []
    for join in shared:  # already most reports first
        members = [pk for pk in join.report_pks if pk in parent]
        if not members:
            continue
        anchor = members[0]
        for pk in members[1:]:
            a, b = _find(parent, anchor), _find(parent, pk)
            if a != b:
                parent[b] = a
                links.append(Link(anchor, pk, join.identifier_id))
    return links


def connected_parts(report_pks: Iterable[int], shared: Iterable[Join]) -> list[tuple[int, ...]]:
    """REPORT_PKS split into the groups that the SHARED identifiers connect (each group sorted,
    the groups in the order of their first report; a report no identifier joins to another is a
    group of its own). A viewer's network is one group of its visible reports: a report it
    cannot see joins nothing it is shown (`bigfish.linking.parts`)."""
    parent = {pk: pk for pk in report_pks}
    for join in shared:
        members = [pk for pk in join.report_pks if pk in parent]
        for pk in members[1:]:
            a, b = _find(parent, members[0]), _find(parent, pk)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in sorted(parent):
        groups[_find(parent, pk)].append(pk)
    return sorted((tuple(g) for g in groups.values()), key=lambda g: g[0])


def key_identifiers(shared: Sequence[Join]) -> list[int]:
    """Identifiers that are cut vertices of the report–identifier graph: without one of them,
    the network falls apart. Iterative Tarjan over the bipartite graph."""
    adjacency: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for join in shared:
        node = ("i", join.identifier_id)
        for pk in join.report_pks:
            adjacency[node].append(("r", pk))
            adjacency[("r", pk)].append(node)
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    cuts: set[int] = set()
    counter = 0
    for root in list(adjacency):
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        root_children = 0
        stack: list[tuple[tuple[str, int], tuple[str, int] | None, int]] = [(root, None, 0)]
        while stack:
            node, parent, i = stack[-1]
            neighbours = adjacency[node]
            if i < len(neighbours):
                stack[-1] = (node, parent, i + 1)
                nxt = neighbours[i]
                if nxt == parent:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, node, 0))
                    if node == root:
                        root_children += 1
                continue
            stack.pop()
            if parent is not None:
                low[parent] = min(low[parent], low[node])
                if parent != root and low[node] >= order[parent] and parent[0] == "i":
                    cuts.add(parent[1])
        if root_children > 1 and root[0] == "i":
            cuts.add(root[1])
    return sorted(cuts)

"""A network as a viewer who cannot see all of it is shown it: the parts its visible links connect.

A network is one connected group of reports, but some of its links may run through reports a
viewer cannot see. Showing that viewer its visible reports as one network would tell it that
someone else's report joins them. So a viewer is shown, of each network, the groups of its
visible reports that identifiers mentioned by its visible reports connect
(`bigfish.linking.explain.connected_parts`), each of two reports or more:

- a network whose visible reports are one such group is shown as it is, under its id;
- otherwise the group holding the earliest stored visible report keeps the network's id, and
  every other group is shown under an id of its own (`network_parts`, kept by the group's first
  report, so that the id stays as the group grows). Part ids are drawn from the networks' own
  sequence (a row of `networks` with status ``part``), so a viewer cannot tell a part from a
  network, nor which network a part was cut from.

A group is shown under the id kept by its earliest report that keeps one (`_chosen`): by a
part row, usually at its first report; further in when an older report joined the group (sent
again, it links now), whose row stays at the report that kept it, so that another viewer's
group starting there keeps the id too; or as the anchor of an id whose row went with its
report (below). A report keeps one id and a viewer's groups are apart, so no two groups of an
answer show one id; two groups that join show the id of the joined group's earliest, and each
its own again when they split back (their rows stayed).

A part id also remembers the reports its group held when it was given out, its ring
(`network_rings`, as a merged-away id remembers the reports it held when it merged). The part
row goes with its report: when the first report is deleted (or withdrawn), the group keeps its
id all the same, as a merged-away id's ring passes its anchor on (`bigfish.linking.networks`).
The id's anchor is then the earliest of its ring reports still in a network
(`state.ring_anchors`), and the group holding it takes the id back at the next read that needs
it (`_give_out`: its part row is written again, at the group's first report); so does a
group holding the anchor of a merged-away id whose part row went with its report before a link
run could move it. An analyst's bookmark or citation of the id keeps naming the group. A
part id none of whose ring reports is in a network names nothing (404, the operator too).
Rings, rather than a row passed on when a report is deleted: a deletion (DELETE /reports, a
revocation) takes its report's rows with it by their foreign keys, whatever path deletes it,
and a viewer's groups are known only when it reads. For that reason no migration gives the
part ids of a release before rings theirs: a read that shows such an id records the group it
shows as its ring (`_record_rings`), so that an upgraded store's ids get rings as viewers read.

A part id is given out once, by the first read that needs it, in a short transaction of its own
that takes the link runs' lock without waiting: while a link run holds it, a part not yet given an
id is left out of that answer (the next read after the run shows it). The node's operator sees
every report and is shown networks whole.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy.engine import Connection, Engine

from bigfish.linking.explain import MemberMention
from bigfish.linking.graph import IntArray
from bigfish.linking.loading import CHUNK, all_mentions, chunked, fetch_columns
from bigfish.linking.state import LINK_LOCK, hold_reports, next_network_id, ring_anchors
from bigfish.models import TLP, Distribution
from bigfish.sharing import Audience, Viewer, audience, reached
from bigfish.store.base import BUSY_TIMEOUT_MS
from bigfish.store.schema import identifiers, mentions, reports
from bigfish.store.schema_linking import (
    network_members,
    network_parts,
    network_rings,
    networks,
    stopped_values,
)

log = logging.getLogger(__name__)

#: How long a SQLite reader waits for the write lock to give out a part id (a link run holds
#: it for the whole run; the part is shown at a later read rather than the read waiting).
_SQLITE_WAIT_MS = 200


def linking_mentions(conn: Connection, pks: Iterable[int]) -> list[MemberMention]:
    """Mentions of valid, not stopped identifiers by the reports PKS."""
    query = (
        sa.select(
            mentions.c.report_pk,
            mentions.c.identifier_id,
            identifiers.c.kind,
            identifiers.c.canonical,
            mentions.c.source,
        )
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .outerjoin(stopped_values, stopped_values.c.identifier_id == mentions.c.identifier_id)
        .where(identifiers.c.valid.is_(True), stopped_values.c.identifier_id.is_(None))
    )
    out: list[MemberMention] = []
    for part in chunked(sorted(set(pks))):
        for row in conn.execute(query.where(mentions.c.report_pk.in_(part))):
            out.append(MemberMention(*row))
    return out


_DISTRIBUTIONS = tuple(d.value for d in Distribution)


@dataclass(frozen=True, slots=True)
class MemberGraph:
    """Members of active networks with their markings and linking mentions, as arrays: one read
    serves every viewer (`cut_for`), as `bigfish.linking.views.AudienceSplit` does for figures."""

    pk: IntArray  # member report pks, ascending
    network: IntArray  # each member's network id
    audience: IntArray  # each member's index in AUDIENCES
    audiences: tuple[Audience, ...]
    edge_member: IntArray  # a linking mention: the member's index in PK
    edge_ident: IntArray  # ... and the identifier's id

    def seen_by(self, viewer: Viewer) -> set[int]:
        """The networks VIEWER sees two members or more of (shown whole, or in parts)."""
        if len(self.pk) == 0:
            return set()
        nets, shown = np.unique(self.network[self._visible(viewer)], return_counts=True)
        return {int(n) for n in nets[shown >= 2]}

    def _visible(self, viewer: Viewer) -> npt.NDArray[np.bool_]:
        seen = reached(viewer, self.audiences)
        return np.array([a in seen for a in self.audiences], dtype=bool)[self.audience]

    def cut_for(self, viewer: Viewer) -> dict[int, list[tuple[int, ...]]]:
        """The networks VIEWER sees two members or more of, but not all, whose visible members
        are not one group linked by their own mentions: network id -> its linked groups of two
        reports or more (none, or several; pks ascending, groups by their first pk). Every
        other network VIEWER sees two members of is shown whole (all visible ones linked)."""
        if viewer.operator or len(self.pk) == 0:
            return {}
        visible = self._visible(viewer)
        nets, net_index = np.unique(self.network, return_inverse=True)
        total = np.bincount(net_index, minlength=len(nets))
        shown = np.bincount(net_index, weights=visible, minlength=len(nets)).astype(np.int64)
        keep = visible & ((shown >= 2) & (shown < total))[net_index]
        if not keep.any():
            return {}
        on = keep[self.edge_member]
        members, idents = self.edge_member[on], self.edge_ident[on]
        # An identifier node per network: an identifier joins reports of one network only.
        key = net_index[members] * (int(idents.max(initial=0)) + 1) + idents
        _, ident_node = np.unique(key, return_inverse=True)
        size = len(self.pk) + int(ident_node.max(initial=-1)) + 1
        graph = coo_matrix(
            (np.ones(len(members), dtype=np.int8), (members, len(self.pk) + ident_node)),
            shape=(size, size),
        )
        _, labels = connected_components(graph, directed=False)
        kept = np.flatnonzero(keep)
        pairs = np.unique(np.stack([net_index[kept], labels[kept]], axis=1), axis=0)
        groups_per_net = np.bincount(pairs[:, 0], minlength=len(nets))
        cut = np.flatnonzero(groups_per_net > 1)
        if len(cut) == 0:
            return {}
        out: dict[int, list[tuple[int, ...]]] = {}
        in_cut = np.isin(net_index[kept], cut)
        by_group: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i in kept[in_cut]:
            by_group[(int(net_index[i]), int(labels[i]))].append(int(self.pk[i]))
        for index in cut:
            out[int(nets[index])] = []
        for (net, _), pks in by_group.items():
            if len(pks) >= 2:
                out[int(nets[net])].append(tuple(pks))  # pks ascend: PK does
        for groups in out.values():
            groups.sort(key=lambda g: g[0])
        return out


def _members_query() -> sa.Select[Any]:
    distribution = sa.case(
        *((reports.c.distribution == d, i) for i, d in enumerate(_DISTRIBUTIONS)), else_=-1
    )
    return (
        sa.select(
            network_members.c.report_pk,
            network_members.c.network_id,
            reports.c.org_id,
            distribution,
            sa.case((reports.c.tlp == TLP.RED.value, 1), else_=0),
            sa.func.coalesce(reports.c.group_id, 0),
        )
        .join(reports, reports.c.id == network_members.c.report_pk)
        .join(networks, networks.c.id == network_members.c.network_id)
        .where(networks.c.status == "active")
    )


def _edges_query() -> sa.Select[Any]:
    return (
        sa.select(mentions.c.report_pk, mentions.c.identifier_id)
        .join(network_members, network_members.c.report_pk == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .outerjoin(stopped_values, stopped_values.c.identifier_id == mentions.c.identifier_id)
        .where(identifiers.c.valid.is_(True), stopped_values.c.identifier_id.is_(None))
    )


# Built once: a lookup reads one network's graph, and building the statement cost more than
# running it (the IN list is an expanding parameter, so SQLAlchemy caches the compiled form).
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
_MEMBERS = _members_query()
_MEMBERS_OF = _MEMBERS.where(network_members.c.network_id.in_(_IDS))
_EDGES_OF = _edges_query().where(network_members.c.network_id.in_(_IDS))


def load_member_graph(conn: Connection, network_ids: Sequence[int] | None = None) -> MemberGraph:
    """The `MemberGraph` of every active network, or of NETWORK_IDS."""
    if network_ids is None:
        rows = fetch_columns(conn, _MEMBERS, 6)
    else:
        rows = _fetch(conn, _MEMBERS_OF, network_ids, 6)
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    marks = rows[:, 2:]  # org, distribution, red, group: one integer key each (a row-wise
    span = int(marks[:, 3].max(initial=0)) + 1  # unique would sort a million rows slowly)
    key = ((marks[:, 0] * (len(_DISTRIBUTIONS) + 1) + marks[:, 1] + 1) * 2 + marks[:, 2]) * span
    _, first, audience_index = np.unique(key + marks[:, 3], return_index=True, return_inverse=True)
    markings = marks[first]
    audiences = tuple(
        audience(
            int(org),
            _DISTRIBUTIONS[int(d)] if d >= 0 else "",
            TLP.RED.value if red else TLP.AMBER.value,
            int(group) or None,
        )
        for org, d, red, group in markings
    )
    pk = rows[:, 0].copy()
    mention_pk, ident = _linking_edges(conn, network_ids)
    at = np.searchsorted(pk, mention_pk)
    member = (at < len(pk)) & (pk[np.minimum(at, len(pk) - 1)] == mention_pk) if len(pk) else at < 0
    return MemberGraph(
        pk=pk,
        network=rows[:, 1].copy(),
        audience=audience_index.reshape(-1).astype(np.int64),
        audiences=audiences,
        edge_member=at[member].astype(np.int64),
        edge_ident=ident[member],
    )


def _linking_edges(
    conn: Connection, network_ids: Sequence[int] | None
) -> tuple[IntArray, IntArray]:
    """(report pk, identifier id) of the mentions that link: valid and not stopped identifiers;
    of every report, or of the members of NETWORK_IDS."""
    if network_ids is None:
        pks, idents = all_mentions(conn)
        bad = np.concatenate(
            [
                fetch_columns(conn, sa.select(identifiers.c.id).where(~identifiers.c.valid), 1),
                fetch_columns(conn, sa.select(stopped_values.c.identifier_id), 1),
            ]
        ).reshape(-1)
        good = ~np.isin(idents, bad)
        return pks[good], idents[good]
    both = _fetch(conn, _EDGES_OF, network_ids, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def _fetch(
    conn: Connection, query: sa.Select[Any], network_ids: Sequence[int], width: int
) -> npt.NDArray[np.int64]:
    """The rows of QUERY (with its `ids` parameter) for NETWORK_IDS, a chunk at a time, as one
    array: through SQLAlchemy's cached statement, since compiling one afresh (as
    `fetch_columns` does for the whole tables) costs more than reading a lookup's network."""
    rows = [
        tuple(row)  # numpy would probe a Row as a mapping
        for chunk in chunked(sorted(set(network_ids)))
        for row in conn.execute(query, {"ids": chunk})
    ]
    return np.array(rows, dtype=np.int64).reshape(-1, width)


def shown_parts(
    conn: Connection, cut: Mapping[int, Sequence[tuple[int, ...]]]
) -> dict[int, list[tuple[int, tuple[int, ...]]]]:
    """For each network of CUT (`MemberGraph.cut_for`), its groups under the ids they are shown
    under: the first group under the network's id, each other under its part id. A group whose
    part id could not be given out now is left out (see the module doc)."""
    others = {g[0]: g for groups in cut.values() for g in groups[1:]}
    network_of = {g[0]: nid for nid, groups in cut.items() for g in groups[1:]}
    ids = part_ids(conn.engine, others, network_of) if others else {}
    out: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for nid, groups in cut.items():
        out[nid] = [(nid, groups[0])] if groups else []
        out[nid].extend((ids[g[0]], g) for g in groups[1:] if g[0] in ids)
    return out


def part_ids(
    engine: Engine, groups: Mapping[int, Sequence[int]], network_of: Mapping[int, int]
) -> dict[int, int]:
    """The part id of each of GROUPS (a part's first report pk -> its report pks): those its
    reports keep (`_chosen`), and the others' given now (taken back, or new) unless a link run
    holds the lock (then those are missing from the answer). A part id shown without a ring
    (given out by a release before rings) is given one now, under the same rule."""
    with engine.connect() as conn:
        chosen = _chosen(conn, groups)
        kept = {first: nid for first, (nid, row) in chosen.items() if row}
        rings = _ringless(conn, {nid: groups[first] for first, nid in kept.items()})
    missing = {first: pks for first, pks in groups.items() if first not in kept}
    if missing:
        kept.update(_give_out(engine, missing, network_of))
    if rings:
        _record_rings(engine, rings)
    return kept


def _chosen(conn: Connection, groups: Mapping[int, Sequence[int]]) -> dict[int, tuple[int, bool]]:
    """The id each of GROUPS (first report pk -> report pks) is shown under, (id, whether a
    part row keeps it), for those that have one: the id kept by the group's earliest report
    that keeps one, either by a part row (`network_parts`) or as the anchor of an id whose part
    row went with its report (`state.ring_anchors`; the group takes that id back, `_give_out`).
    A part row at the group's first report is the common case, read alone. A row further in
    keeps the group's id when an older report joins it (sent again, now linking): the group
    keeps the id it was shown, and the row stays where it is, so another viewer's group that
    starts at that report keeps the id too. Each id is kept by one report, and a viewer's
    groups are apart: no two groups of one answer take one id. On one report a part row goes
    before an id taken back, then older ids first."""
    out = {first: (nid, True) for first, nid in _rows_at(conn, groups).items()}
    rest = {first: pks for first, pks in groups.items() if first not in out}
    if not rest:
        return out
    group_of = {pk: first for first, pks in rest.items() for pk in pks}
    best: dict[int, tuple[int, int, int]] = {}  # first report -> (its report, 0: row, id)
    found = [(pk, 0, nid) for pk, nid in _rows_at(conn, group_of).items()]
    found += [(pk, 1, nid) for nid, pk in _lost(conn, group_of).items()]
    for key in found:
        first = group_of[key[0]]
        if first not in best or key < best[first]:
            best[first] = key
    out.update((first, (nid, kind == 0)) for first, (_, kind, nid) in best.items())
    return out


def _rows_at(conn: Connection, report_pks: Iterable[int]) -> dict[int, int]:
    """The part rows at REPORT_PKS: report pk -> id. A dissolved id's row (left by a run before
    `state.retire_networks` dropped them, until a rebuild) is left out: it names nothing, at a
    group's first report as further in (a group shown under it was 404 to its viewer)."""
    query = (
        sa.select(network_parts.c.anchor_pk, network_parts.c.id)
        .join(networks, networks.c.id == network_parts.c.id)
        .where(networks.c.status != "dissolved")
    )
    out: dict[int, int] = {}
    for part in chunked(sorted(set(report_pks))):
        rows = conn.execute(query.where(network_parts.c.anchor_pk.in_(part)))
        out.update((int(a), int(i)) for a, i in rows)
    return out


def _lost(conn: Connection, report_pks: Iterable[int]) -> dict[int, int]:
    """The ids whose part row went with its report (deleted) and whose anchor now
    (`state.ring_anchors`: the earliest of their ring reports still in a network) is one of
    REPORT_PKS: id -> that report."""
    wanted = set(report_pks)
    query = (
        sa.select(network_rings.c.network_id)
        .join(networks, networks.c.id == network_rings.c.network_id)
        .outerjoin(network_parts, network_parts.c.id == network_rings.c.network_id)
        .where(networks.c.status.in_(("part", "merged")), network_parts.c.id.is_(None))
        .distinct()
    )
    lost: set[int] = set()
    for part in chunked(sorted(wanted)):
        rows = conn.execute(query.where(network_rings.c.report_pk.in_(part)))
        lost.update(int(nid) for nid in rows.scalars())
    return {nid: pk for nid, pk in ring_anchors(conn, lost).items() if pk in wanted}


def _give_out(
    engine: Engine, groups: Mapping[int, Sequence[int]], network_of: Mapping[int, int]
) -> dict[int, int]:
    """Part ids for GROUPS (first report pk -> report pks), in a transaction of their own under
    the link runs' lock (so that no run takes the same ids); {} when the lock is held elsewhere.
    A group takes back an id that lost its part row and whose anchor it holds (`_chosen`);
    each other gets a new id, kept by its first report, with its reports as its ring."""
    try:
        with engine.begin() as conn:
            if not _try_lock(conn):
                log.info("a link run holds the lock: %d part(s) shown at a later read", len(groups))
                return {}
            chosen = _chosen(conn, groups)  # another reader may have given them out meanwhile
            out = {first: nid for first, (nid, row) in chosen.items() if row}
            todo = _still_stored(conn, {a: g for a, g in groups.items() if a not in out})
            if not todo:
                return out
            back = {a: chosen[a][0] for a in todo if a in chosen}
            fresh = [anchor for anchor in todo if anchor not in back]
            first = next_network_id(conn)
            new = {anchor: first + i for i, anchor in enumerate(fresh)}
            now = datetime.now(UTC)
            if new:
                conn.execute(
                    networks.insert(),
                    [
                        {
                            "id": pid,
                            "status": "part",
                            "merged_into": network_of[anchor],
                            "created_at": now,
                            "updated_at": now,
                        }
                        for anchor, pid in new.items()
                    ],
                )
            given = back | new
            _drop_dissolved_rows(conn, list(given))
            conn.execute(
                network_parts.insert(), [{"anchor_pk": a, "id": pid} for a, pid in given.items()]
            )
            _write_rings(conn, {pid: todo[a] for a, pid in new.items()})
            return out | given
    except sa.exc.OperationalError as exc:  # SQLite: the write lock stayed busy
        if engine.dialect.name != "sqlite" or "locked" not in str(exc.orig):
            raise
        log.info("the database is busy: %d part(s) shown at a later read", len(groups))
        return {}


def _drop_dissolved_rows(conn: Connection, anchors: Sequence[int]) -> None:
    """Remove the part rows at ANCHORS of dissolved ids, left by a run before
    `state.retire_networks` dropped them (until a rebuild, `state.forget_dissolved`): they
    name nothing (`_rows_at`), and the report, one row each, keeps the id given out now."""
    dissolved = sa.select(networks.c.id).where(networks.c.status == "dissolved")
    for part in chunked(sorted(set(anchors))):
        conn.execute(
            network_parts.delete().where(
                network_parts.c.anchor_pk.in_(part), network_parts.c.id.in_(dissolved)
            )
        )


def _ringless(conn: Connection, shown: Mapping[int, Sequence[int]]) -> dict[int, Sequence[int]]:
    """Of SHOWN (part id -> the reports of the group shown under it), the part ids without a
    ring: given out by a release before part ids kept one (or whose every ring report is
    deleted while a report that joined the group later keeps its row). Read on every listing,
    so the index of rings by id alone is read first; statuses only of the few without a ring."""
    ringed: set[int] = set()
    for part in chunked(sorted(shown)):
        query = sa.select(network_rings.c.network_id).where(network_rings.c.network_id.in_(part))
        ringed.update(int(n) for n in conn.execute(query.distinct()).scalars())
    out: dict[int, Sequence[int]] = {}
    for part in chunked(sorted(set(shown) - ringed)):
        query = sa.select(networks.c.id).where(networks.c.id.in_(part), networks.c.status == "part")
        out.update((int(n), shown[n]) for n in conn.execute(query).scalars())
    return out


def _record_rings(engine: Engine, rings: Mapping[int, Sequence[int]]) -> None:
    """Give each part id of RINGS (id -> the reports of the group it is shown for now) that
    still has none that ring: a store upgraded from a release before rings gets them as its
    viewers read, and such an id then survives its first report's deletion too. (A migration
    could not: a viewer's groups are known only when it reads.) Under the lock rule of
    `_give_out`: when a link run holds it, the ring is recorded at a later read; a group one of
    whose reports was deleted meanwhile is left to a later read too."""
    try:
        with engine.begin() as conn:
            if not _try_lock(conn):
                log.info("a link run holds the lock: %d ring(s) kept at a later read", len(rings))
                return
            todo = _still_stored(conn, _ringless(conn, rings))
            _write_rings(conn, todo)
    except sa.exc.OperationalError as exc:  # SQLite: the write lock stayed busy
        if engine.dialect.name != "sqlite" or "locked" not in str(exc.orig):
            raise
        log.info("the database is busy: %d ring(s) kept at a later read", len(rings))


def _write_rings(conn: Connection, rings: Mapping[int, Sequence[int]]) -> None:
    """Record RINGS (part id -> its reports) in `network_rings`."""
    rows = [{"report_pk": pk, "network_id": pid} for pid, pks in rings.items() for pk in pks]
    for start in range(0, len(rows), CHUNK):
        conn.execute(network_rings.insert(), rows[start : start + CHUNK])


def _still_stored(
    conn: Connection, groups: Mapping[int, Sequence[int]]
) -> dict[int, Sequence[int]]:
    """GROUPS all of whose reports are still stored, held until the transaction ends
    (PostgreSQL; SQLite: its write lock holds every report): a group read before one of its
    reports was deleted is shown at a later read, never given a part row or ring row that
    names the deleted report (which failed the read on its foreign key)."""
    pks = sorted({pk for g in groups.values() for pk in g})
    if conn.dialect.name == "postgresql":
        there = hold_reports(conn, pks)
    else:
        there = set()
        for part in chunked(pks):
            query = sa.select(reports.c.id).where(reports.c.id.in_(part))
            there.update(int(pk) for pk in conn.execute(query).scalars())
    return {a: g for a, g in groups.items() if all(pk in there for pk in g)}


def _try_lock(conn: Connection) -> bool:
    """Take the link runs' lock for CONN's transaction if free now (PostgreSQL), or wait briefly
    for SQLite's write lock (an error when it stays busy)."""
    if conn.dialect.name == "postgresql":
        got = conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LINK_LOCK})
        return bool(got.scalar_one())
    conn.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_WAIT_MS}")
    try:
        conn.exec_driver_sql("UPDATE link_state SET id = id WHERE id = 1")  # the write lock
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # the store's own again
    return True

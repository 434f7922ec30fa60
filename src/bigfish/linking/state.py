"""Reading and writing the linking state: pins, stopped values, networks and their members."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.linking.graph import IntArray
from bigfish.linking.hubs import StopReason
from bigfish.linking.loading import CHUNK, chunked, fetch_pairs, fetch_table_pairs, utc
from bigfish.linking.networks import NetworkEvent
from bigfish.linking.score import NetworkStats
from bigfish.linking.warninglists import PLATFORM_PAGES, WarningLists
from bigfish.store.schema import identifiers, reports
from bigfish.store.schema_interop import report_withdrawals
from bigfish.store.schema_linking import (
    link_pins,
    link_state,
    network_events,
    network_members,
    network_parts,
    network_rings,
    networks,
    stopped_values,
)
from bigfish.store.stamps import announce_writer, writers_paused


@dataclass(frozen=True, slots=True)
class Stop:
    """Why one identifier does not link."""

    reason: StopReason
    detail: str
    report_count: int


@dataclass(frozen=True, slots=True)
class LinkState:
    """The bookkeeping row: what has been linked, and the hub test's degree limit."""

    watermark: str | None
    degree_cap: int | None
    linked_at: datetime | None = None  # when the last run ran (its `now`)
    #: The newest withdrawal stamp the last run read while writers were paused (`settled`):
    #: None when there was none, or the run came before migration 0018.
    withdrawn_upto: datetime | None = None


@dataclass(frozen=True, slots=True)
class Settled:
    """The newest stamps a link run reads while no writer is in flight (`settled`): every
    report or withdrawal committed later is stamped later than these."""

    watermark: str | None  # the newest reports.updated_at, as the database stores it
    withdrawn: datetime | None  # the newest report_withdrawals.withdrawn_at


#: The key of PostgreSQL's transaction lock that one link run at a time holds.
LINK_LOCK = 0x6269_6766_6C6E  # "bigfln"


def lock_linking(conn: Connection) -> None:
    """Make CONN's transaction the only link run until it ends: a rebuild or an update started
    elsewhere (another process, the server's background linker) waits for it, then reads what
    it wrote. First in the transaction, before anything is read."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LINK_LOCK})
    else:  # SQLite: a write takes the one write lock now (reads alone would not)
        conn.execute(link_state.update().where(link_state.c.id == 1).values(id=1))


def announce_deletion(conn: Connection) -> None:
    """Call first in a transaction that deletes reports (their membership goes with them): a
    link run that starts meanwhile waits until it has committed (`settled`). The run then sees
    the deletion, or the withdrawal recorded with it is stamped later than the newest one the
    run read in its pause, and the next run, which looks for shrunk networks when a withdrawal
    is later than that one, sees it: a network that lost a member is never left with its old
    statistics. `announce_writer`, which every writer of reports calls
    (`bigfish.store.stamps`)."""
    announce_writer(conn)


def await_deletions(conn: Connection) -> None:
    """Wait until every transaction that writes or deletes reports (`announce_writer`) and
    began before now has ended; later ones are not held up once this returns. A link run reads
    its bounds this way (`settled`), which waits for them too."""
    with writers_paused(conn):
        pass


def settled(conn: Connection) -> Settled:
    """The newest reports.updated_at and report_withdrawals.withdrawn_at, read when no writer
    is in flight (`writers_paused`): every report or withdrawal not committed yet, or changed
    later, is stamped later than them (by the one clock of `stamp_now`), and every deletion
    begun before has committed. Writers wait only for this one statement of two indexed
    maximums."""
    newest_withdrawal = sa.select(sa.func.max(report_withdrawals.c.withdrawn_at))
    query = sa.select(
        sa.select(sa.func.max(_updated(conn))).scalar_subquery(),
        newest_withdrawal.scalar_subquery(),
    )
    with writers_paused(conn):
        watermark, withdrawn = conn.execute(query).one()
    return Settled(_as_text(watermark), None if withdrawn is None else utc(withdrawn))


def hold_reports(conn: Connection, report_pks: Iterable[int]) -> set[int]:
    """The reports of REPORT_PKS that still exist, held until CONN's transaction ends: a report
    deleted meanwhile (DELETE /reports, a revocation) is deleted before or after the run, never
    between its reads and its writes. A run holds each report before it reads its mentions and
    facts and writes its membership: those that are gone are left out of the run (a foreign key
    on network_members and a missing report's facts otherwise failed it), and a delete of one
    it holds waits until the run has committed, then takes its membership with it.

    PostgreSQL: FOR KEY SHARE, the lock the foreign key check of a member row takes anyway, a
    little earlier; it waits only for deletes, never for writers that update a report or its
    mentions. SQLite: nothing to hold, the run has had the one write lock since `lock_linking`
    and no report can be deleted before it ends."""
    wanted = sorted(set(report_pks))
    if conn.dialect.name != "postgresql" or not wanted:
        return set(wanted)
    rows = conn.exec_driver_sql(_HOLD_PG, (wanted,)).scalars()  # one array, not 50,000 binds
    return {int(pk) for pk in rows}


_HOLD_PG = "SELECT id FROM reports WHERE id = ANY(%s) FOR KEY SHARE"


def read_state(conn: Connection) -> LinkState | None:
    """The state row, or None before the first link run."""
    row = conn.execute(sa.select(link_state).where(link_state.c.id == 1)).first()
    if row is None:
        return None
    return LinkState(
        row.watermark,
        row.degree_cap,
        None if row.updated_at is None else utc(row.updated_at),
        None if row.withdrawn_upto is None else utc(row.withdrawn_upto),
    )


def withdrawn_since(withdrawn: datetime | None, seen: datetime | None) -> bool:
    """True when WITHDRAWN, the newest withdrawal a run read (`settled`), is one the last run,
    which read SEEN, may not have seen."""
    return withdrawn is not None and (seen is None or withdrawn > seen)


def shrunk_networks(
    conn: Connection, withdrawn: datetime | None, seen: datetime | None
) -> set[int]:
    """Active networks that hold fewer members than they count: a member was deleted (its
    membership goes with it, and a withdrawal is recorded). Only looked for when WITHDRAWN, the
    newest withdrawal this run read (`settled`), is later than SEEN, the newest the last run
    read (`LinkState.withdrawn_upto`; always when SEEN is None and there is a withdrawal): both
    stamps of one clock, read while writers were paused, so a withdrawal the last run did not
    see is later than SEEN whatever the clocks of the runs (their `now`)."""
    if not withdrawn_since(withdrawn, seen):
        return set()
    count = (
        sa.select(sa.func.count())
        .select_from(network_members)
        .where(network_members.c.network_id == networks.c.id)
        .scalar_subquery()
    )
    query = sa.select(networks.c.id).where(
        networks.c.status == "active", networks.c.report_count != count
    )
    return {int(nid) for nid in conn.execute(query).scalars()}


def active_network_ids(conn: Connection) -> set[int]:
    """Every active network's id."""
    query = sa.select(networks.c.id).where(networks.c.status == "active")
    return {int(nid) for nid in conn.execute(query).scalars()}


def _updated(conn: Connection) -> Any:
    """reports.updated_at as the database stores it (raw text on SQLite)."""
    if conn.dialect.name == "sqlite":
        return sa.type_coerce(reports.c.updated_at, sa.String)
    return reports.c.updated_at


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else utc(value).isoformat()


def changed_reports(
    conn: Connection, watermark: str | None, upto: str | None
) -> list[tuple[int, str, bool]]:
    """(pk, updated_at as a watermark, new?) of the reports updated after WATERMARK and no later
    than UPTO (a `settled_watermark`; None: there is no report). A report stamped after UPTO is
    left to the next run, whose watermark is no later than UPTO."""
    if upto is None:
        return []
    updated = _updated(conn)
    query = sa.select(
        reports.c.id, updated.label("updated"), reports.c.created_at, reports.c.updated_at
    ).where(updated <= _bound(conn, upto))
    if watermark is not None:
        query = query.where(updated > _bound(conn, watermark))
    return [
        (int(r.id), _as_text(r.updated) or "", r.created_at == r.updated_at)
        for r in conn.execute(query)
    ]


def _bound(conn: Connection, watermark: str) -> Any:
    return watermark if conn.dialect.name == "sqlite" else datetime.fromisoformat(watermark)


def write_state(
    conn: Connection, watermark: str | None, degree_cap: int | None, now: datetime, *,
    rebuilt: bool, withdrawn: datetime | None,
) -> None:  # fmt: skip
    """Replace the state row. WITHDRAWN: the newest withdrawal the run read (`settled`), whose
    deletions it has seen; NOW (its own clock, or its caller's) dates the run."""
    old = conn.execute(sa.select(link_state.c.rebuilt_at).where(link_state.c.id == 1)).first()
    conn.execute(link_state.delete())
    conn.execute(
        link_state.insert().values(
            id=1,
            watermark=watermark,
            degree_cap=degree_cap,
            rebuilt_at=now if rebuilt or old is None else old.rebuilt_at,
            updated_at=now,
            withdrawn_upto=withdrawn,
        )
    )


def withdrawals_seen(conn: Connection, withdrawn: datetime) -> None:
    """Record that a run which writes nothing else has seen every deletion up to the withdrawal
    stamped WITHDRAWN (it looked for shrunk networks and found none): the next run does not look
    again for them. The run's other state (its watermark, its `now`) stays as it was."""
    conn.execute(link_state.update().where(link_state.c.id == 1).values(withdrawn_upto=withdrawn))


def pins(conn: Connection) -> dict[int, tuple[bool, str]]:
    """Pinned identifiers by id: (link?, note)."""
    query = sa.select(identifiers.c.id, link_pins.c.link, link_pins.c.note).join(
        identifiers,
        sa.and_(
            identifiers.c.kind == link_pins.c.kind,
            identifiers.c.canonical == link_pins.c.canonical,
        ),
    )
    return {row.id: (bool(row.link), row.note or "") for row in conn.execute(query)}


def listed_identifiers(conn: Connection, lists: WarningLists) -> dict[int, str]:
    """Every stored identifier on a warning list, with the list's name.

    Domains are registrable domains and phones are exact, so both are found by their entries
    (an IN query); only root URLs and the URLs of the hosts that have pages of their own
    (`warninglists.PLATFORM_PAGES`) and, for hostname lists on emails, email domains are
    scanned."""
    out: dict[int, str] = {}
    kinds = {kind for wl in lists.lists for kind in wl.kinds}
    for kind in sorted(kinds):
        query = sa.select(identifiers.c.id, identifiers.c.canonical).where(
            identifiers.c.kind == kind, identifiers.c.valid.is_(True)
        )
        if kind in ("url", "email"):
            scan = query.where(sa.or_(*_url_scan())) if kind == "url" else query
            rows = list(conn.execute(scan))
        else:
            entries = sorted({e for wl in lists.lists if kind in wl.kinds for e in wl.entries})
            rows = []
            for start in range(0, len(entries), CHUNK):
                part = entries[start : start + CHUNK]
                rows.extend(conn.execute(query.where(identifiers.c.canonical.in_(part))))
        for row in rows:
            name = lists.match(kind, row.canonical)
            if name is not None:
                out.setdefault(row.id, name)
    return out


def _url_scan() -> list[sa.ColumnElement[bool]]:
    """The URLs a list may hold: roots (``bit.ly/``), and any of a platform page host's, with
    or without a subdomain (``m.facebook.com/groups``)."""
    like = identifiers.c.canonical.like
    hosts = sorted(PLATFORM_PAGES)
    return [like("%/"), *(like(f"{h}/%") for h in hosts), *(like(f"%.{h}/%") for h in hosts)]


def stopped(conn: Connection, ids: Sequence[int] | None) -> dict[int, Stop]:
    """The recorded stops of IDS (all when None)."""
    query = sa.select(stopped_values)
    out: dict[int, Stop] = {}
    parts = [None] if ids is None else list(chunked(sorted(set(ids))))
    for part in parts:
        q = query if part is None else query.where(stopped_values.c.identifier_id.in_(part))
        for row in conn.execute(q):
            out[row.identifier_id] = Stop(StopReason(row.reason), row.detail, row.report_count)
    return out


def delete_stops(conn: Connection, ids: Sequence[int]) -> None:
    """Forget the stops of IDS (values that link again)."""
    for part in chunked(sorted(set(ids))):
        conn.execute(stopped_values.delete().where(stopped_values.c.identifier_id.in_(part)))


def write_stops(conn: Connection, stops: Mapping[int, Stop], *, replace_all: bool) -> None:
    """Record STOPS (after removing every earlier stop when REPLACE_ALL)."""
    if replace_all:
        conn.execute(stopped_values.delete())
    else:
        for part in chunked(sorted(stops)):
            conn.execute(stopped_values.delete().where(stopped_values.c.identifier_id.in_(part)))
    rows = [
        {
            "identifier_id": ident,
            "reason": s.reason.value,
            "detail": s.detail[:500],
            "report_count": s.report_count,
        }
        for ident, s in stops.items()
    ]
    if rows:
        conn.execute(stopped_values.insert(), rows)


def network_row(
    nid: int, stats: NetworkStats, created_at: datetime, now: datetime, split: bool
) -> dict[str, Any]:
    """The networks row of an active network."""
    return {
        "id": nid,
        "status": "active",
        "merged_into": None,
        "created_at": created_at,
        "updated_at": now,
        "report_count": stats.report_count,
        "score": stats.score,
        "total_loss_usd": stats.total_loss_usd,
        "unknown_currency": dict(stats.unknown_currency) or None,
        "countries": list(stats.countries),
        "organizations": list(stats.organizations),
        "scam_types": dict(stats.scam_types),
        "channels": dict(stats.channels),
        "first_seen": stats.first_seen,
        "last_seen": stats.last_seen,
        "growth_30d": stats.growth_30d,
        "community_split": split,
    }


def created_times(conn: Connection, ids: Sequence[int] | None) -> dict[int, datetime]:
    """When each network of IDS (all when None) was first created."""
    query = sa.select(networks.c.id, networks.c.created_at)
    out: dict[int, datetime] = {}
    parts = [None] if ids is None else list(chunked(sorted(set(ids))))
    for part in parts:
        q = query if part is None else query.where(networks.c.id.in_(part))
        out.update({row.id: utc(row.created_at) for row in conn.execute(q)})
    return out


def next_network_id(conn: Connection) -> int:
    """The first network id never used."""
    return (
        int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(networks.c.id), 0))).scalar_one())
        + 1
    )


_MEMBER_INSERT_SQLITE = "INSERT INTO network_members (report_pk, network_id) VALUES (?, ?)"
_MEMBER_INSERT_PG = "INSERT INTO network_members (report_pk, network_id) VALUES (%s, %s)"


def write_members(conn: Connection, pairs: Sequence[tuple[int, int]]) -> None:
    """Insert (report_pk, network_id) rows fast, through the driver."""
    if not pairs:
        return
    sql = _MEMBER_INSERT_PG if conn.dialect.name == "postgresql" else _MEMBER_INSERT_SQLITE
    conn.exec_driver_sql(sql, list(pairs))


def replace_networks(
    conn: Connection,
    active: Sequence[dict[str, Any]],
    retired: Mapping[int, int | None],
    now: datetime,
) -> None:
    """Upsert the ACTIVE rows and mark the RETIRED ids merged (into an id) or dissolved."""
    ids = [row["id"] for row in active]
    for part in chunked(ids):
        conn.execute(networks.delete().where(networks.c.id.in_(part)))
    if active:
        conn.execute(networks.insert(), list(active))
    retire_networks(conn, retired, now)


def retire_networks(conn: Connection, retired: Mapping[int, int | None], now: datetime) -> None:
    """Mark each RETIRED id merged (into the id it maps to) or dissolved (it maps to None). A
    dissolved id's part row goes: the id stays dissolved, even when the report that kept it
    findable joins a network again (`bigfish.linking.networks`), and that report may keep
    another id. (A rebuild also drops those a run before this rule left: `forget_dissolved`.)"""
    for old, into in retired.items():
        conn.execute(
            networks.update()
            .where(networks.c.id == old)
            .values(
                status="merged" if into is not None else "dissolved",
                merged_into=into,
                updated_at=now,
            )
        )
    for part in chunked(sorted(old for old, into in retired.items() if into is None)):
        conn.execute(network_parts.delete().where(network_parts.c.id.in_(part)))


def forget_dissolved(conn: Connection) -> None:
    """Drop every part row of a dissolved id (those a run before `retire_networks` dropped
    them left). Once a rebuild, not every update: it reads every dissolved id (some 15 ms for
    30,000 of them and 50,000 part rows on SQLite)."""
    dissolved = sa.select(networks.c.id).where(networks.c.status == "dissolved")
    conn.execute(network_parts.delete().where(network_parts.c.id.in_(dissolved)))


def keep_part_ids(conn: Connection, absorbed: Mapping[int, Sequence[int]]) -> None:
    """Keep each merged-away id of ABSORBED as the part id of the group starting at its earliest
    report (`bigfish.linking.parts`): a viewer who sees that group apart from the rest keeps
    seeing it under the id it knew, and an investigator who cited it is led to the network that
    holds that report, should the group split off again. A report that anchors a part id
    already keeps that one; the id is then kept by its next report (the same reports merged,
    split back and merged again under the id the split gave them: that id, too, must lead to
    them). Older ids choose first."""
    if not absorbed:
        return
    taken = _anchoring(conn, {pk for pks in absorbed.values() for pk in pks})
    rows = []
    for old, pks in sorted(absorbed.items()):
        anchor = next((pk for pk in pks if pk not in taken), None)
        if anchor is not None:
            taken.add(anchor)
            rows.append({"anchor_pk": anchor, "id": old})
    if rows:
        conn.execute(network_parts.insert(), rows)


def write_events(conn: Connection, events: Sequence[NetworkEvent], now: datetime) -> None:
    """Append EVENTS to the network history."""
    rows = [
        {
            "at": now,
            "kind": e.kind.value,
            "network_id": e.network_id,
            "other_ids": list(e.other_ids),
            "detail": e.detail,
        }
        for e in events
    ]
    if rows:
        conn.execute(network_events.insert(), rows)


def delete_members(conn: Connection, report_pks: Sequence[int] | None) -> None:
    """Remove the membership of REPORT_PKS (all when None)."""
    if report_pks is None:
        conn.execute(network_members.delete())
        return
    for part in chunked(sorted(set(report_pks))):
        conn.execute(network_members.delete().where(network_members.c.report_pk.in_(part)))


def ring_reports(
    conn: Connection, report_keys: IntArray, old_ids: IntArray, *, every: bool
) -> tuple[IntArray, IntArray]:
    """(index in REPORT_KEYS, id), by id then index, of every ring report (`network_rings`)
    among REPORT_KEYS (whose networks before are OLD_IDS) that is in the network its id leads
    to: itself when active, else where its merges lead (`bigfish.linking.networks`). EVERY:
    REPORT_KEYS are every report (a rebuild reads the whole table)."""
    none = np.zeros(0, dtype=np.int64)
    pk, nid = _ring_rows(conn, None if every else report_keys.tolist())
    if not pk.size or not report_keys.size:
        return none, none
    ids = np.unique(nid)
    leads = _leads_to(conn, set(ids.tolist()))
    lead = np.asarray([leads.get(i, -2) for i in ids.tolist()], dtype=np.int64)
    at = np.minimum(np.searchsorted(report_keys, pk), report_keys.size - 1)
    ok = (report_keys[at] == pk) & (old_ids[at] == lead[np.searchsorted(ids, nid)])
    at, nid = at[ok], nid[ok]
    order = np.lexsort((at, nid))  # by id, then by report (REPORT_KEYS ascend)
    return at[order], nid[order]


def _ring_rows(conn: Connection, pks: list[int] | None) -> tuple[IntArray, IntArray]:
    """(report_pk, network_id) of the ring rows of PKS (all when None)."""
    if pks is None:
        return fetch_table_pairs(conn, "network_rings", "report_pk", "network_id")
    query = sa.select(network_rings.c.report_pk, network_rings.c.network_id)
    parts = [fetch_pairs(conn, query.where(network_rings.c.report_pk.in_(p))) for p in chunked(pks)]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p for p, _ in parts]), np.concatenate([n for _, n in parts])


def _leads_to(conn: Connection, ids: set[int]) -> dict[int, int]:
    """The active network each of IDS leads to: itself, or where its merges lead (ids that
    lead to none, dissolved or parts, are left out)."""
    row_of: dict[int, tuple[str, int | None]] = {}
    wanted = set(ids)
    while wanted:
        for part in chunked(sorted(wanted)):
            query = sa.select(networks.c.id, networks.c.status, networks.c.merged_into).where(
                networks.c.id.in_(part)
            )
            row_of.update((int(r.id), (r.status, r.merged_into)) for r in conn.execute(query))
        wanted = {
            int(into)
            for status, into in (row_of.get(i, ("", None)) for i in wanted)
            if status == "merged" and into is not None and int(into) not in row_of
        }
    out: dict[int, int] = {}
    for nid in ids:
        current, seen = nid, set()
        while current not in seen and current in row_of:
            seen.add(current)
            status, into = row_of[current]
            if status == "active":
                out[nid] = current
                break
            if status != "merged" or into is None:
                break
            current = int(into)
    return out


def record_rings(conn: Connection, rings: Mapping[int, Sequence[int]]) -> None:
    """Remember, for each id of RINGS taking part in a merge, the reports it held before it
    (its own ring), unless it remembers them from an earlier merge."""
    if not rings:
        return
    known: set[int] = set()
    for part in chunked(sorted(rings)):
        query = sa.select(network_rings.c.network_id).where(network_rings.c.network_id.in_(part))
        known.update(int(nid) for nid in conn.execute(query.distinct()).scalars())
    rows = [
        {"report_pk": pk, "network_id": nid}
        for nid, pks in sorted(rings.items())
        if nid not in known
        for pk in pks
    ]
    for start in range(0, len(rows), CHUNK):
        conn.execute(network_rings.insert(), rows[start : start + CHUNK])


def revive(conn: Connection, ids: Iterable[int]) -> None:
    """Forget the rows of IDS, ids merged away earlier that are active again (their new rows are
    written next): their networks row and the part row that led to where they were merged."""
    for part in chunked(sorted(set(ids))):
        conn.execute(networks.delete().where(networks.c.id.in_(part)))
        conn.execute(network_parts.delete().where(network_parts.c.id.in_(part)))


def move_part_rows(conn: Connection, anchors: Mapping[int, int]) -> None:
    """Keep each merged-away id of ANCHORS findable through its anchor now (a report pk, a
    member written by this run): a part row whose report is withdrawn, or in another network
    than the anchor now, moves to the anchor. When the anchor keeps another id (a viewer's part
    id, given out while the row was elsewhere), the row moves to the next of the id's ring
    reports in that network that keeps none: a viewer shown that network in parts is led by the
    id to the part holding its reports (only with none left is the id found through where it
    merged, which a viewer seeing the network in parts is not shown). A part row in the anchor's
    network stays."""
    if not anchors:
        return
    rows: dict[int, int] = {}  # id -> the report its part row is anchored at
    for part in chunked(sorted(anchors)):
        query = sa.select(network_parts.c.id, network_parts.c.anchor_pk)
        rows.update(
            (int(i), int(a)) for i, a in conn.execute(query.where(network_parts.c.id.in_(part)))
        )
    network_of = _network_of(conn, {*rows.values(), *anchors.values()})
    moved = {
        nid: pk
        for nid, pk in anchors.items()
        if nid not in rows or network_of.get(rows[nid]) != network_of.get(pk)
    }
    if not moved:
        return
    for part in chunked(sorted(moved)):
        conn.execute(network_parts.delete().where(network_parts.c.id.in_(part)))
    taken = _anchoring(conn, set(moved.values()))
    later = _later_ring_reports(conn, {nid: pk for nid, pk in moved.items() if pk in taken})
    taken |= _anchoring(conn, {pk for pks in later.values() for pk in pks})
    free = []
    for nid, pk in sorted(moved.items()):  # older ids choose first
        target = next((c for c in (pk, *later.get(nid, ())) if c not in taken), None)
        if target is not None:
            taken.add(target)
            free.append({"anchor_pk": target, "id": nid})
    if free:
        conn.execute(network_parts.insert(), free)


def _anchoring(conn: Connection, report_pks: set[int]) -> set[int]:
    """The reports of REPORT_PKS that keep a part row."""
    out: set[int] = set()
    for part in chunked(sorted(report_pks)):
        query = sa.select(network_parts.c.anchor_pk).where(network_parts.c.anchor_pk.in_(part))
        out.update(int(a) for a in conn.execute(query).scalars())
    return out


def _later_ring_reports(conn: Connection, anchors: Mapping[int, int]) -> dict[int, list[int]]:
    """For each id of ANCHORS, its ring reports after its anchor in the anchor's network,
    ascending."""
    if not anchors:
        return {}
    ring: dict[int, list[int]] = {}
    for part in chunked(sorted(anchors)):
        query = sa.select(network_rings.c.network_id, network_rings.c.report_pk).where(
            network_rings.c.network_id.in_(part)
        )
        for nid, pk in conn.execute(query):
            ring.setdefault(int(nid), []).append(int(pk))
    network_of = _network_of(conn, {*anchors.values(), *(pk for r in ring.values() for pk in r)})
    return {
        nid: sorted(
            pk
            for pk in ring.get(nid, [])
            if pk > anchor and pk in network_of and network_of[pk] == network_of.get(anchor)
        )
        for nid, anchor in anchors.items()
    }


def ring_anchors(conn: Connection, ids: Iterable[int]) -> dict[int, int]:
    """The anchor now of each of IDS, ids whose part row went with its report: the earliest of
    the id's ring reports (`network_rings`) that is a member of a network; of any network for a
    part id (`bigfish.linking.parts`: its row stays with its report wherever it is), of the one
    it leads to for a merged-away id (as `ring_reports`). Ids with none, and dissolved or active
    ones, are left out."""
    status: dict[int, str] = {}
    for part in chunked(sorted(set(ids))):
        query = sa.select(networks.c.id, networks.c.status).where(networks.c.id.in_(part))
        status.update((int(i), str(s)) for i, s in conn.execute(query))
    wanted = sorted(i for i, s in status.items() if s in ("part", "merged"))
    ring: dict[int, list[int]] = {}
    for part in chunked(wanted):
        query = sa.select(network_rings.c.network_id, network_rings.c.report_pk).where(
            network_rings.c.network_id.in_(part)
        )
        for nid, pk in conn.execute(query):
            ring.setdefault(int(nid), []).append(int(pk))
    network_of = _network_of(conn, {pk for pks in ring.values() for pk in pks})
    leads = _leads_to(conn, {nid for nid in ring if status[nid] == "merged"})
    out: dict[int, int] = {}
    for nid, pks in ring.items():
        placed = [
            pk
            for pk in pks
            if pk in network_of and (status[nid] == "part" or network_of[pk] == leads.get(nid))
        ]
        if placed:
            out[nid] = min(placed)
    return out


def _network_of(conn: Connection, report_pks: set[int]) -> dict[int, int]:
    """The network each of REPORT_PKS is a member of (those in none left out)."""
    out: dict[int, int] = {}
    for part in chunked(sorted(report_pks)):
        query = sa.select(network_members.c.report_pk, network_members.c.network_id)
        rows = conn.execute(query.where(network_members.c.report_pk.in_(part)))
        out.update((int(pk), int(nid)) for pk, nid in rows)
    return out

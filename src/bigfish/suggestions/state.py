"""The stored state of same-script suggestions (`script_links`, `script_narratives`,
`script_state`): what the last run left, read in columns, and a run's results written back
as the differences from it. One run stores at a time (`lock_results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.linking.loading import fetch_columns
from bigfish.store.fast import insert_many, upsert
from bigfish.store.schema_linking import (
    script_link_decisions,
    script_links,
    script_narratives,
    script_state,
)

if TYPE_CHECKING:  # the ML stack is imported by a run only, not by the API's views
    from bigfish.ml.similar import Chosen, DocumentFrequencies

#: The key of PostgreSQL's transaction lock that stores one run's results at a time.
SUGGEST_LOCK = 0x6269_6766_7367  # "bigfsg"
_CHUNK = 500  # ids per IN (...)
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Settings:
    """How the stored suggestions were made."""

    method: str  # with its features' version
    top_k: int
    min_score: float


Bookkeeping = tuple[str, int, int, int]  # digest, choices, floor score (quanta), floor pk


@dataclass(frozen=True)
class Last:
    """What the last run left: its settings, idf and each narrative's bookkeeping by pk (0 and
    -1 for the floor of no choice)."""

    settings: Settings
    documents: int
    frequencies: str | None
    generation: int
    narratives: dict[int, Bookkeeping]


@dataclass(frozen=True)
class Links:
    """Every stored pair (suggested or kept for a decision)."""

    ids: Ints
    low: Ints
    high: Ints
    quanta: Ints
    suggested: npt.NDArray[np.bool_]


def read_last(conn: Connection) -> Last | None:
    """What the last run left, or None before the first."""
    from bigfish.ml.similar import QUANTUM

    row = conn.execute(sa.select(script_state).where(script_state.c.id == 1)).first()
    if row is None:
        return None
    # Rows straight from the driver: SQLAlchemy's row objects cost seconds per 100,000.
    c = script_narratives.c
    chose = c.chosen > 0
    floor_q = sa.case((chose, sa.cast(sa.func.round(c.floor_score * QUANTUM), sa.Integer)), else_=0)
    ints = fetch_columns(
        conn, sa.select(c.report_pk, c.chosen, floor_q, sa.case((chose, c.floor_pk), else_=-1)), 4
    )
    found = conn.exec_driver_sql("SELECT report_pk, digest FROM script_narratives")
    digests = {int(pk): str(digest) for pk, digest in found}
    narratives = {
        pk: (digests[pk], count, floor_quanta, floor_pk)
        for pk, count, floor_quanta, floor_pk in ints.tolist()
    }
    settings = Settings(str(row.method), int(row.top_k), float(row.min_score))
    return Last(settings, int(row.documents), row.frequencies, int(row.generation), narratives)


def read_links(conn: Connection) -> Links:
    """Every stored pair, in columns."""
    from bigfish.ml.similar import QUANTUM

    c = script_links.c
    quanta = sa.cast(sa.func.round(c.score * QUANTUM), sa.Integer)
    flag = sa.case((c.suggested, 1), else_=0)
    rows = fetch_columns(conn, sa.select(c.id, c.report_a, c.report_b, quanta, flag), 5)
    return Links(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4] == 1)


def rows_of(pks: Ints, wanted: Ints) -> Ints:
    """The row of each of WANTED among the sorted PKS, -1 where it is not there."""
    at = np.searchsorted(pks, wanted)
    found = at < len(pks)
    found[found] = pks[at[found]] == wanted[found]
    return np.where(found, at, -1)


def lock_results(conn: Connection) -> int:
    """Make CONN's transaction the only one storing a run's results until it ends (first in
    the transaction); the generation of the stored results."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUGGEST_LOCK})
    else:  # SQLite: a write takes the one write lock now (reads alone would not)
        conn.execute(script_state.update().where(script_state.c.id == 1).values(id=1))
    query = sa.select(script_state.c.generation).where(script_state.c.id == 1)
    return int(conn.execute(query).scalar() or 0)


def hold_results(conn: Connection) -> None:
    """Keep a run from storing its results until CONN's transaction ends (first in the
    transaction): an analyst's decision is stored before a run withdraws its pair (which then
    stays for the decision) or sees the pair withdrawn, never written to a pair deleted
    meanwhile nor deleted with it. Decisions do not hold each other back on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": SUGGEST_LOCK})
    else:  # SQLite: the one write lock, as `lock_results` takes it
        conn.execute(script_state.update().where(script_state.c.id == 1).values(id=1))


def _keys(low: Ints, high: Ints) -> Ints:
    return (low << 32) | high


def store_links(conn: Connection, links: Links, pairs: tuple[Ints, Ints, Ints], method: str) -> int:
    """Make PAIRS (lower pk, higher pk, score in ten-thousandths) the suggested pairs, writing
    only what differs from LINKS; a pair no longer suggested is deleted, or kept unsuggested
    while a decision on it stands. The number of pairs suggested."""
    from bigfish.ml.similar import QUANTUM

    now = datetime.now(UTC)
    low, high, quanta = pairs
    old_keys = _keys(links.low, links.high)
    order = np.argsort(old_keys)
    at = rows_of(old_keys[order], _keys(low, high))
    old = np.where(at >= 0, np.append(order, -1)[at], -1)
    fresh = np.flatnonzero(old < 0)
    insert_many(
        conn,
        script_links,
        ["report_a", "report_b", "score", "method", "found_at", "suggested"],
        [(int(low[i]), int(high[i]), int(quanta[i]) / QUANTUM, method, now, True) for i in fresh],
    )
    found = np.flatnonzero(old >= 0)
    moved = found[(links.quanta[old[found]] != quanta[found]) | ~links.suggested[old[found]]]
    if len(moved):
        conn.execute(
            script_links.update()
            .where(script_links.c.id == sa.bindparam("link_id"))
            .values(score=sa.bindparam("new_score"), suggested=True, found_at=now, method=method),
            [
                {"link_id": int(links.ids[old[i]]), "new_score": int(quanta[i]) / QUANTUM}
                for i in moved
            ],
        )
    still = np.zeros(len(links.ids), dtype=bool)
    still[old[found]] = True
    gone = sorted(links.ids[links.suggested & ~still].tolist())
    decided = sa.exists().where(script_link_decisions.c.link_id == script_links.c.id)
    for start in range(0, len(gone), _CHUNK):
        part = gone[start : start + _CHUNK]
        where = script_links.c.id.in_(part)
        conn.execute(script_links.update().where(where, decided).values(suggested=False))
        conn.execute(script_links.delete().where(where, ~decided))
    return len(low)


def narrative_rows(
    pks: Ints, digests: Sequence[str], present: npt.NDArray[np.bool_], chosen: Chosen
) -> dict[int, Bookkeeping]:
    """Each present narrative's bookkeeping (0 and -1 for the floor of no choice), by pk."""
    counts, floor_quanta, floor_rows = chosen.choices.floors(len(pks))
    floor_pks = np.where(floor_rows >= 0, pks[np.maximum(floor_rows, 0)], -1)
    return {
        pk: (digests[i], count, floor_q, floor_pk)
        for i, pk, count, floor_q, floor_pk in zip(
            range(len(pks)),
            pks.tolist(),
            counts.tolist(),
            floor_quanta.tolist(),
            floor_pks.tolist(),
            strict=True,
        )
        if present[i]
    }


def store_narratives(
    conn: Connection, rows: dict[int, Bookkeeping], last: Last | None, *, full: bool
) -> None:
    """Keep ROWS as the narratives scored, writing only what differs from LAST's."""
    from bigfish.ml.similar import QUANTUM

    columns = ["report_pk", "digest", "chosen", "floor_score", "floor_pk"]

    def stored(pk: int, row: Bookkeeping) -> tuple[object, ...]:
        digest, count, floor_q, floor_pk = row
        return pk, digest, count, floor_q / QUANTUM if count else None, floor_pk if count else None

    if full or last is None:
        conn.execute(script_narratives.delete())
        insert_many(conn, script_narratives, columns, [stored(*item) for item in rows.items()])
        return
    gone = sorted(set(last.narratives) - set(rows))
    for start in range(0, len(gone), _CHUNK):
        part = gone[start : start + _CHUNK]
        conn.execute(script_narratives.delete().where(script_narratives.c.report_pk.in_(part)))
    changed = [stored(pk, row) for pk, row in rows.items() if last.narratives.get(pk) != row]
    upsert(
        conn, script_narratives, [dict(zip(columns, r, strict=True)) for r in changed], columns[:1]
    )


def store_state(
    conn: Connection,
    settings: Settings,
    frequencies: DocumentFrequencies | None,
    narratives: int,
    generation: int,
    *,
    full: bool,
) -> None:
    """Record this run (and, after a full run, its idf)."""
    now = datetime.now(UTC)
    if not full:
        conn.execute(
            script_state.update()
            .where(script_state.c.id == 1)
            .values(generation=generation + 1, updated_at=now)
        )
        return
    conn.execute(script_state.delete())
    conn.execute(
        script_state.insert().values(
            id=1,
            method=settings.method,
            top_k=settings.top_k,
            min_score=settings.min_score,
            documents=narratives if frequencies is None else frequencies.documents,
            frequencies=None if frequencies is None else frequencies.to_text(),
            generation=generation + 1,
            rebuilt_at=now,
            updated_at=now,
        )
    )

"""Same-script suggestions for analysts: reports whose narratives may tell the same script.

Rings reuse their scripts across countries while every phone and account changes. `find` (the
operator's job, `bigfish ml suggest`) scores the narratives of reports against each other
(`bigfish.ml.similar`: identifiers masked, character n-grams) and keeps each report's best pairs
in `script_links`. They are *possible* links with a score: kept apart from the identifier links,
never merged into a network. A viewer is shown a suggestion only when it may see both reports
(`bigfish.sharing.policy`), and its organization's analysts accept or reject it for their
organization (`decide`).

A run compares only the narratives new or changed since the last run (a digest of each masked
narrative is kept in `script_narratives`) with all, and replaces only the pairs that changes:
what a full run would find, with the idf of the last full run. The idf (the n-grams' document
frequencies, `script_state`) is counted at a full run and kept until the next, so that every
stored score is of one weighting: `--all`, the first run, another --top, --min-score or method,
and a corpus grown past twice the narratives the idf was counted over run in full. A pair no
longer suggested is deleted, or kept unsuggested while an organization's decision on it stands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import AccessDenied, Conflict, InputError, NotFound
from bigfish.linking.loading import fetch_columns
from bigfish.models import ApiRole
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.fast import insert_many, upsert
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_linking import (
    script_link_decisions,
    script_links,
    script_narratives,
    script_state,
)

if TYPE_CHECKING:  # the ML stack is imported by a run only, not by the API's views
    from bigfish.ml.similar import Chosen, DocumentFrequencies, Previous, Vectors

DECISIONS = ("accepted", "rejected")
#: The key of PostgreSQL's transaction lock that stores one run's results at a time.
SUGGEST_LOCK = 0x6269_6766_7367  # "bigfsg"
_CHUNK = 500  # ids per IN (...)
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class FindResult:
    """What one `find` run read, compared and kept."""

    narratives: int  # narratives read
    suggestions: int  # pairs suggested after the run
    compared: int  # narratives compared with all (new, changed, or that lost a choice)
    full: bool  # a full run (the idf counted anew)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Another report that may tell the same script, as one viewer is shown it."""

    org: str
    report_id: str
    score: float
    method: str
    decision: str | None  # the viewer's organization's: accepted | rejected | None

    def to_json(self) -> dict[str, object]:
        """The API's form."""
        return {
            "org": self.org,
            "report_id": self.report_id,
            "score": self.score,
            "method": self.method,
            "decision": self.decision,
        }


@dataclass(frozen=True)
class _Settings:
    """How the stored suggestions were made."""

    method: str  # with its features' version
    top_k: int
    min_score: float


_Bookkeeping = tuple[str, int, int, int]  # digest, choices, floor score (quanta), floor pk


@dataclass(frozen=True)
class _Last:
    """What the last run left: its settings, idf and each narrative's bookkeeping by pk (0 and
    -1 for the floor of no choice)."""

    settings: _Settings
    documents: int
    frequencies: str | None
    generation: int
    narratives: dict[int, _Bookkeeping]


@dataclass(frozen=True)
class _Links:
    """Every stored pair (suggested or kept for a decision)."""

    ids: Ints
    low: Ints
    high: Ints
    quanta: Ints
    suggested: npt.NDArray[np.bool_]


def _method_tag(method: str) -> str:
    from bigfish.ml.similar import FEATURES

    return FEATURES if method == "char-ngram" else method


def _digest(masked: str) -> str:
    return hashlib.blake2b(masked.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _read_last(conn: Connection) -> _Last | None:
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
    settings = _Settings(str(row.method), int(row.top_k), float(row.min_score))
    return _Last(settings, int(row.documents), row.frequencies, int(row.generation), narratives)


def _read_links(conn: Connection) -> _Links:
    from bigfish.ml.similar import QUANTUM

    c = script_links.c
    quanta = sa.cast(sa.func.round(c.score * QUANTUM), sa.Integer)
    flag = sa.case((c.suggested, 1), else_=0)
    rows = fetch_columns(conn, sa.select(c.id, c.report_a, c.report_b, quanta, flag), 5)
    return _Links(rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4] == 1)


def _rows_of(pks: Ints, wanted: Ints) -> Ints:
    """The row of each of WANTED among the sorted PKS, -1 where it is not there."""
    at = np.searchsorted(pks, wanted)
    found = at < len(pks)
    found[found] = pks[at[found]] == wanted[found]
    return np.where(found, at, -1)


def _needs_full_run(last: _Last | None, settings: _Settings, narratives: int) -> bool:
    """Whether a run must compare everything: no earlier run, other settings, not char-ngram,
    or twice the narratives the idf was counted over (it would describe less than half)."""
    if last is None or last.settings != settings or settings.method != _method_tag("char-ngram"):
        return True
    return last.frequencies is None or narratives > 2 * last.documents


def find(
    store: Store,
    *,
    top_k: int = 10,
    min_score: float = 0.5,
    method: str = "char-ngram",
    full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> FindResult:
    """Keep, for each report's narrative, its TOP_K best pairs scored MIN_SCORE or more: the
    narratives new or changed since the last run are compared with all (every one when FULL,
    or when the last run cannot be built on), pairs of deleted reports or removed narratives
    go, and analysts' decisions stay. PROGRESS is told (narratives compared, of those to
    compare) as the comparison goes. The operator's job: it reads every report, and each
    viewer is shown only pairs of reports it may see. Conflict when another run stored its
    results meanwhile."""
    from bigfish.ml.similar import Previous, choose, masked_narratives

    if method not in ("char-ngram", "e5"):
        raise InputError("the method is char-ngram or e5", field="method")
    settings = _Settings(_method_tag(method), top_k, min_score)
    with store.connect() as conn:
        last = _read_last(conn)
        rows = conn.execute(
            sa.select(reports.c.id, reports.c.narrative)
            .where(reports.c.narrative.is_not(None), reports.c.narrative != "")
            .order_by(reports.c.id)
        ).all()
        links = _read_links(conn)
    pks = np.array([r.id for r in rows], dtype=np.int64)
    masked = masked_narratives([str(r.narrative) for r in rows])
    digests = [_digest(m) for m in masked]
    full = full or last is None or _needs_full_run(last, settings, len(pks))
    vectors, frequencies = _vectors(method, masked, None if full else last)
    if full or last is None:
        changed, previous = np.ones(len(pks), dtype=bool), Previous.nothing(len(pks))
    else:
        changed, previous = _previous(pks, digests, last, links)
    chosen = choose(vectors, changed, previous, top_k=top_k, min_score=min_score, progress=progress)
    with store.begin() as conn:
        generation = _lock(conn)
        if generation != (0 if last is None else last.generation):
            raise Conflict("another `bigfish ml suggest` run stored its suggestions meanwhile")
        present = np.isin(pks, np.fromiter(conn.execute(sa.select(reports.c.id)).scalars(), int))
        low, high, quanta = chosen.choices.pairs()
        keep = present[low] & present[high]  # a report deleted meanwhile is no suggestion
        pairs = (pks[low[keep]], pks[high[keep]], quanta[keep])
        suggestions = _store_links(conn, links, pairs, method)
        state = _narrative_rows(pks, digests, present, chosen)
        _store_narratives(conn, state, last, full=full)
        _store_state(conn, settings, frequencies, len(pks), generation, full=full)
    return FindResult(len(pks), suggestions, chosen.compared, full)


def _vectors(
    method: str, masked: list[str], last: _Last | None
) -> tuple[Vectors, DocumentFrequencies | None]:
    """The MASKED narratives' vectors and the idf they were made with: LAST's, or (None) their
    own."""
    from bigfish.ml.similar import DocumentFrequencies, e5_vectors, ngram_vectors

    if method == "e5":
        return e5_vectors(masked), None
    if last is None or last.frequencies is None:
        return ngram_vectors(masked)
    return ngram_vectors(masked, DocumentFrequencies.from_text(last.documents, last.frequencies))


def _previous(
    pks: Ints, digests: list[str], last: _Last, links: _Links
) -> tuple[npt.NDArray[np.bool_], Previous]:
    """Which narratives are new or changed since LAST, and what LAST chose, as rows of PKS."""
    from bigfish.ml.similar import Previous

    kept = [last.narratives.get(pk, ("", 0, 0, -1)) for pk in pks.tolist()]
    changed = np.array([k[0] != d for k, d in zip(kept, digests, strict=True)], dtype=bool)
    column = [np.array([k[i] for k in kept], dtype=np.int64) for i in (1, 2, 3)]
    live = links.suggested
    return changed, Previous(
        _rows_of(pks, links.low[live]),
        _rows_of(pks, links.high[live]),
        links.quanta[live],
        column[0],
        column[1],
        _rows_of(pks, column[2]),
    )


def _lock(conn: Connection) -> int:
    """Make CONN's transaction the only one storing a run's results until it ends (first in
    the transaction); the generation of the stored results."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SUGGEST_LOCK})
    else:  # SQLite: a write takes the one write lock now (reads alone would not)
        conn.execute(script_state.update().where(script_state.c.id == 1).values(id=1))
    query = sa.select(script_state.c.generation).where(script_state.c.id == 1)
    return int(conn.execute(query).scalar() or 0)


def _keys(low: Ints, high: Ints) -> Ints:
    return (low << 32) | high


def _store_links(
    conn: Connection, links: _Links, pairs: tuple[Ints, Ints, Ints], method: str
) -> int:
    """Make PAIRS (lower pk, higher pk, score in ten-thousandths) the suggested pairs, writing
    only what differs from LINKS; a pair no longer suggested is deleted, or kept unsuggested
    while a decision on it stands. The number of pairs suggested."""
    from bigfish.ml.similar import QUANTUM

    now = datetime.now(UTC)
    low, high, quanta = pairs
    old_keys = _keys(links.low, links.high)
    order = np.argsort(old_keys)
    at = _rows_of(old_keys[order], _keys(low, high))
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


def _narrative_rows(
    pks: Ints, digests: Sequence[str], present: npt.NDArray[np.bool_], chosen: Chosen
) -> dict[int, _Bookkeeping]:
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


def _store_narratives(
    conn: Connection, rows: dict[int, _Bookkeeping], last: _Last | None, *, full: bool
) -> None:
    """Keep ROWS as the narratives scored, writing only what differs from LAST's."""
    from bigfish.ml.similar import QUANTUM

    columns = ["report_pk", "digest", "chosen", "floor_score", "floor_pk"]

    def stored(pk: int, row: _Bookkeeping) -> tuple[object, ...]:
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


def _store_state(
    conn: Connection,
    settings: _Settings,
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


def _report_pk(conn: Connection, viewer: Viewer, org: str, report_id: str) -> int:
    pk = conn.execute(
        sa.select(reports.c.id)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(
            organizations.c.name == org,
            reports.c.report_id == report_id,
            visible_reports(viewer),
        )
    ).scalar()
    if pk is None:
        raise NotFound("report", f"{org}/{report_id}")  # unknown and hidden look the same
    return int(pk)


def suggestions_for(store: Store, viewer: Viewer, org: str, report_id: str) -> list[Suggestion]:
    """The suggestions of report ORG/REPORT_ID that VIEWER may see (both reports), best first,
    with its organization's decision; NotFound when it may not see the report."""
    with store.connect() as conn:
        pk = _report_pk(conn, viewer, org, report_id)
        other = sa.case(
            (script_links.c.report_a == pk, script_links.c.report_b),
            else_=script_links.c.report_a,
        )
        decision = (
            sa.select(script_link_decisions.c.decision)
            .where(
                script_link_decisions.c.link_id == script_links.c.id,
                script_link_decisions.c.org_id == (viewer.org_id or -1),
            )
            .scalar_subquery()
        )
        rows = conn.execute(
            sa.select(
                organizations.c.name,
                reports.c.report_id,
                script_links.c.score,
                script_links.c.method,
                decision.label("decision"),
            )
            .select_from(script_links)
            .join(reports, reports.c.id == other)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .where(
                sa.or_(script_links.c.report_a == pk, script_links.c.report_b == pk),
                # a pair no longer suggested is shown only to the organizations that decided
                sa.or_(script_links.c.suggested, decision.is_not(None)),
                visible_reports(viewer),
            )
            .order_by(script_links.c.score.desc(), organizations.c.name, reports.c.report_id)
        ).all()
    return [
        Suggestion(str(r.name), str(r.report_id), float(r.score), str(r.method), r.decision)
        for r in rows
    ]


def decide(
    store: Store,
    viewer: Viewer,
    actor: str,
    report: tuple[str, str],
    other: tuple[str, str],
    decision: str,
) -> Suggestion:
    """Record VIEWER's organization's DECISION (accepted | rejected) on the suggestion joining
    REPORT and OTHER (each organization, report id), by ACTOR; NotFound unless VIEWER may see
    both and the suggestion exists."""
    if decision not in DECISIONS:
        raise InputError(f"decision is one of {', '.join(DECISIONS)}", field="decision")
    if viewer.org_id is None or viewer.role not in (ApiRole.ANALYST, ApiRole.ADMIN):
        raise AccessDenied("an organization's analysts decide on suggestions")
    with store.begin() as conn:
        a = _report_pk(conn, viewer, *report)
        b = _report_pk(conn, viewer, *other)
        ours = sa.exists().where(
            script_link_decisions.c.link_id == script_links.c.id,
            script_link_decisions.c.org_id == viewer.org_id,
        )
        link = conn.execute(
            sa.select(script_links.c.id, script_links.c.score, script_links.c.method).where(
                script_links.c.report_a == min(a, b),
                script_links.c.report_b == max(a, b),
                sa.or_(script_links.c.suggested, ours),  # as `suggestions_for` shows it
            )
        ).first()
        if link is None:
            raise NotFound("suggestion", f"{report[0]}/{report[1]} ~ {other[0]}/{other[1]}")
        decided = {
            "link_id": link.id,
            "org_id": viewer.org_id,
            "decision": decision,
            "decided_by": actor[:200],
            "decided_at": datetime.now(UTC),
        }
        upsert(conn, script_link_decisions, [decided], ["link_id", "org_id"])
    return Suggestion(other[0], other[1], float(link.score), str(link.method), decision)

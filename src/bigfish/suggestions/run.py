"""A run of same-script suggestions (`find`, the operator's job): the narratives new or changed
since the last run are scored against all and each report's best pairs kept (the package's
docstring tells when a run is full).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from bigfish.errors import Conflict, InputError
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.suggestions.state import (
    Ints,
    Last,
    Links,
    Settings,
    lock_results,
    narrative_rows,
    read_last,
    read_links,
    rows_of,
    store_links,
    store_narratives,
    store_state,
)

if TYPE_CHECKING:  # the ML stack is imported by a run only, not by the API's views
    from bigfish.ml.similar import DocumentFrequencies, Previous, Vectors


@dataclass(frozen=True, slots=True)
class FindResult:
    """What one `find` run read, compared and kept."""

    narratives: int  # narratives read
    suggestions: int  # pairs suggested after the run
    compared: int  # narratives compared with all (new, changed, or that lost a choice)
    full: bool  # a full run (the idf counted anew)


def _method_tag(method: str) -> str:
    from bigfish.ml.similar import FEATURES

    return FEATURES if method == "char-ngram" else method


def _digest(masked: str) -> str:
    return hashlib.blake2b(masked.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _needs_full_run(last: Last | None, settings: Settings, narratives: int) -> bool:
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
    settings = Settings(_method_tag(method), top_k, min_score)
    with store.connect() as conn:
        last = read_last(conn)
        rows = conn.execute(
            sa.select(reports.c.id, reports.c.narrative)
            .where(reports.c.narrative.is_not(None), reports.c.narrative != "")
            .order_by(reports.c.id)
        ).all()
        links = read_links(conn)
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
        generation = lock_results(conn)
        if generation != (0 if last is None else last.generation):
            raise Conflict("another `bigfish ml suggest` run stored its suggestions meanwhile")
        present = np.isin(pks, np.fromiter(conn.execute(sa.select(reports.c.id)).scalars(), int))
        low, high, quanta = chosen.choices.pairs()
        keep = present[low] & present[high]  # a report deleted meanwhile is no suggestion
        pairs = (pks[low[keep]], pks[high[keep]], quanta[keep])
        suggestions = store_links(conn, links, pairs, method)
        state = narrative_rows(pks, digests, present, chosen)
        store_narratives(conn, state, last, full=full)
        store_state(conn, settings, frequencies, len(pks), generation, full=full)
    return FindResult(len(pks), suggestions, chosen.compared, full)


def _vectors(
    method: str, masked: list[str], last: Last | None
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
    pks: Ints, digests: list[str], last: Last, links: Links
) -> tuple[npt.NDArray[np.bool_], Previous]:
    """Which narratives are new or changed since LAST, and what LAST chose, as rows of PKS."""
    from bigfish.ml.similar import Previous

    kept = [last.narratives.get(pk, ("", 0, 0, -1)) for pk in pks.tolist()]
    changed = np.array([k[0] != d for k, d in zip(kept, digests, strict=True)], dtype=bool)
    column = [np.array([k[i] for k in kept], dtype=np.int64) for i in (1, 2, 3)]
    # A narrative that chose others but has no stored pair left is compared anew: its report
    # may be a new one in a deleted report's row id (SQLite reuses the newest), with the same
    # script (the same digest); the deleted one's pairs went with it. (When its others were
    # all deleted, it finds what it would have kept.)
    paired = np.zeros(len(pks), dtype=bool)
    for side in (links.low, links.high):
        rows = rows_of(pks, side)
        paired[rows[rows >= 0]] = True
    changed |= (column[0] > 0) & ~paired
    live = links.suggested
    return changed, Previous(
        rows_of(pks, links.low[live]),
        rows_of(pks, links.high[live]),
        links.quanta[live],
        column[0],
        column[1],
        rows_of(pks, column[2]),
    )

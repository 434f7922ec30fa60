"""Per-viewer caches of the slow page figures (overview statistics, the viewer's ranking), served
stale while one background refresh computes the new ones.

Figures cost seconds at a million reports, and every new report changes them. A viewer who had
figures gets them at once, marked with the time they were computed, while a single background
thread computes the new ones; the next page shows those. (Reports that arrive while a viewer's
refresh is already running may be newer than what it reads: it runs once more after it.)
What keeps this inside the policy:

- an entry belongs to one viewer (organization, groups, operator) of one store, never another;
  leaving a group changes the viewer, so the old groups' figures are never shown again;
- stale figures are served only when no report they may count is hidden from the viewer now:
  when a report the viewer could see was re-marked away from it, the figures are computed
  afresh before the page answers, so a raised TLP or a narrower distribution hides it from the
  next page as everywhere else. New reports, relinks and changes to reports the viewer still
  sees are shown after one refresh, the page saying so;
  (A change is found by its `updated_at`; one stamped before the version was read but
  committed after it, in a transaction that spans the read, is seen by the next refresh only.)
- an entry older than `ttl` seconds is refreshed in the background even when the data version
  did not change (a deletion does not change it): a deletion shows within a minute and one
  refresh, plus at most `bigfish.web.data.SHARE_SPLIT` seconds (for which one read of the
  store serves every viewer's overview and ranking).

A cache given `kept` also keeps its figures in the store (`bigfish.web.stored_figures`),
written in the background after a computation, at most every `KEEP_EVERY` seconds per viewer
(encoding a ranking of 60,000 networks costs seconds of the process's CPU). When its memory has
no entry for a viewer (the first page after the server started, another worker process), the
figures kept for that viewer are served like stale ones in memory: only when no report they may
count is hidden from the viewer now, marked with their time, while one refresh computes the new
ones; otherwise they are ignored and the figures computed before the page answers.

`warm` has the background thread prepare the figures of given viewers (the server names every
organization with a web user when it starts), so that a viewer's first page after a start need
not compute them: at a million reports that is ~8 s for the first viewer (the read shared by all,
`bigfish.web.data.SharedFigures`) and a fraction of a second for each other, paid in the background
instead of by whoever signs in first.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from bigfish.background import BackgroundJobs
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import link_state, networks
from bigfish.web.stored_figures import KeptFigures, StoredFigures, Version, ViewerKey

log = logging.getLogger(__name__)

T = TypeVar("T")


def data_version(store: Store) -> Version:
    """What changes whenever a report is added or re-marked and whenever linking runs (indexed
    maxima and the one row of the linking state: a few milliseconds at any size). The first two
    items are the newest report id and the newest `updated_at`."""
    with store.connect() as conn:
        row = conn.execute(
            sa.select(
                sa.select(sa.func.max(reports.c.id)).scalar_subquery(),
                sa.select(sa.func.max(reports.c.updated_at)).scalar_subquery(),
                sa.select(sa.func.max(networks.c.id)).scalar_subquery(),
            )
        ).one()
        state = conn.execute(
            sa.select(link_state.c.rebuilt_at, link_state.c.updated_at, link_state.c.watermark)
        ).first()
    return (*row, *(state or ()))


def nothing_hidden_since(store: Store, viewer: Viewer, old: Version) -> bool:
    """True when no report that figures computed at version OLD may count is hidden from VIEWER
    now: every report re-marked or updated since OLD is still visible to VIEWER. Reports added
    since and never changed count only if they were visible from the start, and then still are.
    (Changed means `updated_at` later than `created_at`; a writer that stamps both apart makes a
    report look changed, which only costs a computation.)"""
    newest_id, newest_update = old[0], old[1]
    if newest_id is None or newest_update is None:
        return True  # there were no reports
    hidden = sa.case((visible_reports(viewer), 1), else_=0) == 0  # NULL counts as hidden
    # SQLite compares timestamps as text: a row written with a UTC offset ("+00:00") sorts
    # after the same instant written without one, so the rows found are compared once read.
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.updated_at)
            .where(
                reports.c.updated_at > newest_update,
                sa.or_(reports.c.id <= newest_id, reports.c.updated_at > reports.c.created_at),
                hidden,
            )
            .limit(_SAME_INSTANT)
        ).all()
    return len(rows) < _SAME_INSTANT and all(at == newest_update for (at,) in rows)


_SAME_INSTANT = 1000  # more rows than this at the version's instant: assume a change


def nothing_new_since(store: Store, viewer: Viewer, old: Version) -> bool:
    """True when no report VIEWER may see was added or changed since figures computed at
    version OLD: the version moved for reports it may not see (or a link run) only. Its pages
    are then not marked "as of": the mark would date a report it may not see. Compared as
    `nothing_hidden_since` does (a row at the version's own instant is no change)."""
    newest_id, newest_update = old[0], old[1]
    visible = visible_reports(viewer)
    with store.connect() as conn:
        if newest_id is None or newest_update is None:  # there were no reports
            return conn.execute(sa.select(reports.c.id).where(visible).limit(1)).first() is None
        added = conn.execute(
            sa.select(reports.c.id).where(reports.c.id > newest_id, visible).limit(1)
        ).first()
        if added is not None:
            return False
        rows = conn.execute(
            sa.select(reports.c.updated_at)
            .where(reports.c.updated_at > newest_update, visible)
            .limit(_SAME_INSTANT)
        ).all()
    return len(rows) < _SAME_INSTANT and all(at == newest_update for (at,) in rows)


def viewer_key(viewer: Viewer) -> ViewerKey:
    """What decides what VIEWER sees (`bigfish.sharing.policy.visible_reports`)."""
    return (viewer.org_id, viewer.group_ids, viewer.operator)


_checks_lock = threading.Lock()
_checks: weakref.WeakKeyDictionary[Store, dict[tuple[str, ViewerKey, Version, Version], bool]] = (
    weakref.WeakKeyDictionary()
)


def _remembered(
    check: Callable[[Store, Viewer, Version], bool],
    store: Store,
    viewer: Viewer,
    old: Version,
    new: Version,
) -> bool:
    """CHECK(OLD) at version NEW, remembered: after a large ingest a check reads every new
    report, once per viewer and version rather than once per cache and page."""
    key = (check.__name__, viewer_key(viewer), old, new)
    with _checks_lock:
        known = _checks.get(store, {}).get(key)
    if known is not None:
        return known
    answer = check(store, viewer, old)
    with _checks_lock:
        checks = _checks.setdefault(store, {})
        if len(checks) >= 1024:
            checks.clear()
        checks[key] = answer
    return answer


def _servable(store: Store, viewer: Viewer, old: Version, new: Version) -> bool:
    """`nothing_hidden_since(OLD)` at version NEW, remembered."""
    return _remembered(nothing_hidden_since, store, viewer, old, new)


def _news(store: Store, viewer: Viewer, old: Version, new: Version) -> bool:
    """Whether VIEWER may see a report added or changed since OLD, at version NEW, remembered."""
    return not _remembered(nothing_new_since, store, viewer, old, new)


@dataclass(frozen=True, slots=True)
class Figures(Generic[T]):
    """Cached figures: the value, when it was computed, and whether newer data exists."""

    value: T
    computed_at: datetime
    stale: bool

    @property
    def as_of(self) -> datetime | None:
        """When the figures were computed if they are stale (the page says so), else None."""
        return self.computed_at if self.stale else None


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    value: T
    version: Version
    computed_at: datetime
    stored: float  # the clock's time when stored
    loaded: bool = False  # read from the store, not computed by this process: always stale


_refresher = BackgroundJobs("bigfish-figures")

#: A viewer's figures are written to the store at most this often by one process.
KEEP_EVERY = 300.0


def settle(timeout: float = 60.0) -> None:
    """Wait until every background refresh has finished."""
    _refresher.settle(timeout)


#: How long a first page waits for the warm-up of its own viewer that is already running.
WARM_WAIT = 300.0


def _warm_key(store: Store, viewer: Viewer) -> Hashable:
    return ("warm", id(store), viewer_key(viewer))


def warm(store: Store, viewers: Sequence[Viewer], caches: Sequence[ViewerCache[Any]]) -> int:
    """Have the background thread compute (or load from the store) every cache's figures for
    each of VIEWERS, one viewer after another, so that their first pages find them ready; returns
    how many viewers were queued. A first page whose viewer's warm-up is running waits for it
    (no second computation beside it); one whose warm-up is still queued cancels it and computes
    its figures itself, as without a warm-up."""
    ref = weakref.ref(store)
    for viewer in viewers:

        def job(viewer: Viewer = viewer) -> None:
            target = ref()
            if target is None:
                return
            for cache in caches:
                try:
                    cache.warm(target, viewer)
                except Exception:  # a closed store, a dropped connection: the first page computes
                    log.warning("warming page figures failed", exc_info=True)
                    return

        _refresher.submit(_warm_key(store, viewer), job)
    return len(viewers)


class ViewerCache(Generic[T]):
    """Figures computed by COMPUTE(store, viewer), cached per store and viewer, and kept in the
    store when KEPT is given (module doc)."""

    def __init__(
        self,
        compute: Callable[[Store, Viewer], T],
        *,
        ttl: float = 60.0,
        size: int = 256,
        kept: KeptFigures[T] | None = None,
    ) -> None:
        self._compute = compute
        self._ttl = ttl
        self._size = size
        self._kept = kept
        self._lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[Store, dict[ViewerKey, _Entry[T]]] = (
            weakref.WeakKeyDictionary()
        )
        self._kept_at: weakref.WeakKeyDictionary[Store, dict[ViewerKey, float]] = (
            weakref.WeakKeyDictionary()
        )

    def _get_entry(self, store: Store, key: ViewerKey) -> _Entry[T] | None:
        with self._lock:
            return self._stores.get(store, {}).get(key)

    def _put(self, store: Store, key: ViewerKey, entry: _Entry[T]) -> None:
        with self._lock:
            entries = self._stores.setdefault(store, {})
            old = entries.get(key)
            if old is not None and old.computed_at > entry.computed_at:
                return  # a slower, older computation finished last
            if key not in entries and len(entries) >= self._size:
                entries.clear()
            entries[key] = entry

    def _fresh(
        self, store: Store, viewer: Viewer, version: Version, clock: Callable[[], float]
    ) -> _Entry[T]:
        computed_at = datetime.now(UTC)
        value = self._compute(store, viewer)
        entry = _Entry(value, version, computed_at, clock())
        self._put(store, viewer_key(viewer), entry)
        return entry

    def _keep_due(self, store: Store, key: ViewerKey, clock: Callable[[], float]) -> bool:
        """True (and noted) when this process has not kept KEY's figures in `KEEP_EVERY`."""
        now = clock()
        with self._lock:
            kept_at = self._kept_at.setdefault(store, {})
            last = kept_at.get(key)
            if last is not None and now - last < KEEP_EVERY:
                return False
            if key not in kept_at and len(kept_at) >= 4 * self._size:
                kept_at.clear()
            kept_at[key] = now
        return True

    def _keep(self, store: Store, key: ViewerKey, entry: _Entry[T]) -> None:
        if self._kept is None:
            return
        try:
            self._kept.write(
                store, key, StoredFigures(entry.value, entry.version, entry.computed_at)
            )
        except Exception:  # a busy or read-only store: the figures stay in memory
            log.warning("page figures could not be kept in the store", exc_info=True)

    def _keep_later(
        self, store: Store, key: ViewerKey, entry: _Entry[T], clock: Callable[[], float]
    ) -> None:
        """Keep ENTRY in the store from the background thread, when due: the page does not wait
        for a write (on SQLite, for another writer's transaction)."""
        if self._kept is None or not self._keep_due(store, key, clock):
            return
        ref = weakref.ref(store)

        def job() -> None:
            target = ref()
            if target is not None:
                self._keep(target, key, entry)

        _refresher.submit(("keep", id(self), id(store), key, entry.computed_at), job)

    def _load(self, store: Store, key: ViewerKey, clock: Callable[[], float]) -> _Entry[T] | None:
        if self._kept is None:
            return None
        found = self._kept.read(store, key)
        if found is None:
            return None
        return _Entry(found.value, found.version, found.computed_at, clock(), loaded=True)

    def _refresh_later(self, store: Store, viewer: Viewer, clock: Callable[[], float]) -> None:
        ref = weakref.ref(store)

        def job() -> None:
            target = ref()
            if target is None or self._current(target, viewer, clock):
                return  # a computation queued before this one (a warm-up) made them current
            try:
                entry = self._fresh(target, viewer, data_version(target), clock)
            except Exception:  # a closed store, a dropped connection: the next page retries
                log.warning("background refresh of page figures failed", exc_info=True)
                return
            if self._kept is not None and self._keep_due(target, viewer_key(viewer), clock):
                self._keep(target, viewer_key(viewer), entry)

        _refresher.submit((id(self), id(store), viewer_key(viewer)), job)

    def _computed_now(
        self, store: Store, viewer: Viewer, version: Version, clock: Callable[[], float]
    ) -> Figures[T]:
        entry = self._fresh(store, viewer, version, clock)
        self._keep_later(store, viewer_key(viewer), entry, clock)
        return Figures(entry.value, entry.computed_at, stale=False)

    def warm(
        self, store: Store, viewer: Viewer, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Have VIEWER's current figures in memory before their first page. Nothing to do when
        they are; else the figures kept in the store, when `get` could serve them, are put in
        memory at once (a page meanwhile shows them, marked) and the current ones computed; they
        are kept in the store unless the kept ones were already of this version."""
        key = viewer_key(viewer)
        if self._current(store, viewer, clock):
            return
        version = data_version(store)
        kept_version = None
        if self._get_entry(store, key) is None:
            loaded = self._load(store, key, clock)
            if loaded is not None and _servable(store, viewer, loaded.version, version):
                self._put(store, key, loaded)
                kept_version = loaded.version
        entry = self._fresh(store, viewer, version, clock)
        if kept_version != version and self._kept is not None and self._keep_due(store, key, clock):
            self._keep(store, key, entry)

    def _current(self, store: Store, viewer: Viewer, clock: Callable[[], float]) -> bool:
        """True when this process computed VIEWER's figures at the current data version, within
        the ttl: a refresh would compute the same."""
        entry = self._get_entry(store, viewer_key(viewer))
        return (
            entry is not None
            and not entry.loaded
            and clock() - entry.stored < self._ttl
            and entry.version == data_version(store)
        )

    def get(
        self, store: Store, viewer: Viewer, *, clock: Callable[[], float] = time.monotonic
    ) -> Figures[T]:
        """VIEWER's figures: cached when current; the previous ones (in memory, else kept in the
        store), marked stale, while one refresh runs when nothing they count has been hidden from
        VIEWER since; else computed now."""
        key = viewer_key(viewer)
        version = data_version(store)
        entry = self._get_entry(store, key)
        if entry is None:
            entry = self._load(store, key, clock)
            if entry is None or not _servable(store, viewer, entry.version, version):
                warmed = _refresher.join_if_running(_warm_key(store, viewer), WARM_WAIT)
                entry = self._get_entry(store, key) if warmed else None
                if entry is None:
                    return self._computed_now(store, viewer, version, clock)
            else:
                self._put(store, key, entry)
        if entry.version == version and not entry.loaded:
            if clock() - entry.stored >= self._ttl:
                self._refresh_later(store, viewer, clock)
            return Figures(entry.value, entry.computed_at, stale=False)
        if _servable(store, viewer, entry.version, version):
            self._refresh_later(store, viewer, clock)
            # Marked only for what VIEWER may see: a mark for a version moved by reports it
            # may not see alone would date them. The refresh runs either way.
            stale = entry.loaded or _news(store, viewer, entry.version, version)
            return Figures(entry.value, entry.computed_at, stale=stale)
        return self._computed_now(store, viewer, version, clock)

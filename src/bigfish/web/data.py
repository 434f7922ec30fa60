"""What the pages show, computed through the policy: changes since yesterday, the filtered
ranking of networks, the graph of one network, cooperation requests, and network exports.

Each function takes the store and a `Viewer` and reads only what `visible_reports(viewer)` allows;
the views in `bigfish.web.views` call one of these (or a function of another area) per page.

The page of one network (its graph and exports) is in `bigfish.web.network_page`, the identifier
lookup in `bigfish.web.lookup`; their names are re-exported here. The figures every viewer shares
stay here, with the caches that read them (tests replace `network_stats`, `overview_figures`,
`audience_split` and `_shared` in this module).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from bigfish.accounts import user_viewers
from bigfish.background import background_priority
from bigfish.linking.parts import MemberGraph, load_member_graph
from bigfish.linking.score import NetworkStats
from bigfish.linking.views import AudienceSplit, audience_split, stats_from_row, stats_of_parts
from bigfish.reporting.period import ALL_TIME, Period
from bigfish.reporting.stats import AudienceTotals, KeyFigures, audience_totals
from bigfish.reporting.unrated import Unrated, unrated_losses
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_members, networks
from bigfish.web import freshness
from bigfish.web.facets import RankingFacets
from bigfish.web.freshness import Figures, ViewerCache
from bigfish.web.lookup import Mentioning as Mentioning
from bigfish.web.lookup import interpret as interpret
from bigfish.web.lookup import reports_mentioning as reports_mentioning
from bigfish.web.network_page import EXPORT_MEDIA_TYPES as EXPORT_MEDIA_TYPES
from bigfish.web.network_page import MemberFacts as MemberFacts
from bigfish.web.network_page import export_network as export_network
from bigfish.web.network_page import graph_elements as graph_elements
from bigfish.web.network_page import member_facts as member_facts
from bigfish.web.stored_figures import KeptFigures, KeptSequence, Version

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Changes:
    """What arrived in the last 24 hours that the viewer may see."""

    new_reports: int
    new_loss_usd: float
    networks_touched: int
    #: The new reports' losses in currencies without a reference rate (not in NEW_LOSS_USD).
    new_unrated: tuple[Unrated, ...] = ()


def since_yesterday(store: Store, viewer: Viewer, now: datetime | None = None) -> Changes:
    """Reports stored in the 24 hours before NOW, their losses, and the networks they joined."""
    since = (now or datetime.now(UTC)) - timedelta(days=1)
    # updated_at is indexed and never earlier than created_at: the index narrows the scan.
    where = sa.and_(
        visible_reports(viewer), reports.c.updated_at >= since, reports.c.created_at >= since
    )
    new = sa.select(reports.c.id).where(where)
    with store.connect() as conn:
        count, loss = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(reports.c.loss_usd), 0.0))
            .select_from(reports)
            .where(where)
        ).one()
        joined = conn.execute(
            sa.select(network_members.c.report_pk, network_members.c.network_id).where(
                network_members.c.report_pk.in_(new)
            )
        ).all()
        touched = _networks_touched(store, conn, viewer, {int(pk): int(nid) for pk, nid in joined})
        unrated = unrated_losses(conn, where)
    return Changes(int(count), float(loss), touched, unrated)


#: Up to this many networks touched since yesterday, their members are read by id.
TOUCHED_BY_ID = 500


def _networks_touched(
    store: Store, conn: sa.Connection, viewer: Viewer, network_of: dict[int, int]
) -> int:
    """How many of the networks VIEWER is shown (two visible reports or more; a network seen in
    parts counts its parts: `bigfish.linking.parts`) hold one of the reports of NETWORK_OF."""
    if not network_of:
        return 0
    wanted = sorted(set(network_of.values()))
    # Many networks: the graph the figures share (of the same data, read once for every
    # viewer) instead of reading theirs by id, a second or more at a million reports.
    by_id = len(wanted) <= TOUCHED_BY_ID
    graph = load_member_graph(conn, wanted) if by_id else _shared.get(store).members
    seen, cut = graph.seen_by(viewer), graph.cut_for(viewer)
    whole = {nid for nid in network_of.values() if nid in seen and nid not in cut}
    parts = sum(
        1 for groups in cut.values() for group in groups if any(pk in network_of for pk in group)
    )
    return len(whole) + parts


@dataclass(frozen=True, slots=True)
class NetworkFilters:
    """The filters of the big-fish page (as `bigfish.web.facets` applies them); None means no
    restriction."""

    country: str | None = None
    scam_type: str | None = None
    org: str | None = None
    period: Period = ALL_TIME
    min_countries: int | None = None

    def positions(self, facets: RankingFacets) -> npt.NDArray[np.int64]:
        """The positions in the ranking of FACETS of the networks that pass every filter."""
        return facets.positions(
            country=self.country,
            organization=self.org,
            scam_type=self.scam_type,
            start=self.period.start,
            end=self.period.end,
            min_countries=self.min_countries,
        )


@dataclass(frozen=True, slots=True)
class RankedNetwork:
    """A network in the viewer's ranking: its id and its statistics over visible reports."""

    id: int
    stats: NetworkStats


@dataclass(frozen=True, slots=True)
class FilteredNetworks:
    """A page of the filtered ranking and the offset of the next page (None at the end); AS_OF
    is when the ranking was computed if newer reports are not in it yet."""

    networks: tuple[RankedNetwork, ...]
    next_offset: int | None
    as_of: datetime | None = None


#: How long one read of the reports and every network's members, split by audience, serves the
#: figures of other viewers at the same data version. A deletion leaves the version as it is: it
#: shows in the figures after at most the caches' ttl plus this.
SHARE_SPLIT = 30.0


@dataclass(frozen=True, slots=True)
class SharedFigures:
    """What every viewer's overview and ranking are made of, read once: the networks' statistics
    and the reports' totals, each split by audience (`bigfish.sharing.Audience`), and the
    networks' members with their links, which say where a viewer sees a network in parts."""

    networks: AudienceSplit
    totals: AudienceTotals
    members: MemberGraph
    _seen: dict[Viewer, dict[int, NetworkStats]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stats_for(self, store: Store, viewer: Viewer) -> dict[int, NetworkStats]:
        """The statistics of every network VIEWER is shown (`visible_network_stats`): the
        split's, but for the networks VIEWER sees in parts (`bigfish.linking.parts`), whose
        parts are read from STORE. Kept per viewer while these figures are."""
        with self._lock:
            found = self._seen.get(viewer)
        if found is not None:
            return found
        stats = self.networks.stats_for(viewer)
        cut = self.members.cut_for(viewer)
        if cut:
            with store.connect() as conn:
                stats = stats_of_parts(conn, stats, cut, self.networks.now)
        with self._lock:
            self._seen[viewer] = stats
        return stats


class _Shared:
    """The latest `SharedFigures` of each store: the warm-up and the first pages of many
    organizations after new reports read the store once instead of once each (seconds at a
    million reports); one computation at a time, the others wait for it and use it. They are
    let go when the window has passed (no later computation may use them): at a million reports
    they hold ~150 MiB that the viewers' cached figures do not need."""

    def __init__(self, window: float) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._figures: weakref.WeakKeyDictionary[Store, tuple[Version, float, SharedFigures]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, store: Store) -> SharedFigures:
        """STORE's figures: the last ones when they are of the current data version and younger
        than the window, else new ones."""
        with self._lock:
            version = freshness.data_version(store)
            found = self._figures.get(store)
            if (
                found is not None
                and found[0] == version
                and time.monotonic() - found[1] < self._window
            ):
                return found[2]
            started = time.monotonic()
            figures = _read_shared(store)
            self._figures[store] = (version, started, figures)
        expiry = threading.Timer(self._window, self._expire, (weakref.ref(store), started))
        expiry.daemon = True
        expiry.start()
        return figures

    def _expire(self, ref: weakref.ref[Store], started: float) -> None:
        """Let go of the figures of store REF computed at STARTED, unless replaced since."""
        store = ref()
        if store is None:
            return
        with self._lock:
            found = self._figures.get(store)
            if found is not None and found[1] == started:
                del self._figures[store]


def _read_shared(store: Store) -> SharedFigures:
    """The split and the totals, read side by side on two connections: the database adds up the
    totals (the driver lets go of the GIL meanwhile) while this thread tallies the members."""

    def totals() -> AudienceTotals:
        with store.connect() as conn:
            return audience_totals(conn, store.dialect)

    def members() -> MemberGraph:
        with store.connect() as conn:
            return load_member_graph(conn)

    with ThreadPoolExecutor(
        2, thread_name_prefix="bigfish-totals", initializer=background_priority
    ) as pool:
        pending = pool.submit(totals)
        graph = pool.submit(members)
        with store.connect() as conn:
            split = audience_split(conn, datetime.now(UTC))
        return SharedFigures(split, pending.result(), graph.result())


_shared = _Shared(SHARE_SPLIT)


def network_stats(store: Store, viewer: Viewer) -> dict[int, NetworkStats]:
    """The statistics of every network VIEWER sees two reports of or more (over those reports):
    `visible_network_stats`, from the figures shared by every viewer."""
    return _shared.get(store).stats_for(store, viewer)


def overview_figures(store: Store, viewer: Viewer) -> KeyFigures:
    """VIEWER's all-time key figures (`key_figures`), from the figures shared by every viewer."""
    shared = _shared.get(store)
    return shared.totals.figures_for(viewer, len(shared.stats_for(store, viewer)))


def _compute_ranking(store: Store, viewer: Viewer) -> Sequence[RankedNetwork]:
    if viewer.operator:
        with store.connect() as conn:
            rows = conn.execute(sa.select(networks).where(networks.c.status == "active")).all()
        ranked = [RankedNetwork(int(r.id), stats_from_row(r)) for r in rows]
    else:
        ranked = [RankedNetwork(nid, s) for nid, s in network_stats(store, viewer).items()]
    ranked.sort(key=lambda n: (-n.stats.score, -n.stats.report_count, n.id))
    return tuple(ranked)


#: The facets of the last rankings filtered (by id; each with its ranking, which keeps the id).
_facets_cache: dict[int, tuple[Sequence[RankedNetwork], RankingFacets]] = {}
_facets_lock = threading.Lock()


def ranking_facets(ranking: Sequence[RankedNetwork]) -> RankingFacets:
    """The facets of RANKING: kept with it in the store, else made from its networks (once)."""
    with _facets_lock:
        found = _facets_cache.get(id(ranking))
        if found is not None and found[0] is ranking:
            return found[1]
    facets = None
    text = ranking.facets() if isinstance(ranking, KeptSequence) else None
    if text is not None:
        try:
            facets = RankingFacets.loads(text)
        except ValueError:
            log.warning("kept ranking facets do not decode; reading the networks", exc_info=True)
    if facets is None or facets.length != len(ranking):
        facets = RankingFacets.of(n.stats for n in ranking)
    with _facets_lock:
        if len(_facets_cache) >= 16:
            _facets_cache.clear()
        _facets_cache[id(ranking)] = (ranking, facets)
    return facets


_rankings = ViewerCache(
    _compute_ranking,
    ttl=60.0,
    size=64,
    kept=KeptFigures(
        "ranking", Sequence[RankedNetwork], facets=lambda r: ranking_facets(r).dumps()
    ),
)


def visible_ranking(
    store: Store, viewer: Viewer, *, clock: Callable[[], float] = time.monotonic
) -> Figures[Sequence[RankedNetwork]]:
    """Every network VIEWER sees (two or more visible reports), ranked by the score of its
    visible part; cached per viewer, and stale while one refresh runs after new reports
    (`bigfish.web.freshness`)."""
    return _rankings.get(store, viewer, clock=clock)


def rank_networks(
    store: Store, viewer: Viewer, filters: NetworkFilters, *, offset: int = 0, limit: int = 25
) -> FilteredNetworks:
    """Networks ranked by score that pass FILTERS, LIMIT of them after the first OFFSET matches."""
    figures = visible_ranking(store, viewer)
    ranking = figures.value
    if filters == NetworkFilters():
        chosen = tuple(ranking[offset : offset + limit])
        more = len(ranking) > offset + limit
    else:  # the facets first: a kept ranking reads its other networks with them
        passing = filters.positions(ranking_facets(ranking))
        chosen = tuple(ranking[int(i)] for i in passing[offset : offset + limit])
        more = len(passing) > offset + limit
    return FilteredNetworks(chosen, offset + limit if more else None, figures.as_of)


@dataclass(frozen=True, slots=True)
class Overview:
    """The overview's figures; AS_OF is when they were computed if newer reports are not in
    them yet (None when current)."""

    figures: KeyFigures
    changes: Changes
    as_of: datetime | None


def _compute_overview(store: Store, viewer: Viewer) -> tuple[KeyFigures, Changes]:
    return overview_figures(store, viewer), since_yesterday(store, viewer)


_overviews = ViewerCache(
    _compute_overview,
    ttl=60.0,
    size=256,
    kept=KeptFigures("overview", tuple[KeyFigures, Changes]),
)


def warm_figures(store: Store) -> int:
    """Prepare, in the background, the overview and ranking of every organization with an enabled
    web user (`bigfish.web.freshness.warm`); returns how many organizations were queued."""
    return freshness.warm(store, user_viewers(store), (_overviews, _rankings))


def overview_statistics(
    store: Store, viewer: Viewer, *, clock: Callable[[], float] = time.monotonic
) -> Overview:
    """The all-time key figures and the last day's changes of the overview page for VIEWER,
    cached per viewer, and stale while one refresh runs after new reports
    (`bigfish.web.freshness`)."""
    found = _overviews.get(store, viewer, clock=clock)
    figures, changes = found.value
    return Overview(figures, changes, found.as_of)

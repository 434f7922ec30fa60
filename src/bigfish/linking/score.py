"""Network statistics and the score that ranks networks (formula in docs/scoring.md).

    score = (1 + log10(1 + total_loss_usd))
            × (1 + 0.5 × (countries − 1))
            × (1 + growth_30d / report_count)
            + 0.25 × log2(report_count)

Losses, cross-border reach and growth multiply; size only breaks near-ties.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

GROWTH_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the statistics need about one member report."""

    pk: int
    org: str
    report_id: str
    country: str
    reported_at: datetime
    loss_usd: float | None
    loss_currency: str | None  # set when there is an amount, even without a rate
    scam_type: str | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class NetworkStats:
    """The facts of a network as one viewer sees it."""

    report_count: int
    countries: tuple[str, ...]
    organizations: tuple[str, ...]
    total_loss_usd: float
    unknown_currency: tuple[tuple[str, int], ...]  # amounts with no rate: (currency, reports)
    first_seen: datetime
    last_seen: datetime
    scam_types: tuple[tuple[str, int], ...]  # most frequent first
    channels: tuple[tuple[str, int], ...]
    growth_30d: int  # reports in the 30 days before `now`
    score: float


def _ranked(counter: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def network_score(
    total_loss_usd: float, countries: int, growth_30d: int, report_count: int
) -> float:
    """The documented score (docs/scoring.md), rounded to three decimals."""
    if report_count <= 0:
        return 0.0
    loss = 1.0 + math.log10(1.0 + max(total_loss_usd, 0.0))
    reach = 1.0 + 0.5 * max(countries - 1, 0)
    growth = 1.0 + growth_30d / report_count
    return round(loss * reach * growth + 0.25 * math.log2(report_count), 3)


class Tally:
    """Statistics of a network added up one report at a time (as of NOW): what `summarize`
    does over facts, and what the viewers' rankings do over rows as they stream in."""

    __slots__ = (
        "_now",
        "_since",
        "channels",
        "count",
        "countries",
        "first",
        "growth",
        "last",
        "losses",
        "orgs",
        "types",
        "unknown",
    )  # fmt: skip

    def __init__(self, now: datetime, since: datetime | None = None) -> None:
        """A tally as of NOW; SINCE is NOW minus the growth window (given by callers that make
        many tallies)."""
        self._now = now
        self._since = now - GROWTH_WINDOW if since is None else since
        self.count = 0
        self.losses: list[float] = []
        self.growth = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.countries: set[str] = set()
        self.orgs: set[str] = set()
        # plain dicts: a Counter costs more to make than a small network's whole tally
        self.unknown: dict[str, int] = {}
        self.types: dict[str, int] = {}
        self.channels: dict[str, int] = {}

    def add(
        self,
        org: str,
        country: str,
        at: datetime,
        loss_usd: float | None,
        loss_currency: str | None,
        scam_type: str | None,
        channel: str | None,
    ) -> None:
        """Count one report (LOSS_CURRENCY is set when it has an amount, even without a rate)."""
        self.count += 1
        if loss_usd is not None:
            self.losses.append(loss_usd)
        elif loss_currency:
            self.unknown[loss_currency] = self.unknown.get(loss_currency, 0) + 1
        if self._since < at <= self._now:
            self.growth += 1
        if self.first is None or at < self.first:
            self.first = at
        if self.last is None or at > self.last:
            self.last = at
        self.countries.add(country)
        self.orgs.add(org)
        if scam_type:
            self.types[scam_type] = self.types.get(scam_type, 0) + 1
        if channel:
            self.channels[channel] = self.channels.get(channel, 0) + 1

    def stats(self) -> NetworkStats:
        """The statistics of the reports added so far (at least one)."""
        if self.first is None or self.last is None:
            raise ValueError("a network has at least one report")
        # exact, so the same in any order (`combine`); the score is of the total as shown (and
        # as the rebuild and the daily aging score it), not of the unrounded sum
        loss = round(math.fsum(self.losses), 2)
        return NetworkStats(
            report_count=self.count,
            countries=tuple(sorted(self.countries)),
            organizations=tuple(sorted(self.orgs)),
            total_loss_usd=loss,
            unknown_currency=_ranked(self.unknown),
            first_seen=self.first,
            last_seen=self.last,
            scam_types=_ranked(self.types),
            channels=_ranked(self.channels),
            growth_30d=self.growth,
            score=network_score(loss, len(self.countries), self.growth, self.count),
        )

    def portion(self) -> Portion:
        """The statistics and the losses of the reports added so far, for `combine`."""
        return Portion(self.stats(), tuple(self.losses))


@dataclass(frozen=True, slots=True)
class Portion:
    """Some of a network's reports: their statistics and their USD losses (as of one NOW)."""

    stats: NetworkStats
    losses: tuple[float, ...]


def combine(portions: Sequence[Portion]) -> NetworkStats:
    """The statistics of the reports of disjoint PORTIONS (at least one, all tallied as of the
    same moment): exactly `Tally.stats` of all their reports, whatever the order."""
    if len(portions) == 1:
        return portions[0].stats
    count = growth = 0
    countries: set[str] = set()
    orgs: set[str] = set()
    # plain dicts, as in `Tally`: a viewer's ranking combines tens of thousands of networks
    unknown: dict[str, int] = {}
    types: dict[str, int] = {}
    channels: dict[str, int] = {}
    for part in portions:
        s = part.stats
        count += s.report_count
        growth += s.growth_30d
        countries.update(s.countries)
        orgs.update(s.organizations)
        for counts, ranked in (
            (unknown, s.unknown_currency),
            (types, s.scam_types),
            (channels, s.channels),
        ):
            for key, n in ranked:
                counts[key] = counts.get(key, 0) + n
    loss = round(math.fsum(itertools.chain.from_iterable(p.losses for p in portions)), 2)
    return NetworkStats(
        report_count=count,
        countries=tuple(sorted(countries)),
        organizations=tuple(sorted(orgs)),
        total_loss_usd=loss,
        unknown_currency=_ranked(unknown),
        first_seen=min(p.stats.first_seen for p in portions),
        last_seen=max(p.stats.last_seen for p in portions),
        scam_types=_ranked(types),
        channels=_ranked(channels),
        growth_30d=growth,
        score=network_score(loss, len(countries), growth, count),
    )


def summarize(facts: Iterable[ReportFacts], now: datetime) -> NetworkStats:
    """Statistics of the reports in FACTS (at least one) as of NOW."""
    tally = Tally(now)
    for f in facts:
        tally.add(
            f.org, f.country, f.reported_at, f.loss_usd, f.loss_currency, f.scam_type, f.channel
        )
    return tally.stats()


def _merge_counts(a: tuple[tuple[str, int], ...], b: Counter[str]) -> tuple[tuple[str, int], ...]:
    merged: Counter[str] = Counter(dict(a))
    merged.update(b)
    return _ranked(merged)


def extend(stats: NetworkStats, facts: Iterable[ReportFacts], now: datetime) -> NetworkStats:
    """STATS of a network after the reports FACTS joined it (no recount of the old members)."""
    new = list(facts)
    if not new:
        return stats
    since = now - GROWTH_WINDOW
    loss = round(stats.total_loss_usd + sum(f.loss_usd for f in new if f.loss_usd is not None), 2)
    unknown = Counter(f.loss_currency for f in new if f.loss_usd is None and f.loss_currency)
    countries = tuple(sorted(set(stats.countries) | {f.country for f in new}))
    count = stats.report_count + len(new)
    growth = stats.growth_30d + sum(1 for f in new if since < f.reported_at <= now)
    return NetworkStats(
        report_count=count,
        countries=countries,
        organizations=tuple(sorted(set(stats.organizations) | {f.org for f in new})),
        total_loss_usd=loss,
        unknown_currency=_merge_counts(stats.unknown_currency, Counter(unknown)),
        first_seen=min(stats.first_seen, *(f.reported_at for f in new)),
        last_seen=max(stats.last_seen, *(f.reported_at for f in new)),
        scam_types=_merge_counts(
            stats.scam_types, Counter(f.scam_type for f in new if f.scam_type)
        ),
        channels=_merge_counts(stats.channels, Counter(f.channel for f in new if f.channel)),
        growth_30d=growth,
        score=network_score(loss, len(countries), growth, count),
    )

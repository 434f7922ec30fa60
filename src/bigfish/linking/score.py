"""Network statistics and the score that ranks networks (formula in docs/scoring.md).

    score = (1 + log10(1 + total_loss_usd))
            × (1 + 0.5 × (countries − 1))
            × (1 + growth_30d / report_count)
            + 0.25 × log2(report_count)

Losses, cross-border reach and growth multiply; size only breaks near-ties.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
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


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
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


def summarize(facts: Iterable[ReportFacts], now: datetime) -> NetworkStats:
    """Statistics of the reports in FACTS (at least one) as of NOW."""
    items = list(facts)
    if not items:
        raise ValueError("a network has at least one report")
    since = now - GROWTH_WINDOW
    loss = 0.0
    unknown: Counter[str] = Counter()
    types: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for f in items:
        if f.loss_usd is not None:
            loss += f.loss_usd
        elif f.loss_currency:
            unknown[f.loss_currency] += 1
        if f.scam_type:
            types[f.scam_type] += 1
        if f.channel:
            channels[f.channel] += 1
    countries = tuple(sorted({f.country for f in items}))
    growth = sum(1 for f in items if since < f.reported_at <= now)
    return NetworkStats(
        report_count=len(items),
        countries=countries,
        organizations=tuple(sorted({f.org for f in items})),
        total_loss_usd=round(loss, 2),
        unknown_currency=_ranked(unknown),
        first_seen=min(f.reported_at for f in items),
        last_seen=max(f.reported_at for f in items),
        scam_types=_ranked(types),
        channels=_ranked(channels),
        growth_30d=growth,
        score=network_score(loss, len(countries), growth, len(items)),
    )


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
    loss = stats.total_loss_usd + sum(f.loss_usd for f in new if f.loss_usd is not None)
    unknown = Counter(f.loss_currency for f in new if f.loss_usd is None and f.loss_currency)
    countries = tuple(sorted(set(stats.countries) | {f.country for f in new}))
    count = stats.report_count + len(new)
    growth = stats.growth_30d + sum(1 for f in new if since < f.reported_at <= now)
    return NetworkStats(
        report_count=count,
        countries=countries,
        organizations=tuple(sorted(set(stats.organizations) | {f.org for f in new})),
        total_loss_usd=round(loss, 2),
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

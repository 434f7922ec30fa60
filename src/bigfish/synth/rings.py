"""Planted rings: heavy-tailed sizes, countries, activity windows, and asset rotation.

A ring does not sit around one phone number. It holds a few active assets of each kind (local SIMs
and mule accounts per victims' country; wallets, domains, short links and handles shared across
countries); each asset is used for a while, then a successor appears while the old one is still
in use (overlapping windows), and the old one is dropped. Every report of a ring after its first
uses at least one asset an earlier report used, so the ring is one connected chain of reports
joined only through its identifiers.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bigfish.synth.assets import Asset, AssetFactory
from bigfish.synth.narratives import Script, make_script
from bigfish.synth.partnership import CALL_CENTRE_COUNTRIES, COUNTRIES

# Probability that a report of a ring of this type carries an asset of each kind.
KIND_PROFILES: dict[str, tuple[tuple[str, float], ...]] = {
    "investment": (("handle_tg", 0.5), ("handle_line", 0.25), ("url", 0.5), ("wallet", 0.5),
                   ("account", 0.5), ("phone_local", 0.2), ("short", 0.15)),
    "job_task": (("handle_tg", 0.6), ("url", 0.45), ("account", 0.6), ("wallet", 0.3),
                 ("phone_local", 0.3), ("short", 0.1)),
    "romance": (("handle_line", 0.3), ("handle_tg", 0.3), ("handle_fb", 0.3), ("wallet", 0.5),
                ("url", 0.35), ("account", 0.3), ("phone_cc", 0.2), ("email", 0.1)),
    "impersonation_authority": (("phone_local", 0.6), ("phone_cc", 0.5), ("account", 0.8),
                                ("handle_line", 0.25)),
    "impersonation_bank": (("phone_local", 0.6), ("url", 0.5), ("short", 0.4), ("account", 0.6)),
    "shopping": (("handle_fb", 0.6), ("url", 0.4), ("account", 0.8), ("phone_local", 0.4)),
    "loan": (("url", 0.5), ("phone_local", 0.6), ("account", 0.7), ("handle_line", 0.3)),
    "phishing": (("short", 0.6), ("url", 0.6), ("email", 0.3), ("phone_local", 0.4),
                 ("account", 0.3)),
}  # fmt: skip
LOCAL_KINDS = frozenset({"phone_local", "account"})
QUOTA_MEAN = {"phone_local": 6, "phone_cc": 10, "account": 8, "wallet": 25, "url": 18, "short": 12,
              "handle_tg": 25, "handle_line": 20, "handle_fb": 20, "email": 15}  # fmt: skip
GRACE = 3  # uses of an asset after its successor appeared: the overlap of their windows
CHANNELS: dict[str, tuple[tuple[str, float], ...]] = {
    "investment": (("facebook", 0.3), ("line", 0.2), ("telegram", 0.2), ("whatsapp", 0.15),
                   ("instagram", 0.05), ("tiktok", 0.1)),
    "job_task": (("telegram", 0.3), ("whatsapp", 0.25), ("sms", 0.2), ("line", 0.15),
                 ("tiktok", 0.1)),
    "romance": (("dating_app", 0.35), ("facebook", 0.3), ("instagram", 0.15), ("line", 0.1),
                ("whatsapp", 0.1)),
    "impersonation_authority": (("voice_call", 0.9), ("line", 0.1)),
    "impersonation_bank": (("sms", 0.6), ("voice_call", 0.4)),
    "shopping": (("facebook", 0.5), ("marketplace", 0.2), ("instagram", 0.15), ("tiktok", 0.15)),
    "loan": (("facebook", 0.4), ("sms", 0.3), ("website", 0.2), ("line", 0.1)),
    "phishing": (("sms", 0.6), ("email", 0.3), ("website", 0.1)),
}  # fmt: skip
RING_TYPES = (("investment", 0.3), ("job_task", 0.2), ("romance", 0.12),
              ("impersonation_authority", 0.1), ("impersonation_bank", 0.08), ("shopping", 0.08),
              ("loan", 0.06), ("phishing", 0.06))  # fmt: skip
CHAINS = (("tron", 0.6), ("ethereum", 0.25), ("bitcoin", 0.15))


_TABLES: dict[int, tuple[tuple[tuple[str, float], ...], list[str], list[float]]] = {}


def weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    """One key of PAIRS drawn by weight."""
    table = _TABLES.get(id(pairs))
    if table is None or table[0] is not pairs:
        keys = [k for k, _ in pairs]
        cum = [sum(w for _, w in pairs[: i + 1]) for i in range(len(pairs))]
        table = _TABLES[id(pairs)] = (pairs, keys, cum)
    return pick_cumulative(rng, table[1], table[2])


def pick_cumulative(rng: random.Random, items: Sequence[str], cum: Sequence[float]) -> str:
    """One of ITEMS drawn by cumulative weights CUM (``random.choices`` without its overhead)."""
    return items[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]


@dataclass(frozen=True, slots=True)
class RingPlan:
    """What a ring is before any report is written: size, countries, window, script."""

    ring_id: str
    size: int
    countries: tuple[str, ...]
    cum_weights: tuple[float, ...]  # cumulative weights of the countries
    start_day: int
    end_day: int  # inclusive
    script: Script
    channel: str
    chain: str
    call_centre: str


def ring_sizes(rng: random.Random, budget: int, total: int) -> list[int]:
    """Heavy-tailed ring sizes summing to BUDGET: a few large rings, many of 2-10."""
    sizes: list[int] = []
    big_lo = max(20, min(120, total // 400))
    big_hi = min(2000, max(big_lo * 4, total // 100))
    for _ in range(max(3, round(total / 12_000))):
        size = int(math.exp(rng.uniform(math.log(big_lo), math.log(big_hi))))
        if sum(sizes) + size > budget // 2:
            break
        sizes.append(size)
    remaining = budget - sum(sizes)
    while remaining >= 2:
        size = 100
        while size > 99:  # discrete power law, exponent 2.4, on 2..99
            size = int(2 * rng.random() ** (-1 / 1.4))
        size = min(size, remaining)
        if remaining - size == 1:
            size += 1
        sizes.append(size)
        remaining -= size
    sizes.sort(reverse=True)
    return sizes


def plan_rings(rng: random.Random, budget: int, total: int, span_days: int) -> list[RingPlan]:
    """Plans the rings that share BUDGET reports over SPAN_DAYS days."""
    sizes = ring_sizes(rng, budget, total)
    width = max(4, len(str(len(sizes))))
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c].weight for c in codes]
    scripts: dict[str, list[Script]] = {}
    plans = []
    for i, size in enumerate(sizes):
        if size >= 100:
            n_countries = rng.randint(4, 6)
            duration = rng.randint(180, min(480, span_days))
        elif size > 10:
            n_countries = rng.choice((1, 1, 2, 2, 3))
            duration = rng.randint(30, 200)
        else:
            n_countries = 1 if rng.random() < 0.75 else 2
            duration = rng.randint(3, 60)
        countries: list[str] = []
        while len(countries) < n_countries:
            c = rng.choices(codes, weights)[0]
            if c not in countries:
                countries.append(c)
        shares = [rng.uniform(0.3, 1.0) * (2.5 if j == 0 else 1.0) for j in range(n_countries)]
        cum = [sum(shares[: j + 1]) for j in range(n_countries)]
        scam_type = weighted(rng, RING_TYPES)
        known = scripts.setdefault(scam_type, [])
        if known and rng.random() < 0.08:  # script kits are sold: another ring's script
            script = rng.choice(known)
        else:
            script = make_script(rng, f"S{i:0{width}d}", scam_type)
            known.append(script)
        channel = weighted(rng, CHANNELS[scam_type])
        if channel == "line" and countries[0] != "TH":
            channel = "whatsapp"
        start = rng.randrange(0, max(1, span_days - duration))
        plans.append(
            RingPlan(
                ring_id=f"R{i + 1:0{width}d}",
                size=size,
                countries=tuple(countries),
                cum_weights=tuple(cum),
                start_day=start,
                end_day=min(span_days - 1, start + duration),
                script=script,
                channel=channel,
                chain=weighted(rng, CHAINS),
                call_centre=rng.choice(CALL_CENTRE_COUNTRIES),
            )
        )
    return plans


class RingState:
    """The assets a ring holds at the moment, rotated as reports use them (generator state)."""

    __slots__ = ("domain", "factory", "plan", "pools", "reports", "rng", "target")

    def __init__(self, plan: RingPlan, factory: AssetFactory, rng: random.Random) -> None:
        self.plan = plan
        self.factory = factory
        self.rng = rng
        self.pools: dict[str, list[Asset]] = {}
        self.reports = 0
        self.domain: str | None = None
        self.target = 1 if plan.size < 40 else 2

    def _new(self, key: str, country: str) -> Asset:
        plan = self.plan
        if key == "url" and (self.domain is None or self.rng.random() < 0.5):
            self.domain = self.factory.domain(plan.script.scam_type)
        own = self.domain if key == "url" or self.rng.random() < 0.3 else None
        asset = create_asset(
            self.factory, key, country, plan.script.scam_type, plan.chain, plan.call_centre, own
        )
        asset.quota = max(2, round(QUOTA_MEAN[key] * self.rng.uniform(0.5, 1.5)))
        return asset

    def _pick(self, key: str, country: str) -> Asset:
        pool_key = f"{key}:{country}" if key in LOCAL_KINDS else key
        pool = self.pools.get(pool_key)
        if pool is None:
            pool = self.pools[pool_key] = [self._new(key, country) for _ in range(self.target)]
        asset = self.rng.choice(pool)
        asset.uses += 1
        if asset.uses >= asset.quota and not asset.retiring:
            asset.retiring = True
            pool.append(self._new(key, country))  # the successor's window opens
        elif asset.uses >= asset.quota + GRACE and len(pool) > 1 and self._others_written(asset):
            pool.remove(asset)  # the old asset's window closes
        return asset

    def _others_written(self, asset: Asset) -> bool:
        return any(a.seen is not None for p in self.pools.values() for a in p if a is not asset)

    def _anchor(self, country: str) -> Asset | None:
        # Only assets already written into a file (``seen``) link this report to the ring.
        local = [a for k, p in self.pools.items() if k.endswith(country) for a in p if a.seen]
        shared = [a for k, p in self.pools.items() if ":" not in k for a in p if a.seen]
        candidates = local + shared or [a for p in self.pools.values() for a in p if a.seen]
        return self.rng.choice(candidates) if candidates else None

    def assets_for(self, country: str) -> list[Asset]:
        """The assets one report of this ring, from a victim in COUNTRY, names (anchor first)."""
        rng = self.rng
        profile = KIND_PROFILES[self.plan.script.scam_type]
        keys = [k for k, p in profile if rng.random() < p][:4] or [max(profile, key=_weight)[0]]
        anchor = self._anchor(country) if self.reports else None
        picked: list[Asset] = []
        for key in keys:
            asset = self._pick(key, country)
            if asset not in picked:
                picked.append(asset)
        if anchor is not None:
            if anchor in picked:
                picked.remove(anchor)
            else:
                anchor.uses += 1
            picked.insert(0, anchor)
        self.reports += 1
        return picked


def _weight(pair: tuple[str, float]) -> float:
    return pair[1]


_PLATFORMS = {"handle_tg": "telegram", "handle_line": "line", "handle_fb": "facebook"}


def create_asset(
    factory: AssetFactory,
    key: str,
    country: str,
    theme: str,
    chain: str,
    call_centre: str,
    domain: str | None = None,
    scope: str = "ring",
) -> Asset:
    """A new asset of kind KEY (``phone_local``, ``account``, ``wallet``, ``url``, …)."""
    if key == "phone_local":
        return factory.phone(country, scope)
    if key == "phone_cc":
        return factory.phone(call_centre, scope)
    if key == "account":
        return factory.bank_account(country, scope)
    if key == "wallet":
        return factory.wallet(chain, scope)
    if key == "url":
        return factory.url(theme, domain, scope)
    if key == "short":
        return factory.short_link(scope)
    if key == "email":
        return factory.email(theme, domain, scope)
    return factory.handle(_PLATFORMS[key], theme, scope)

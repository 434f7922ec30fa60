"""Losses in the victim's local currency: heavy tailed, some reports with no loss at all."""

from __future__ import annotations

import csv
import io
import math
import random
from functools import cache
from importlib import resources

# Median loss in USD by scam type (lognormal around it, with a Pareto-like tail).
MEDIAN_USD = {"investment": 1800.0, "romance": 2500.0, "job_task": 600.0,
              "impersonation_authority": 2500.0, "impersonation_bank": 1200.0, "shopping": 90.0,
              "loan": 150.0, "phishing": 400.0, "sextortion": 500.0, "tech_support": 700.0,
              "lottery_prize": 300.0, "other": 250.0}  # fmt: skip
WHOLE_THOUSANDS = frozenset({"VND", "IDR", "KHR", "LAK", "MMK"})
NO_LOSS_SHARE = 0.1


@cache
def units_per_usd() -> dict[str, float]:
    """Reference exchange rates shipped with bigfish (``data/fx_usd_2025.csv``)."""
    text = resources.files("bigfish").joinpath("data/fx_usd_2025.csv").read_text("utf-8")
    return {
        row["currency"]: float(row["units_per_usd"]) for row in csv.DictReader(io.StringIO(text))
    }


def loss(rng: random.Random, scam_type: str, currency: str, scale: float) -> str:
    """A loss amount in CURRENCY as intake text (``.`` decimal point), or "" for no loss."""
    if rng.random() < NO_LOSS_SHARE:
        return ""
    usd = MEDIAN_USD.get(scam_type, 250.0) * scale * math.exp(rng.gauss(0.0, 1.2))
    if rng.random() < 0.03:
        usd *= rng.uniform(5, 40)  # the few victims who lose their savings
    amount = usd * units_per_usd()[currency]
    if currency in WHOLE_THOUSANDS:
        return str(max(1, round(amount / 1000)) * 1000)
    if currency in ("THB", "PHP") or rng.random() < 0.5:
        return str(max(1, round(amount)))
    return f"{max(amount, 1.0):.2f}"


def loss_text(amount: str, currency: str) -> str:
    """How a victim writes the loss in a narrative: ``1,250,000 VND``."""
    whole, _, cents = amount.partition(".")
    return f"{int(whole):,}" + (f".{cents}" if cents else "") + f" {currency}"

"""Reference exchange rates for losses in USD; an unknown currency is reported, never guessed."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path

from bigfish.errors import InputError

Rates = Mapping[str, Decimal]


def _parse(lines: list[str], name: str) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not {"currency", "units_per_usd"} <= set(reader.fieldnames):
        raise InputError("expected columns currency,units_per_usd", file=name, line=1)
    for number, row in enumerate(reader, start=2):
        try:
            rate = Decimal(row["units_per_usd"])
        except (InvalidOperation, TypeError):
            raise InputError("not a decimal rate", file=name, line=number) from None
        if not rate.is_finite() or rate <= 0:
            raise InputError("a rate must be positive", file=name, line=number)
        rates[(row["currency"] or "").strip().upper()] = rate
    return rates


@cache
def reference_rates() -> Rates:
    """The shipped approximate 2025 averages (units of each currency per US dollar)."""
    text = resources.files("bigfish.data").joinpath("fx_usd_2025.csv").read_text("utf-8")
    return _parse(text.splitlines(), "fx_usd_2025.csv")


def load_rates(path: Path | None) -> Rates:
    """An operator's rate table (same columns as the shipped one), or the reference rates."""
    if path is None:
        return reference_rates()
    return _parse(path.read_text("utf-8").splitlines(), str(path))


def to_usd(amount: Decimal | None, currency: str | None, rates: Rates) -> float | None:
    """AMOUNT in USD, or None when there is no amount or the currency has no rate."""
    if amount is None or currency is None:
        return None
    rate = rates.get(currency.upper())
    if rate is None:
        return None
    return float(amount / rate)

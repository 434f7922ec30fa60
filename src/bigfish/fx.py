"""Reference exchange rates for losses in USD; an unknown currency is reported, never guessed."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path

from bigfish.errors import InputError, read_text

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
    return _parse(read_text(path).splitlines(), str(path))


#: The node's own rate table, a CSV like the shipped one: every ingest, API submission, pull
#: and link run counts losses with it (`bigfish link --rates` overrides it for one run).
RATES_ENV = "BIGFISH_RATES"


def operator_rates() -> Rates | None:
    """The table BIGFISH_RATES names, or None when it is not set (read again when the file
    changes)."""
    setting = os.environ.get(RATES_ENV, "").strip()
    if not setting:
        return None
    path = Path(setting)
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror} ({RATES_ENV})", file=setting) from None
    return _rates_file(path, stat.st_mtime_ns, stat.st_size)


@cache
def _rates_file(path: Path, mtime_ns: int, size: int) -> Rates:
    del mtime_ns, size  # the cache's key: the file as it is now
    return load_rates(path)


def node_rates() -> Rates:
    """The rates losses are counted with: the operator's table (BIGFISH_RATES), else the
    reference rates."""
    rates = operator_rates()
    return reference_rates() if rates is None else rates


def to_usd(amount: Decimal | None, currency: str | None, rates: Rates) -> float | None:
    """AMOUNT in USD, or None when there is no amount or the currency has no rate."""
    if amount is None or currency is None:
        return None
    rate = rates.get(currency.upper())
    if rate is None:
        return None
    return float(amount / rate)

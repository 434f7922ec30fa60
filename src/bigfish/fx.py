"""Reference exchange rates for losses in USD; an unknown currency is reported, never guessed."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from bigfish import vocab
from bigfish.errors import ConfigError, InputError

Rates = Mapping[str, Decimal]


class RatesError(InputError, ConfigError):
    """The node's own rate table (BIGFISH_RATES) cannot be used: named by file, line and field
    like any InputError, but the operator's to fix, never an API client's (`bigfish serve`
    refuses to start with it; the API answers 503 and logs it)."""


#: The largest rate table read: every ISO 4217 currency takes about 3 KB; a bigger file is not
#: a rate table (and is not read into memory to find that out).
MAX_RATES_BYTES = 1_000_000
#: A rate as the intake reads an amount: ASCII digits and '.' decimals, no exponent, no "_",
#: at most 30 characters (so no rate turns a loss into an infinite or zero number of dollars).
_PLAIN_RATE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_RATE_WIDTH = 30
_COLUMNS = ("currency", "units_per_usd")


def _parse(text: str, name: str) -> dict[str, Decimal]:
    """The rates of TEXT (the CSV file NAME); InputError naming the file, line and field of the
    first row that is not a rate, so that nothing of a bad table is used."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(_COLUMNS) <= set(reader.fieldnames):
        raise InputError("expected columns currency,units_per_usd", file=name, line=1)
    rates: dict[str, Decimal] = {}
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        # DictReader's rest key: the fields beyond the header's (empty ones are a spreadsheet's
        # trailing commas; one with a value may be a decimal comma's decimals)
        if any(str(extra).strip() for extra in row.get(None) or ()):
            raise InputError(
                f"more fields than the header's {len(reader.fieldnames)} (a decimal comma?"
                " write 33.5, not 33,5)",
                file=name,
                line=line,
            )
        code = _currency(row["currency"], name, line)
        if code in lines:
            raise InputError(
                f"{code} has a rate already, on line {lines[code]}",
                file=name,
                line=line,
                field="currency",
            )
        rate = _rate(row["units_per_usd"], name, line)
        if code == "USD" and rate != 1:
            raise InputError(
                f"USD is 1 unit per US dollar, not {rate}",
                file=name,
                line=line,
                field="units_per_usd",
            )
        rates[code], lines[code] = rate, line
    if not rates:
        raise InputError("no rates: the table has a header and nothing else", file=name)
    rates.setdefault("USD", Decimal(1))  # the unit itself: a loss in dollars always counts
    return rates


def _currency(cell: str | None, name: str, line: int) -> str:
    code = (cell or "").strip().upper()
    if code not in vocab.currencies():
        raise InputError(
            f"unknown ISO 4217 currency {(cell or '').strip()!r}",
            file=name,
            line=line,
            field="currency",
        )
    return code


def _rate(cell: str | None, name: str, line: int) -> Decimal:
    text = (cell or "").strip()
    if not _PLAIN_RATE.fullmatch(text) or len(text) > _RATE_WIDTH:
        raise InputError(
            f"not a decimal rate {text!r}; expected digits with '.' decimals (33.5), at most"
            f" {_RATE_WIDTH} characters",
            file=name,
            line=line,
            field="units_per_usd",
        )
    rate = Decimal(text)
    if rate <= 0:
        raise InputError(
            f"a rate must be positive, not {text}", file=name, line=line, field="units_per_usd"
        )
    return rate


@cache
def reference_rates() -> Rates:
    """The shipped approximate 2025 averages (units of each currency per US dollar)."""
    text = resources.files("bigfish.data").joinpath("fx_usd_2025.csv").read_text("utf-8")
    return _parse(text, "fx_usd_2025.csv")


def load_rates(path: Path | None) -> Rates:
    """An operator's rate table (same columns as the shipped one), or the reference rates."""
    if path is None:
        return reference_rates()
    try:  # at most one byte past the limit: a FIFO or a device says no size to stat
        with path.open("rb") as stream:
            data = stream.read(MAX_RATES_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    if len(data) > MAX_RATES_BYTES:
        raise InputError(f"more than {MAX_RATES_BYTES:,} bytes is not a rate table", file=str(path))
    return _parse(_text(data, str(path)), str(path))


def _text(data: bytes, name: str) -> str:
    """DATA as text (UTF-8, a byte-order mark allowed, any line ends), as errors.read_text
    reads a file: InputError naming the line of the first byte that is not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text: {exc.reason}", file=name, line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: The node's own rate table, a CSV like the shipped one: every ingest, API submission, pull
#: and link run counts losses with it (`bigfish link --rates` overrides it for one run).
RATES_ENV = "BIGFISH_RATES"


def operator_rates() -> Rates | None:
    """The table BIGFISH_RATES names, or None when it is not set (read again when the file
    changes); RatesError when it cannot be used."""
    setting = os.environ.get(RATES_ENV, "").strip()
    if not setting:
        return None
    path = Path(setting)
    try:
        stat = path.stat()
    except OSError as exc:
        raise RatesError(f"cannot be read: {exc.strerror} ({RATES_ENV})", file=setting) from None
    try:
        return _rates_file(path, stat.st_mtime_ns, stat.st_size)
    except RatesError:
        raise
    except InputError as exc:
        raise RatesError(
            f"{exc.message} ({RATES_ENV})", file=exc.file, line=exc.line, field=exc.field
        ) from None


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

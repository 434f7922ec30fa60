"""Losses stated in a currency with no reference rate: left out of every total in US dollars,
so counted and added up per currency to be said beside it (the web overview, the statistics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.store.schema import reports


@dataclass(frozen=True, slots=True)
class Unrated:
    """Losses stated in one currency that has no reference rate: not in the losses in US dollars
    (`NetworkStats.unknown_currency` for a network)."""

    currency: str
    reports: int
    #: The stated amounts added up exactly, in CURRENCY (decimal text).
    amount: str


#: (country, currency, amount as stated, reports): reports with a loss that has no rate.
UnratedCell = tuple[str, str, str, int]


def unrated_query(*keys: Any) -> sa.Select[Any]:
    """Reports stating a loss in a currency without a rate, counted by KEYS, country, currency
    and amount (the amounts are added up exactly afterwards, not by the database)."""
    columns = (*keys, reports.c.country, reports.c.loss_currency, reports.c.loss_amount)
    return (
        sa.select(*columns, sa.func.count())
        .where(
            reports.c.loss_usd.is_(None),
            reports.c.loss_currency.is_not(None),
            reports.c.loss_amount.is_not(None),
        )
        .group_by(*columns)
    )


def amount_of(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # intake checks amounts; one that is not a number adds nothing
        return Decimal(0)


def _ranked_unrated(totals: dict[str, tuple[int, Decimal]]) -> tuple[Unrated, ...]:
    found = (Unrated(c, n, str(amount)) for c, (n, amount) in totals.items())
    return tuple(sorted(found, key=lambda u: (-u.reports, u.currency)))


def fold_unrated(
    cells: Iterable[UnratedCell],
) -> tuple[tuple[Unrated, ...], tuple[tuple[str, tuple[Unrated, ...]], ...]]:
    """The unrated losses of CELLS in all and per country (`KeyFigures.unrated`)."""
    overall: dict[str, tuple[int, Decimal]] = {}
    by_country: dict[str, dict[str, tuple[int, Decimal]]] = {}
    for country, currency, text, count in cells:
        added = amount_of(text) * count
        for totals in (overall, by_country.setdefault(country, {})):
            before, amount = totals.get(currency, (0, Decimal(0)))
            totals[currency] = (before + count, amount + added)
    countries = tuple((c, _ranked_unrated(t)) for c, t in sorted(by_country.items()))
    return _ranked_unrated(overall), countries


def unrated_cells(conn: Connection, where: ColumnElement[bool]) -> Iterable[UnratedCell]:
    for country, currency, amount, n in conn.execute(unrated_query().where(where)):
        yield str(country or "unknown"), str(currency), str(amount), int(n)


def unrated_losses(conn: Connection, where: ColumnElement[bool]) -> tuple[Unrated, ...]:
    """The losses without a reference rate of the reports WHERE selects, per currency, most
    reports first (as `KeyFigures.unrated`)."""
    return fold_unrated(unrated_cells(conn, where))[0]

"""Bulk reads for linking: mentions as numpy arrays, identifier facts, member report facts.

The store seam of the pure core: one SELECT per table, fetched in large chunks through the
driver's cursor, so a million reports load in seconds.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.fx import Rates, to_usd
from bigfish.linking.graph import IntArray
from bigfish.linking.score import ReportFacts
from bigfish.store.schema import identifiers, organizations, reports

CHUNK = 500  # bound parameters per IN (...) query
FETCH = 200_000  # rows per fetchmany


def utc(value: datetime) -> datetime:
    """VALUE as an aware UTC datetime (SQLite hands back naive ones)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fetch_pairs(conn: Connection, statement: sa.Select[Any]) -> tuple[IntArray, IntArray]:
    """Two integer columns of STATEMENT as two numpy arrays (`fetch_columns`)."""
    both = fetch_columns(conn, statement, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def fetch_columns(conn: Connection, statement: sa.Select[Any], width: int) -> npt.NDArray[np.int64]:
    """The WIDTH integer columns of STATEMENT as one array of rows (none NULL).

    Rows go straight from the driver's cursor (a server-side one on PostgreSQL) into numpy,
    skipping SQLAlchemy's row objects, which would cost more than the linking itself. On SQLite
    one group_concat of the rows, parsed by numpy, is faster still and lets go of the GIL while
    the database works (other threads compute meanwhile)."""
    if conn.dialect.name == "sqlite":
        labelled = statement.with_only_columns(
            *(c.label(f"c{i}") for i, c in enumerate(statement.selected_columns))
        )
        inner = labelled.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        row = " || ',' || ".join(f"c{i}" for i in range(width))
        sql = f"SELECT group_concat({row}, ',') FROM ({inner})"  # noqa: S608 - our own query
        return ints_from_text(conn.exec_driver_sql(sql).scalar()).reshape(-1, width)
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    raw = conn.connection.dbapi_connection
    if raw is None:  # pragma: no cover - a closed connection
        raise RuntimeError("connection is closed")
    postgres = conn.dialect.name == "postgresql"
    cursor = raw.cursor(name="bigfish_link_fetch") if postgres else raw.cursor()
    chunks: list[npt.NDArray[np.int64]] = []
    try:
        cursor.execute(str(compiled))
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            flat = np.fromiter(
                itertools.chain.from_iterable(rows), dtype=np.int64, count=width * len(rows)
            )
            chunks.append(flat.reshape(-1, width))
    finally:
        cursor.close()
    if not chunks:
        return np.zeros((0, width), dtype=np.int64)
    return np.concatenate(chunks)


def ints_from_text(text: str | None) -> IntArray:
    """Comma-separated integers (a SQLite group_concat) as an array."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def fetch_table_pairs(conn: Connection, table: str, a: str, b: str) -> tuple[IntArray, IntArray]:
    """Two integer columns of a whole TABLE. On SQLite one group_concat, parsed by numpy, is
    several times faster than fetching rows; elsewhere the driver's cursor."""
    if conn.dialect.name != "sqlite":
        t = sa.table(table, sa.column(a), sa.column(b))
        return fetch_pairs(conn, sa.select(t.c[a], t.c[b]))
    sql = f"SELECT group_concat({a} || ',' || {b}, ',') FROM {table}"  # noqa: S608 - names are ours
    flat = ints_from_text(conn.exec_driver_sql(sql).scalar())
    pairs = flat.reshape(-1, 2)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def all_mentions(conn: Connection) -> tuple[IntArray, IntArray]:
    """(report_pk, identifier_id) of every mention."""
    return fetch_table_pairs(conn, "mentions", "report_pk", "identifier_id")


def chunked(values: Sequence[int]) -> Iterable[list[int]]:
    """VALUES in slices small enough for one IN (...)."""
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def loss_usd(row: Any, rates: Rates | None) -> float | None:
    """The stored USD loss, or one recomputed at the operator's RATES."""
    return _loss(row.loss_usd, row.loss_amount, row.loss_currency, rates)


def _loss(
    stored: float | None, amount: str | None, currency: str | None, rates: Rates | None
) -> float | None:
    if rates is None:
        return None if stored is None else float(stored)
    if amount is None:
        return None
    try:
        exact = Decimal(amount)
    except InvalidOperation:
        return None
    return to_usd(exact, currency, rates)


#: The columns the statistics of a network need about each member, after who it is.
STAT_COLUMNS = (
    reports.c.country,
    reports.c.reported_at,
    reports.c.loss_usd,
    reports.c.loss_amount,
    reports.c.loss_currency,
    reports.c.scam_type,
    reports.c.channel,
)
_FACT_COLUMNS = (reports.c.id, organizations.c.name, reports.c.report_id, *STAT_COLUMNS)


def _fact(row: Any, rates: Rates | None) -> ReportFacts:
    return ReportFacts(
        pk=row.id,
        org=row.name,
        report_id=row.report_id,
        country=row.country,
        reported_at=utc(row.reported_at),
        loss_usd=loss_usd(row, rates),
        loss_currency=row.loss_currency if row.loss_amount is not None else None,
        scam_type=row.scam_type,
        channel=row.channel,
    )


def utc_value(value: datetime | str) -> datetime:
    """A timestamp as the driver hands it back (SQLite: ISO text) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is UTC else utc(value)


def iter_facts(
    conn: Connection, query: sa.Select[Any], rates: Rates | None
) -> Iterator[tuple[ReportFacts, tuple[Any, ...]]]:
    """(facts, extra columns) of every row of QUERY: a `facts_select` with any columns added
    after the fact columns, read with `raw_rows`."""
    width = len(_FACT_COLUMNS)
    for row in raw_rows(conn, query):
        pk, org, report_id, country, at, stored, amount, currency, kind, channel = row[:width]
        if rates is None:  # the common case, inlined: a million rows in a loop
            loss = None if stored is None else float(stored)
        else:
            loss = _loss(stored, amount, currency, rates)
        fact = ReportFacts(
            pk,
            org,
            report_id,
            country,
            at if at.__class__ is datetime and at.tzinfo is UTC else utc_value(at),
            loss,
            currency if amount is not None else None,
            kind,
            channel,
        )
        yield fact, row[width:]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: building a million small objects otherwise triggers
    full collections over all of them again and again (a third of `audience_split` at a million
    reports). Nothing made inside is cyclic; collection resumes after, unless it was off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_CURSORS = itertools.count()


def raw_rows(
    conn: Connection, query: sa.Select[Any], size: int = FETCH
) -> Iterator[tuple[Any, ...]]:
    """QUERY's rows as the driver's plain tuples, fetched SIZE at a time (a server-side cursor
    on PostgreSQL, so that the result is never in memory whole): no SQLAlchemy row objects,
    which cost more than the statistics built from them (timestamps come back as the driver
    gives them: `utc_value` reads SQLite's text)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    raw: Any = conn.connection.dbapi_connection
    postgres = conn.dialect.name == "postgresql"
    # A name of its own: two reads may be open on one connection at once.
    cursor = raw.cursor(name=f"bigfish_rows_{next(_CURSORS)}") if postgres else raw.cursor()
    try:
        cursor.execute(str(compiled))
        while rows := cursor.fetchmany(size):
            yield from rows
    finally:
        cursor.close()


def facts_select(where: ColumnElement[bool] | None = None) -> sa.Select[Any]:
    """SELECT of the report facts (joined with the organization name)."""
    query = sa.select(*_FACT_COLUMNS).join(organizations, organizations.c.id == reports.c.org_id)
    return query if where is None else query.where(where)


def report_facts(
    conn: Connection, pks: Sequence[int] | None, rates: Rates | None
) -> dict[int, ReportFacts]:
    """Facts of the reports PKS (every report when None), by primary key."""
    out: dict[int, ReportFacts] = {}
    if pks is None:
        for fact, _ in iter_facts(conn, facts_select(), rates):
            out[fact.pk] = fact
        return out
    for part in chunked(sorted(set(pks))):
        for row in conn.execute(facts_select(reports.c.id.in_(part))):
            out[row.id] = _fact(row, rates)
    return out


def identifier_names(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str, bool]]:
    """(kind, canonical, valid) of the identifiers IDS."""
    out: dict[int, tuple[str, str, bool]] = {}
    for part in chunked(sorted(set(ids))):
        query = sa.select(
            identifiers.c.id, identifiers.c.kind, identifiers.c.canonical, identifiers.c.valid
        ).where(identifiers.c.id.in_(part))
        for row in conn.execute(query):
            out[row.id] = (row.kind, row.canonical, bool(row.valid))
    return out

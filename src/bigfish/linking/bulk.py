"""The full rebuild at scale: report facts as numpy columns, statistics of every network in a few
vectorized passes, and rows written through the driver (COPY on PostgreSQL)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.fx import Rates
from bigfish.linking.graph import IntArray
from bigfish.linking.loading import loss_usd, utc
from bigfish.linking.score import GROWTH_WINDOW, network_score
from bigfish.linking.state import retire_networks
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_linking import networks

# reported_at in microseconds since 1970 UTC: a report's time keeps its fraction of a second
# (intake keeps it), so the first and last seen and the growth window are those of the
# statistics of an update (`bigfish.linking.score.Tally`), not a second off (a cast to whole
# seconds rounds on PostgreSQL: 23:59:59.6 was first seen the next day).
_EPOCH = {
    "sqlite": "CAST(strftime('%s', r.reported_at) AS INTEGER) * 1000000"
    " + CAST(substr(substr(r.reported_at, 21) || '000000', 1, 6) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(EPOCH FROM r.reported_at) * 1000000 AS BIGINT)",
}
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FACTS_SQL = (
    "SELECT r.id, o.name, r.country, {epoch}, r.loss_usd, r.loss_amount, r.loss_currency, "
    "r.scam_type, r.channel FROM reports r JOIN organizations o ON o.id = r.org_id"
)


@dataclass(frozen=True, slots=True)
class ReportColumns:
    """Every report's facts as parallel arrays, categories as codes into the name tuples."""

    pk: IntArray
    org: IntArray
    country: IntArray
    epoch: IntArray  # reported_at, microseconds since 1970 UTC
    loss: np.ndarray[Any, np.dtype[np.float64]]  # NaN when unknown
    scam_type: IntArray  # -1 when absent
    channel: IntArray
    unknown: dict[int, str]  # report index -> currency of an amount without a rate
    names: dict[str, tuple[str, ...]]  # org, country, scam_type, channel


class _Codes:
    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, value: str | None) -> int:
        if value is None:
            return -1
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.codes)
        return found

    def names(self) -> tuple[str, ...]:
        return tuple(self.codes)


def _categories(text: str | None, n: int) -> tuple[IntArray, tuple[str, ...]]:
    """Codes and names of N comma-separated values ('' is absent: code -1)."""
    values = np.array((text or "").split(",") if n else [], dtype=str)
    names, codes = np.unique(values, return_inverse=True)
    name_list = [str(x) for x in names.tolist()]
    if "" in name_list:
        blank = name_list.index("")
        codes = np.where(codes == blank, -1, codes - (codes > blank))
        name_list.pop(blank)
    return codes.astype(np.int64), tuple(name_list)


_SQLITE_COLUMNS = (
    "SELECT group_concat(id), group_concat(org_id), group_concat(substr(reported_at, 1, 26)),"
    " group_concat(coalesce(loss_usd, 'nan')), group_concat(country),"
    " group_concat(coalesce(scam_type, '')), group_concat(coalesce(channel, ''))"
    " FROM (SELECT * FROM reports ORDER BY id)"
)


def _sqlite_columns(conn: Connection) -> ReportColumns:
    """Every report's columns through seven group_concat aggregates parsed by numpy."""
    from bigfish.linking.loading import ints_from_text

    row = conn.exec_driver_sql(_SQLITE_COLUMNS).one()
    pk = ints_from_text(row[0])
    org_ids = ints_from_text(row[1])
    n = pk.size
    dates = row[2].split(",") if n else []
    epoch = np.array(dates, dtype="datetime64[us]").astype(np.int64)
    loss = np.fromstring(row[3], dtype=np.float64, sep=",") if n else np.zeros(0)
    country, countries = _categories(row[4], n)
    stype, stypes = _categories(row[5], n)
    chan, chans = _categories(row[6], n)
    names = dict(conn.execute(sa.select(organizations.c.id, organizations.c.name)).all())
    org_keys = np.array(sorted(names), dtype=np.int64)
    org = np.searchsorted(org_keys, org_ids).astype(np.int64)
    unknown: dict[int, str] = {}
    query = sa.select(reports.c.id, reports.c.loss_currency).where(
        reports.c.loss_amount.is_not(None), reports.c.loss_usd.is_(None)
    )
    for rid, currency in conn.execute(query):
        if currency:
            unknown[int(np.searchsorted(pk, rid))] = currency
    return ReportColumns(
        pk=pk,
        org=org,
        country=country,
        epoch=epoch,
        loss=loss,
        scam_type=stype,
        channel=chan,
        unknown=unknown,
        names={
            "org": tuple(names[int(k)] for k in org_keys.tolist()),
            "country": countries,
            "scam_type": stypes,
            "channel": chans,
        },
    )


def report_columns(conn: Connection, rates: Rates | None) -> ReportColumns:
    """Read every report once, through the driver, into columns (sorted by primary key)."""
    if conn.dialect.name == "sqlite" and rates is None:
        return _sqlite_columns(conn)
    raw = conn.connection.dbapi_connection
    if raw is None:  # pragma: no cover - a closed connection
        raise RuntimeError("connection is closed")
    postgres = conn.dialect.name == "postgresql"
    cursor = raw.cursor(name="bigfish_link_reports") if postgres else raw.cursor()
    org, country, types, channels = _Codes(), _Codes(), _Codes(), _Codes()
    pk: list[int] = []
    cols: list[list[int]] = [[], [], [], [], []]
    loss: list[float] = []
    unknown: dict[int, str] = {}
    try:
        cursor.execute(_FACTS_SQL.format(epoch=_EPOCH[conn.dialect.name]) + " ORDER BY r.id")
        while rows := cursor.fetchmany(100_000):
            for row in rows:
                (rid, oname, ctry, epoch, usd, amount, currency, stype, chan) = row
                if rates is not None:
                    usd = loss_usd(_Row(usd, amount, currency), rates)
                if usd is None and amount is not None and currency:
                    unknown[len(pk)] = currency
                pk.append(rid)
                cols[0].append(org.code(oname))
                cols[1].append(country.code(ctry))
                cols[2].append(int(epoch))
                cols[3].append(types.code(stype))
                cols[4].append(channels.code(chan))
                loss.append(float("nan") if usd is None else float(usd))
    finally:
        cursor.close()
    arrays = [np.asarray(c, dtype=np.int64) for c in cols]
    return ReportColumns(
        pk=np.asarray(pk, dtype=np.int64),
        org=arrays[0],
        country=arrays[1],
        epoch=arrays[2],
        loss=np.asarray(loss, dtype=np.float64),
        scam_type=arrays[3],
        channel=arrays[4],
        unknown=unknown,
        names={
            "org": org.names(),
            "country": country.names(),
            "scam_type": types.names(),
            "channel": channels.names(),
        },
    )


@dataclass(frozen=True, slots=True)
class _Row:
    loss_usd: float | None
    loss_amount: str | None
    loss_currency: str | None


def _pairs(label: IntArray, codes: IntArray) -> dict[int, list[tuple[int, int]]]:
    """Per label, the (code, count) pairs of CODES (codes of -1 left out), most frequent first."""
    keep = codes >= 0
    span = int(codes.max()) + 1 if codes.size else 1
    keys, counts = np.unique(label[keep] * span + codes[keep], return_counts=True)
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, count in zip(keys.tolist(), counts.tolist(), strict=True):
        out[key // span].append((key % span, count))
    for items in out.values():
        items.sort(key=lambda kv: -kv[1])
    return out


def network_rows(
    cols: ReportColumns,
    members: Mapping[int, Sequence[int]],
    created: Mapping[int, datetime],
    split: set[int],
    now: datetime,
) -> list[dict[str, Any]]:
    """The networks row of every network in MEMBERS (network id -> report pks)."""
    if not members:
        return []
    ids = np.fromiter(members, dtype=np.int64, count=len(members))
    sizes = np.fromiter((len(m) for m in members.values()), dtype=np.int64, count=len(members))
    label = np.repeat(np.arange(ids.size, dtype=np.int64), sizes)
    pks = np.fromiter((pk for m in members.values() for pk in m), dtype=np.int64)
    at = np.searchsorted(cols.pk, pks)
    n = ids.size
    loss = np.bincount(label, weights=np.nan_to_num(cols.loss[at]), minlength=n)
    epoch = cols.epoch[at]
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, label, epoch)
    np.maximum.at(last, label, epoch)
    now_us = (now - _EPOCH_START) // _MICROSECOND  # exact: a float timestamp is not
    recent = (epoch > now_us - GROWTH_WINDOW // _MICROSECOND) & (epoch <= now_us)
    growth = np.bincount(label, weights=recent.astype(np.float64), minlength=n).astype(np.int64)
    names = cols.names
    countries = _pairs(label, cols.country[at])
    orgs = _pairs(label, cols.org[at])
    types = _pairs(label, cols.scam_type[at])
    channels = _pairs(label, cols.channel[at])
    unknown: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if cols.unknown:
        where = {int(i): lab for i, lab in zip(at.tolist(), label.tolist(), strict=True)}
        for idx, currency in cols.unknown.items():
            if idx in where:
                unknown[where[idx]][currency] += 1
    rows = []
    for i, nid in enumerate(ids.tolist()):
        ctry = sorted(names["country"][c] for c, _ in countries[i])
        total = round(float(loss[i]), 2)
        count = int(sizes[i])
        rows.append(
            {
                "id": nid,
                "status": "active",
                "merged_into": None,
                "created_at": created.get(nid, now),
                "updated_at": now,
                "report_count": count,
                "score": network_score(total, len(ctry), int(growth[i]), count),
                "total_loss_usd": total,
                "unknown_currency": dict(sorted(unknown[i].items())) if i in unknown else None,
                "countries": ctry,
                "organizations": sorted(names["org"][c] for c, _ in orgs[i]),
                "scam_types": {names["scam_type"][c]: k for c, k in types[i]},
                "channels": {names["channel"][c]: k for c, k in channels[i]},
                "first_seen": _EPOCH_START + int(first[i]) * _MICROSECOND,
                "last_seen": _EPOCH_START + int(last[i]) * _MICROSECOND,
                "growth_30d": int(growth[i]),
                "community_split": nid in split,
            }
        )
    return rows


_NETWORK_COLUMNS = (
    "id", "status", "merged_into", "created_at", "updated_at", "report_count", "score",
    "total_loss_usd", "unknown_currency", "countries", "organizations", "scam_types", "channels",
    "first_seen", "last_seen", "growth_30d", "community_split",
)  # fmt: skip
_JSON = {"unknown_currency", "countries", "organizations", "scam_types", "channels"}
_TIMES = {"created_at", "updated_at", "first_seen", "last_seen"}


def _sqlite_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _JSON:
        return json.dumps(value)
    if column in _TIMES:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def replace_all_networks(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    retired: Mapping[int, int | None],
    now: datetime,
) -> None:
    """Mark RETIRED ids merged or dissolved, then replace every active network by ROWS."""
    retire_networks(conn, retired, now)
    conn.execute(networks.delete().where(networks.c.status == "active"))
    if not rows:
        return
    names = ", ".join(_NETWORK_COLUMNS)
    if conn.dialect.name == "postgresql":
        marks = ", ".join("%s::json" if c in _JSON else "%s" for c in _NETWORK_COLUMNS)
        values = [
            tuple(
                json.dumps(r[c]) if c in _JSON and r[c] is not None else r[c]
                for c in _NETWORK_COLUMNS
            )
            for r in rows
        ]
    else:
        marks = ", ".join("?" for _ in _NETWORK_COLUMNS)
        values = [tuple(_sqlite_value(c, r[c]) for c in _NETWORK_COLUMNS) for r in rows]
    conn.exec_driver_sql(f"INSERT INTO networks ({names}) VALUES ({marks})", values)  # noqa: S608


def copy_members(conn: Connection, pairs: Sequence[tuple[int, int]]) -> None:
    """Insert (report_pk, network_id) rows: COPY on PostgreSQL, executemany on SQLite."""
    if not pairs:
        return
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO network_members (report_pk, network_id) VALUES (?, ?)", list(pairs)
        )
        return
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cursor:
        with cursor.copy("COPY network_members (report_pk, network_id) FROM STDIN") as copy:
            for pair in pairs:
                copy.write_row(pair)


def all_created_times(conn: Connection) -> dict[int, datetime]:
    """When every network ever made was created."""
    return {
        row.id: utc(row.created_at)
        for row in conn.execute(sa.select(networks.c.id, networks.c.created_at))
    }

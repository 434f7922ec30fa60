"""The order of a viewer's alerts: which pairs fill a page, read as few as the page needs.

An alert is dated by its report (`_reported_later`) or, when the report is older than the
viewer's holding of the value, by that holding (`_held_later`); `page_pairs` merges the two.
Reports are dated by their `updated_at`: when they were stored or last changed (replaced,
re-marked), so an alert a change raises is dated after the change.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.alerts.infrastructure import not_stopped
from bigfish.alerts.model import Dated, as_utc
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store.schema import UTCDateTime, identifiers, mentions, reports
from bigfish.store.schema_linking import stopped_values

#: Less than any two stored times differ by (they are kept to the microsecond).
_TICK = timedelta(microseconds=1)

#: Reports read in updated_at order, per row of the page's lean query, in the first window;
#: each next window is four times as long; after WINDOWS of them every alert of the
#: organization is read and sorted instead (`page_pairs`).
WINDOW_PER_ROW = 4
WINDOWS = 4
#: The viewer's reports looked at by one query of `_held_later` (a bound parameter each).
OWN_PART = 500
#: A window checks that the viewer held a value through the value's mentions, per mention of
#: another's report, instead of building the table of the viewer's first holdings, when the
#: viewer's reports stamped by the window's end outnumber the others' reports of the window
#: this many times (`_PerMention`). Measured on 100,000 synthetic reports
#: (`benchmarks/bench_alerts.py`): per mention everywhere, the first pages of organizations
#: whose reports sit among the others' (few of theirs by the window's end) cost up to 3-5
#: times more (4 of 13, SQLite); the table everywhere, the largest organization's pages as
#: ingested 2-7 times more. At 3 its since poll (19,131 of its reports for 4,800 of the
#: others' in the second window) reads per mention, at 4 it did not (162-166 ms CPU p50
#: against 44-45).
PER_MENTION_RATIO = 3

# The aliases the queries join, made once: each page made its own (and four more for each part
# of the viewer's reports, `_held_first`), and an alias of `reports` builds a proxy of each of
# its columns when first read: a third of a page's CPU on a small store. The SQL is the same.
_OWN = reports.alias("own")
_OWN_MENTIONS = mentions.alias("own_mentions")
_BEFORE = reports.alias("before")
_BEFORE_MENTIONS = mentions.alias("before_mentions")


@dataclass(frozen=True, slots=True)
class Page:
    """Which alerts a page reads: VIEWER's, dated after SINCE, after POSITION (date, report
    pk, identifier id) when given, and by UNTIL at the latest (None: at any time)."""

    viewer: Viewer
    since: datetime | None
    position: Dated | None
    until: datetime | None

    @property
    def org_id(self) -> int:
        assert self.viewer.org_id is not None
        return self.viewer.org_id

    @property
    def start(self) -> datetime | None:
        """No alert of the page is dated before this."""
        if self.position is None:
            return self.since
        return self.position[0] if self.since is None else max(self.since, self.position[0])

    def others(self) -> list[ColumnElement[bool]]:
        """Conditions on `reports` joined to `mentions` and `identifiers`: another
        organization's report the viewer may see, mentioning a valid value not stopped."""
        return [
            reports.c.org_id != self.org_id,
            visible_reports(self.viewer),
            identifiers.c.valid.is_(True),
            not_stopped(),
        ]

    @property
    def empty(self) -> bool:
        """Whether no alert can be on the page: none is dated after SINCE or POSITION and by
        UNTIL."""
        if self.until is None:
            return False
        if self.since is not None and self.since >= self.until:
            return True
        return self.position is not None and self.position[0] > self.until

    def by_until(self, at: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        """The condition that AT is UNTIL at the latest (none when UNTIL is None)."""
        return [at <= sa.literal(self.until, UTCDateTime)] if self.until is not None else []

    def dated(self, at: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        """Alerts dated AT (of `reports` and `mentions`) on the page: after SINCE, after
        POSITION and by UNTIL."""
        conditions = [at > sa.literal(self.since, UTCDateTime)] if self.since else []
        conditions += self.by_until(at)
        if self.position is not None:
            when, pk, ident_id = self.position
            conditions.append(
                sa.tuple_(at, reports.c.id, mentions.c.identifier_id)
                > sa.tuple_(sa.literal(when, UTCDateTime), pk, ident_id)
            )
        return conditions


def _reported_later(
    page: Page,
) -> tuple[sa.Select[Any], sa.Select[Any], Callable[[datetime | None, bool], ColumnElement[bool]]]:
    """The alerts of PAGE whose report was stamped once the viewer held the value, dated by
    the report: (the mentions of others' reports in updated_at order, the values the viewer
    holds, the condition that it held the mention's value when the report was stamped, for
    reports stamped by a time at the latest (None: any time), checked per mention or not)."""
    own, own_mentions = _OWN, _OWN_MENTIONS
    held = (
        sa.select(own_mentions.c.identifier_id)
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(own.c.org_id == page.org_id)
    )

    def held_then(end: datetime | None, per_mention: bool) -> ColumnElement[bool]:
        if per_mention:
            # From the value's mentions (few) to their reports by primary key; `+ 0` keeps
            # SQLite (no statistics) from walking the viewer's earlier reports through the
            # (org_id, updated_at) index instead, once per mention.
            return (
                sa.select(own_mentions.c.identifier_id)
                .join(own, own.c.id == own_mentions.c.report_pk)
                .where(
                    own.c.org_id + 0 == page.org_id,
                    own_mentions.c.identifier_id == mentions.c.identifier_id,
                    own.c.updated_at <= reports.c.updated_at,
                )
                .exists()
            )
        # When the viewer came to hold each value (its first report of it, by END), computed
        # once per query from its own reports (the (org_id, updated_at) index, then each
        # one's mentions by primary key): a look-up per mention of the walk, not a read of
        # every report of the value.
        by_end = [own.c.updated_at <= sa.literal(end, UTCDateTime)] if end is not None else []
        first_held = (
            sa.select(own_mentions.c.identifier_id, sa.func.min(own.c.updated_at).label("held"))
            .join(own, own.c.id == own_mentions.c.report_pk)
            .where(own.c.org_id == page.org_id, *by_end)
            .group_by(own_mentions.c.identifier_id)
            .cte("first_held")
            .prefix_with("MATERIALIZED")
        )
        return (
            sa.select(first_held.c.identifier_id)
            .where(
                first_held.c.identifier_id == mentions.c.identifier_id,
                first_held.c.held <= reports.c.updated_at,
            )
            .exists()
        )

    # A lean query finds the page's (report, identifier) pairs in order — no DISTINCT and no
    # detail joins, so the database sorts only three narrow columns — then the details of
    # those few pairs are read by primary key (`list_alerts`).
    lean = (
        sa.select(reports.c.updated_at.label("at"), reports.c.id, mentions.c.identifier_id)
        .select_from(mentions)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(*page.others(), *page.dated(reports.c.updated_at))
        .order_by(reports.c.updated_at, reports.c.id, mentions.c.identifier_id)
    )
    if page.start is not None:  # a range of the updated_at index
        lean = lean.where(reports.c.updated_at >= page.start)
    return lean, held, held_then


def _held_later(
    conn: Connection, page: Page, after: datetime, end: datetime | None, wanted: int
) -> list[Dated]:
    """The first WANTED alerts of PAGE dated after AFTER and by END at the latest (None: at
    any time) whose report is older than the viewer's holding of the value, dated by that
    holding: the earliest `updated_at` of the viewer's reports of the value. They are found
    through the viewer's reports of that time span, few against everyone's, a part at a time
    by primary key (the database would otherwise walk every mention)."""
    span = [reports.c.updated_at > after, *page.by_until(reports.c.updated_at)]
    span += [reports.c.updated_at <= end] if end is not None else []
    # Through the (org_id, updated_at, id) index: the organization's reports of the span
    # alone, not everyone's of it.
    own = conn.execute(
        sa.select(reports.c.id, reports.c.updated_at)
        .where(reports.c.org_id == page.org_id, *span)
        .order_by(reports.c.updated_at, reports.c.id)
    ).all()
    dated: list[Dated] = []
    for first in range(0, len(own), OWN_PART):
        part = own[first : first + OWN_PART]
        if len(dated) >= wanted and dated[wanted - 1][0] < as_utc(part[0].updated_at):
            break  # a value first held by a later report is dated after the page
        query = _held_first(page, [int(r.id) for r in part]).limit(wanted)
        found = {(as_utc(r.at), int(r.id), int(r.identifier_id)) for r in conn.execute(query)}
        dated = sorted({*dated, *found})[:wanted]
    return dated


def _others_before(conn: Connection, page: Page, start: datetime) -> bool:
    """Whether another organization's report was stamped before START (from START back:
    the first report found answers)."""
    query = (
        sa.select(reports.c.id)
        .where(reports.c.org_id != page.org_id, reports.c.updated_at < start)
        .order_by(reports.c.updated_at.desc(), reports.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first() is not None


def _others_first(conn: Connection, page: Page, start: datetime) -> datetime | None:
    """When the first report of another organization stamped at START or later was stamped
    (None: there is none)."""
    found = conn.execute(
        sa.select(reports.c.updated_at)
        .where(reports.c.org_id != page.org_id, reports.c.updated_at >= start)
        .order_by(reports.c.updated_at, reports.c.id)
        .limit(1)
    ).scalar()
    return as_utc(found) if found is not None else None


class _Holdings:
    """The first WANTED alerts of PAGE dated by a holding (`_held_later`), read span by span
    as the page's windows grow: each span once."""

    def __init__(self, conn: Connection, page: Page, wanted: int, first: datetime) -> None:
        """FIRST: the earliest stamp of the viewer's reports."""
        assert page.start is not None  # `page_pairs` starts reading at a date
        self._conn, self._page, self._wanted = conn, page, wanted
        #: The viewer's reports stamped up to this are read (None: every one).
        self._read: datetime | None = page.start - _TICK
        if page.start < first and not _others_before(conn, page, first):
            # A holding is younger than the other organization's report it dates: an
            # organization that reported first does not read its reports up to another's
            # first (the walk there costs less than reading them; none: nothing to read).
            self._read = _others_first(conn, page, first)
        self._dated: list[Dated] = []

    def up_to(self, end: datetime | None) -> list[Dated]:
        """The first WANTED alerts dated by END at the latest (None: at any time)."""
        read = self._read
        if read is not None and len(self._dated) < self._wanted and (end is None or end > read):
            # Every alert up to READ is known (fewer than a page): the span after it adds
            # only later ones.
            found = _held_later(self._conn, self._page, read, end, self._wanted)
            self._dated = (self._dated + found)[: self._wanted]
            self._read = end
        return [d for d in self._dated if end is None or d[0] <= end]


def _held_first(page: Page, own_pks: Sequence[int]) -> sa.Select[Any]:
    """The alerts of PAGE on the values the viewer's reports OWN_PKS were the first of its
    reports to mention, of other organizations' older reports, dated by that first report,
    oldest first. Each value is looked at once, however many of the reports mention it."""
    own, own_mentions = _OWN, _OWN_MENTIONS
    shared = sa.exists().where(stopped_values.c.identifier_id == own_mentions.c.identifier_id)
    first = (
        sa.select(own_mentions.c.identifier_id, sa.func.min(own.c.updated_at).label("held"))
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(own.c.id.in_(own_pks), ~shared)
        .group_by(own_mentions.c.identifier_id)
        .subquery("first_held")
    )
    before, before_mentions = _BEFORE, _BEFORE_MENTIONS
    held_before = sa.exists().where(
        before_mentions.c.identifier_id == first.c.identifier_id,
        before.c.id == before_mentions.c.report_pk,
        # `+ 0`: from the value's mentions, not the viewer's earlier reports through the
        # (org_id, updated_at) index (SQLite, without statistics, would walk those instead)
        before.c.org_id + 0 == page.org_id,
        before.c.updated_at < first.c.held,
    )
    held = sa.type_coerce(first.c.held, UTCDateTime)
    return (
        sa.select(held.label("at"), reports.c.id, mentions.c.identifier_id)
        .distinct()
        .select_from(first)
        .join(mentions, mentions.c.identifier_id == first.c.identifier_id)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(~held_before, reports.c.updated_at < held, *page.others(), *page.dated(held))
        .order_by(held, reports.c.id, mentions.c.identifier_id)
    )


class _PerMention:
    """Whether a window of the page checks the viewer's holding per mention of another's
    report rather than through the table of its first holdings (`PER_MENTION_RATIO`). The
    table costs every report the viewer stamped by the window's end; the check per mention,
    the few mentions of each value, for the others' reports of the window only (SQLite stops
    at the page's rows). A window of the viewer's own run of reports (as `bigfish ingest`
    stores a file), or one long after many of them, holds few of the others': the largest
    organization's first page, 19,131 of its reports for 69 of another's. The viewer's
    reports are counted once as the windows grow."""

    def __init__(self, conn: Connection, page: Page) -> None:
        assert page.start is not None  # `page_pairs` starts reading at a date
        self._conn, self._page, self._start = conn, page, page.start
        #: The viewer's reports counted (stamped by `_to`; all when `_all`), and those of
        #: them the windows hold.
        self._own = self._in_windows = 0
        self._to: datetime | None = None
        self._all = False

    def __call__(self, size: int, end: datetime | None) -> bool:
        """For a window of SIZE reports from the page's start, read up to END (None: the
        last)."""
        to = self._to
        if not self._all and (to is None or end is None or end > to):  # windows only grow
            span = [reports.c.updated_at > to] if to is not None else []
            span += [reports.c.updated_at <= end] if end is not None else []
            span += self._page.by_until(reports.c.updated_at)
            in_window = sa.case((reports.c.updated_at >= self._start, 1))
            own, in_windows = self._conn.execute(
                sa.select(sa.func.count(), sa.func.count(in_window)).where(
                    reports.c.org_id == self._page.org_id, *span
                )
            ).one()
            self._own += int(own)
            self._in_windows += int(in_windows)
            self._to, self._all = end, end is None
        return self._own > PER_MENTION_RATIO * max(size - self._in_windows, 0)


def _deduplicated(rows: Sequence[Any]) -> list[Dated]:
    dated: list[Dated] = []
    for row in rows:
        alert = (as_utc(row.at), int(row.id), int(row.identifier_id))
        if not dated or dated[-1] != alert:
            dated.append(alert)
    return dated


def _merged(
    rows: Iterable[Any], held: Sequence[Dated], end: datetime | None, wanted: int
) -> list[Dated] | None:
    """The first WANTED alerts of ROWS (alerts dated by their report, in order: every one up
    to END, or a page of them) and HELD (every alert dated by a holding up to END, or the
    first WANTED), or None when the alerts up to END are fewer. ROWS are read only as far as
    the page needs (SQLite computes them as they are read)."""
    reported: list[Dated] = []
    for row in rows:
        alert = (as_utc(row.at), int(row.id), int(row.identifier_id))
        if reported and reported[-1] == alert:
            continue  # the same pair from another source
        reported.append(alert)
        if len(reported) + bisect_left(held, alert) >= wanted:  # a page up to ALERT
            return sorted({*reported, *held})[:wanted]
    dated = sorted(d for d in {*reported, *held} if end is None or d[0] <= end)
    return dated[:wanted] if len(dated) >= wanted or end is None else None


def page_pairs(conn: Connection, page: Page, wanted: int) -> list[Dated]:
    """The first WANTED alerts of PAGE, oldest first.

    An alert is dated by its report (`_reported_later`) or, when the report is older than the
    viewer's holding of the value, by that holding (`_held_later`). Where alerts are dense,
    reading reports oldest first (the updated_at index) finds a page within a few thousand
    reports: windows of the oldest reports from the page's start, each four times longer,
    are read first, each with the alerts dated by a holding within it. When they do not fill
    the page, every mention of an identifier the organization holds is read and sorted
    (cost: all of its alerts). A pair appears once per source (field, narrative, derived),
    so three times the page of rows always holds a page of pairs."""
    batch = 3 * wanted
    if page.empty:
        return []
    first = conn.execute(
        sa.select(sa.func.min(reports.c.updated_at)).where(
            reports.c.org_id == page.org_id, *page.by_until(reports.c.updated_at)
        )
    ).scalar()
    if first is None:  # the organization holds nothing (by UNTIL)
        return []
    if page.start is None or page.start < as_utc(first):
        # No alert is dated before the organization's first report: reading starts there.
        page = replace(page, since=as_utc(first) - _TICK)
    lean, values, held_then = _reported_later(page)
    bound = (
        sa.select(reports.c.updated_at)
        .where(*page.by_until(reports.c.updated_at))
        .order_by(reports.c.updated_at, reports.c.id)
    )
    if page.start is not None:
        bound = bound.where(reports.c.updated_at >= page.start)
    holdings = _Holdings(conn, page, wanted, as_utc(first))
    per_mention = _PerMention(conn, page)
    size = WINDOW_PER_ROW * batch
    for _ in range(WINDOWS):
        found = conn.execute(bound.offset(size - 1).limit(1)).scalar()
        window_end = as_utc(found) if found is not None else None
        # Alerts dated by a holding first (the viewer's few reports of the window): where
        # they fill the page, reports need reading only up to its last.
        held = holdings.up_to(window_end)
        end = held[wanted - 1][0] if len(held) >= wanted else window_end
        query = lean.where(held_then(end, per_mention(size, end)))
        query = query.where(reports.c.updated_at <= end) if end is not None else query
        with conn.execute(query.limit(batch)) as found_rows:
            dated = _merged(found_rows, held, end, wanted)
        if dated is not None:
            return dated
        size *= 4
    query = lean.where(mentions.c.identifier_id.in_(values), held_then(None, False))
    reported: list[Dated] = []
    offset = 0
    while len(reported) < wanted:
        rows = conn.execute(query.limit(batch).offset(offset)).all()
        for alert in _deduplicated(rows):
            if not reported or reported[-1] != alert:
                reported.append(alert)
        if len(rows) < batch:
            break
        offset += batch
    last = reported[wanted - 1][0] if len(reported) >= wanted else None
    return sorted(set(reported) | set(holdings.up_to(last)))[:wanted]

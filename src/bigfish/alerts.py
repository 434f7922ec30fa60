"""Alerts: another organization reported an identifier the caller holds.

An alert is derived, not stored: it is a (report, identifier) pair where the report belongs to
another organization, the caller may see it (through `bigfish.sharing.policy`), and the caller's
own reports mention the same valid identifier. It is dated when the pair came to be: the later
of the other report's created_at and the caller's first report of the value, so an organization
that reports a value another reported months ago is alerted now. Deriving it at read time means
a removal from a group, a raised TLP or a deleted report takes effect on the next request. New
reports submitted through the API also go out, signed (`bigfish.webhooks`), to the webhooks of
the organizations holding their values and of the submitting organization, for the values
others reported first.

Shared infrastructure raises no alert: a value the linking stopped (a pin, a warning list, the hub
test: `bigfish.linking.hubs`), or one the node's warning lists or an operator's pin name before the
linking has run. Victims mention their bank's hotline in unrelated reports; an alert on it would
go to every organization that holds it.
"""

from __future__ import annotations

import base64
import json
import logging
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.errors import BigfishError, InputError
from bigfish.linking.warninglists import WarningLists, load_warning_lists, operator_list_dirs
from bigfish.models import TLP, Distribution
from bigfish.sharing.policy import ItemMarking, Viewer, can_see, visible_reports
from bigfish.store import Store
from bigfish.store.schema import (
    UTCDateTime,
    group_members,
    identifiers,
    mentions,
    organizations,
    reports,
)
from bigfish.store.schema_linking import link_pins, stopped_values
from bigfish.webhooks import deliver, list_allowed_peers, webhook_secrets

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Alert:
    """Another organization's report mentions an identifier the caller holds."""

    id: str
    created_at: datetime
    kind: str
    canonical: str
    org: str
    report_id: str
    country: str
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class AlertPage:
    """A page of alerts (oldest first) and the cursor of the next."""

    alerts: tuple[Alert, ...]
    next_cursor: str | None


#: Less than any two stored times differ by (they are kept to the microsecond).
_TICK = timedelta(microseconds=1)

#: An alert as the pages order it: (its date, the other report's pk, the identifier's id).
Dated = tuple[datetime, int, int]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _cursor(created_at: datetime, pk: int, ident_id: int) -> str:
    raw = json.dumps([created_at.isoformat(), pk, ident_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[datetime, int, int]:
    try:
        at, pk, ident_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(pk, int) or not isinstance(ident_id, int):
            raise ValueError("ids are integers")
        return datetime.fromisoformat(at), pk, ident_id
    except (ValueError, TypeError):
        raise InputError("not a cursor of the alerts", field="cursor") from None


def list_alerts(
    store: Store,
    viewer: Viewer,
    *,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> AlertPage:
    """Alerts for VIEWER's organization: reports of others it may see that mention identifiers
    its own reports mention, dated after SINCE, oldest first.

    An alert is dated when the pair came to be: the later of the other report's created_at
    and the first created_at of the viewer's reports that mention the value (when it came to
    hold it). A value the viewer reports after another organization did is alerted then, so
    a poll with SINCE set to the last poll sees it."""
    if viewer.org_id is None:
        return AlertPage((), None)
    position = None
    if cursor is not None:
        at, pk, ident_id = _uncursor(cursor)
        position = (_as_utc(at), pk, ident_id)
    page = _Page(viewer, _as_utc(since) if since is not None else None, position)
    with store.connect() as conn:
        dated = _page_pairs(conn, page, limit + 1)
        report_ids = sorted({pk for _, pk, _ in dated})
        ident_ids = sorted({ident for _, _, ident in dated})
        report_rows = {
            int(r.id): r
            for r in conn.execute(
                sa.select(
                    reports.c.id,
                    reports.c.report_id,
                    reports.c.country,
                    reports.c.reported_at,
                    organizations.c.name,
                )
                .join(organizations, organizations.c.id == reports.c.org_id)
                .where(reports.c.id.in_(report_ids))
            )
        }
        ident_rows = {
            int(r.id): r
            for r in conn.execute(
                sa.select(identifiers.c.id, identifiers.c.kind, identifiers.c.canonical).where(
                    identifiers.c.id.in_(ident_ids)
                )
            )
        }
        examined = [d for d in dated[:limit] if d[1] in report_rows and d[2] in ident_rows]
        shared = _infrastructure(
            conn, {i: (str(r.kind), str(r.canonical)) for i, r in ident_rows.items()}
        )
    alerts = [
        Alert(
            id=f"{pk}-{ident}",
            created_at=at,
            kind=ident_rows[ident].kind,
            canonical=ident_rows[ident].canonical,
            org=report_rows[pk].name,
            report_id=report_rows[pk].report_id,
            country=report_rows[pk].country,
            reported_at=_utc(report_rows[pk].reported_at),
        )
        for at, pk, ident in examined
        if ident not in shared
    ]
    following = None
    if len(dated) > limit and examined:
        # From the last pair read, shown or not: a page may come short of LIMIT when values
        # the linking has not stopped yet are infrastructure, never skip or repeat an alert.
        following = _cursor(*examined[-1])
    return AlertPage(tuple(alerts), following)


@dataclass(frozen=True, slots=True)
class _Page:
    """Which alerts a page reads: VIEWER's, dated after SINCE, after POSITION (date, report
    pk, identifier id) when given."""

    viewer: Viewer
    since: datetime | None
    position: Dated | None

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
            _not_stopped(),
        ]

    def after(self, at: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        """Alerts dated AT (of `reports` and `mentions`) on the page: after SINCE and after
        POSITION."""
        conditions = [at > sa.literal(self.since, UTCDateTime)] if self.since else []
        if self.position is not None:
            when, pk, ident_id = self.position
            conditions.append(
                sa.tuple_(at, reports.c.id, mentions.c.identifier_id)
                > sa.tuple_(sa.literal(when, UTCDateTime), pk, ident_id)
            )
        return conditions


def _reported_later(page: _Page) -> tuple[sa.Select[Any], sa.Select[Any], ColumnElement[bool]]:
    """The alerts of PAGE whose report was created once the viewer held the value, dated by
    the report: (the mentions of others' reports in created_at order, the values the viewer
    holds, the condition that it held the mention's value when the report was created)."""
    own = reports.alias("own")
    own_mentions = mentions.alias("own_mentions")
    held = (
        sa.select(own_mentions.c.identifier_id)
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(own.c.org_id == page.org_id)
    )
    held_then = held.where(
        own_mentions.c.identifier_id == mentions.c.identifier_id,
        own.c.created_at <= reports.c.created_at,
    ).exists()
    # A lean query finds the page's (report, identifier) pairs in order — no DISTINCT and no
    # detail joins, so the database sorts only three narrow columns — then the details of
    # those few pairs are read by primary key (`list_alerts`).
    lean = (
        sa.select(reports.c.created_at.label("at"), reports.c.id, mentions.c.identifier_id)
        .select_from(mentions)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(*page.others(), *page.after(reports.c.created_at))
        .order_by(reports.c.created_at, reports.c.id, mentions.c.identifier_id)
    )
    if page.start is not None:  # a range of the created_at index
        lean = lean.where(reports.c.created_at >= page.start)
    return lean, held, held_then


def _held_later(conn: Connection, page: _Page, end: datetime | None, wanted: int) -> list[Dated]:
    """The first WANTED alerts of PAGE dated by END at the latest (None: at any time) whose
    report is older than the viewer's holding of the value, dated by that holding: when the
    viewer's first report of the value was created. They are found through the viewer's
    reports of that time span, few against everyone's, a part at a time by primary key (the
    database would otherwise walk every mention)."""
    span = [reports.c.created_at >= page.start] if page.start is not None else []
    span += [reports.c.created_at <= end] if end is not None else []
    # In a span, through the created_at index: `+ 0` keeps SQLite (no statistics) from reading
    # every report of the organization through its own index instead.
    mine = reports.c.org_id + 0 == page.org_id if span else reports.c.org_id == page.org_id
    own = conn.execute(
        sa.select(reports.c.id, reports.c.created_at)
        .where(mine, *span)
        .order_by(reports.c.created_at, reports.c.id)
    ).all()
    dated: list[Dated] = []
    for first in range(0, len(own), OWN_PART):
        part = own[first : first + OWN_PART]
        if len(dated) >= wanted and dated[wanted - 1][0] < _as_utc(part[0].created_at):
            break  # a value first held by a later report is dated after the page
        query = _held_first(page, [int(r.id) for r in part]).limit(wanted)
        found = {(_as_utc(r.at), int(r.id), int(r.identifier_id)) for r in conn.execute(query)}
        dated = sorted({*dated, *found})[:wanted]
    return dated


def _held_first(page: _Page, own_pks: Sequence[int]) -> sa.Select[Any]:
    """The alerts of PAGE on the values the viewer's reports OWN_PKS were the first of its
    reports to mention, of other organizations' older reports, dated by that first report,
    oldest first. Each value is looked at once, however many of the reports mention it."""
    own = reports.alias("own")
    own_mentions = mentions.alias("own_mentions")
    shared = sa.exists().where(stopped_values.c.identifier_id == own_mentions.c.identifier_id)
    first = (
        sa.select(own_mentions.c.identifier_id, sa.func.min(own.c.created_at).label("held"))
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(own.c.id.in_(own_pks), ~shared)
        .group_by(own_mentions.c.identifier_id)
        .subquery("first_held")
    )
    before = reports.alias("before")
    before_mentions = mentions.alias("before_mentions")
    held_before = sa.exists().where(
        before_mentions.c.identifier_id == first.c.identifier_id,
        before.c.id == before_mentions.c.report_pk,
        before.c.org_id == page.org_id,
        before.c.created_at < first.c.held,
    )
    held = sa.type_coerce(first.c.held, UTCDateTime)
    return (
        sa.select(held.label("at"), reports.c.id, mentions.c.identifier_id)
        .distinct()
        .select_from(first)
        .join(mentions, mentions.c.identifier_id == first.c.identifier_id)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(~held_before, reports.c.created_at < held, *page.others(), *page.after(held))
        .order_by(held, reports.c.id, mentions.c.identifier_id)
    )


def _not_stopped() -> ColumnElement[bool]:
    """The mention's value is not one the linking stopped as shared infrastructure."""
    return ~sa.exists().where(stopped_values.c.identifier_id == mentions.c.identifier_id)


@cache
def _warning_lists() -> WarningLists:
    """The node's warning lists (shipped and the operator's), loaded once."""
    return load_warning_lists(operator_list_dirs())


def _infrastructure(conn: Connection, values: Mapping[int, tuple[str, str]]) -> set[int]:
    """The ids of VALUES (id: (kind, canonical)) that are shared infrastructure though the
    linking has not stopped them yet: pinned as not linking, or on a warning list and not pinned
    as linking (the linking's order: `bigfish.linking.incremental`)."""
    lists = _warning_lists()
    listed = {i for i, (kind, canonical) in values.items() if lists.match(kind, canonical)}
    pins: dict[tuple[str, str], bool] = {}
    wanted = sorted(set(values.values()))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        pins.update(
            ((str(k), str(c)), bool(link))
            for k, c, link in conn.execute(
                sa.select(link_pins.c.kind, link_pins.c.canonical, link_pins.c.link).where(
                    sa.tuple_(link_pins.c.kind, link_pins.c.canonical).in_(part)
                )
            )
        )
    return {
        i
        for i, key in values.items()
        if (key in pins and not pins[key]) or (i in listed and pins.get(key) is not True)
    }


#: Reports read in created_at order, per row of the page's lean query, in the first window;
#: each next window is four times as long; after WINDOWS of them every alert of the
#: organization is read and sorted instead (`_page_pairs`).
WINDOW_PER_ROW = 4
WINDOWS = 4
#: The viewer's reports looked at by one query of `_held_later` (a bound parameter each).
OWN_PART = 500


def _deduplicated(rows: Sequence[Any]) -> list[Dated]:
    dated: list[Dated] = []
    for row in rows:
        alert = (_as_utc(row.at), int(row.id), int(row.identifier_id))
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
        alert = (_as_utc(row.at), int(row.id), int(row.identifier_id))
        if reported and reported[-1] == alert:
            continue  # the same pair from another source
        reported.append(alert)
        if len(reported) + bisect_left(held, alert) >= wanted:  # a page up to ALERT
            return sorted({*reported, *held})[:wanted]
    dated = sorted(d for d in {*reported, *held} if end is None or d[0] <= end)
    return dated[:wanted] if len(dated) >= wanted or end is None else None


def _page_pairs(conn: Connection, page: _Page, wanted: int) -> list[Dated]:
    """The first WANTED alerts of PAGE, oldest first.

    An alert is dated by its report (`_reported_later`) or, when the report is older than the
    viewer's holding of the value, by that holding (`_held_later`). Where alerts are dense,
    reading reports oldest first (the created_at index) finds a page within a few thousand
    reports: windows of the oldest reports from the page's start, each four times longer,
    are read first, each with the alerts dated by a holding within it. When they do not fill
    the page, every mention of an identifier the organization holds is read and sorted
    (cost: all of its alerts). A pair appears once per source (field, narrative, derived),
    so three times the page of rows always holds a page of pairs."""
    batch = 3 * wanted
    first = conn.execute(
        sa.select(sa.func.min(reports.c.created_at)).where(reports.c.org_id == page.org_id)
    ).scalar()
    if first is None:  # the organization holds nothing
        return []
    if page.start is None or page.start < _as_utc(first):
        # No alert is dated before the organization's first report: reading starts there.
        page = _Page(page.viewer, _as_utc(first) - _TICK, page.position)
    lean, values, held_then = _reported_later(page)
    in_order = lean.where(held_then)
    bound = sa.select(reports.c.created_at).order_by(reports.c.created_at, reports.c.id)
    if page.start is not None:
        bound = bound.where(reports.c.created_at >= page.start)
    size = WINDOW_PER_ROW * batch
    for _ in range(WINDOWS):
        found = conn.execute(bound.offset(size - 1).limit(1)).scalar()
        window_end = _as_utc(found) if found is not None else None
        # Alerts dated by a holding first (the viewer's few reports of the window): where
        # they fill the page, reports need reading only up to its last.
        held = _held_later(conn, page, window_end, wanted)
        end = held[wanted - 1][0] if len(held) >= wanted else window_end
        query = in_order.where(reports.c.created_at <= end) if end is not None else in_order
        with conn.execute(query.limit(batch)) as found_rows:
            dated = _merged(found_rows, held, end, wanted)
        if dated is not None:
            return dated
        size *= 4
    query = lean.where(mentions.c.identifier_id.in_(values), held_then)
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
    return sorted(set(reported) | set(_held_later(conn, page, last, wanted)))[:wanted]


def holders_to_alert(store: Store, report_pks: Sequence[int]) -> dict[int, list[Alert]]:
    """For reports REPORT_PKS just stored or updated: the organizations to alert, each with its
    alerts oldest first (for webhooks). Another organization holding one of their values and
    allowed to see them gets their alerts; the submitting organization, for each value it did
    not hold before this write, gets the alerts of the other organizations' reports it may see
    that mention it (as `list_alerts` dates them: when it came to hold the value)."""
    found: dict[int, dict[str, Alert]] = {}
    with store.connect() as conn:
        for start in range(0, len(report_pks), 500):
            chunk = list(report_pks[start : start + 500])
            rows = [*conn.execute(_to_holders(chunk)), *conn.execute(_to_new_holders(chunk))]
            shared = _infrastructure(
                conn, {int(r.identifier_id): (str(r.kind), str(r.canonical)) for r in rows}
            )
            rows = [r for r in rows if int(r.identifier_id) not in shared]
            viewers = _viewers(conn, {int(r.holder) for r in rows})
            for r in rows:
                item = ItemMarking(
                    int(r.org_id), TLP(r.tlp), Distribution(r.distribution), r.group_id
                )
                if not can_see(viewers[int(r.holder)], item):
                    continue
                alert = Alert(
                    id=f"{r.id}-{r.identifier_id}",
                    created_at=max(_as_utc(r.created_at), _as_utc(r.held)),
                    kind=r.kind,
                    canonical=r.canonical,
                    org=r.name,
                    report_id=r.report_id,
                    country=r.country,
                    reported_at=_utc(r.reported_at),
                )
                found.setdefault(int(r.holder), {})[alert.id] = alert
    return {
        holder: sorted(alerts.values(), key=lambda a: (a.created_at, _pair(a.id)))
        for holder, alerts in found.items()
    }


def _pair(alert_id: str) -> tuple[int, int]:
    report_pk, ident_id = alert_id.split("-")
    return int(report_pk), int(ident_id)


def _alert_columns() -> list[Any]:
    """The columns of an alert of the report `reports` on the value `identifiers`."""
    return [
        reports.c.id,
        reports.c.org_id,
        reports.c.tlp,
        reports.c.distribution,
        reports.c.group_id,
        reports.c.created_at,
        reports.c.report_id,
        reports.c.country,
        reports.c.reported_at,
        organizations.c.name,
        identifiers.c.id.label("identifier_id"),
        identifiers.c.kind,
        identifiers.c.canonical,
    ]


def _to_holders(report_pks: Sequence[int]) -> sa.Select[Any]:
    """Each other organization that holds a value of REPORT_PKS (holder), when it first held
    it (held), and the alert of the report on it."""
    own = reports.alias("own")
    own_mentions = mentions.alias("own_mentions")
    return (
        sa.select(
            own.c.org_id.label("holder"),
            sa.func.min(own.c.created_at).label("held"),
            *_alert_columns(),
        )
        .select_from(mentions)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .join(own_mentions, own_mentions.c.identifier_id == mentions.c.identifier_id)
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(
            reports.c.id.in_(report_pks),
            identifiers.c.valid.is_(True),
            own.c.org_id != reports.c.org_id,
            _not_stopped(),
        )
        .group_by(own.c.org_id, reports.c.id, identifiers.c.id, organizations.c.id)
    )


def _to_new_holders(report_pks: Sequence[int]) -> sa.Select[Any]:
    """The organization of each of REPORT_PKS (holder) for each value it held first through
    them (held: none of its reports created before this write mentions it), and the alert of
    every other organization's report on that value. An updated report was written after it
    was created, so its values were held before and raise nothing here."""
    mine = reports.alias("mine")
    mine_mentions = mentions.alias("mine_mentions")
    before = reports.alias("before")
    before_mentions = mentions.alias("before_mentions")
    held_before = sa.exists().where(
        before_mentions.c.identifier_id == mine_mentions.c.identifier_id,
        before.c.id == before_mentions.c.report_pk,
        before.c.org_id == mine.c.org_id,
        before.c.created_at < mine.c.updated_at,
    )
    return (
        sa.select(
            mine.c.org_id.label("holder"),
            sa.func.min(mine.c.created_at).label("held"),
            *_alert_columns(),
        )
        .select_from(mine)
        .join(mine_mentions, mine_mentions.c.report_pk == mine.c.id)
        .join(mentions, mentions.c.identifier_id == mine_mentions.c.identifier_id)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(
            mine.c.id.in_(report_pks),
            reports.c.org_id != mine.c.org_id,
            identifiers.c.valid.is_(True),
            _not_stopped(),
            ~held_before,
        )
        .group_by(mine.c.org_id, reports.c.id, identifiers.c.id, organizations.c.id)
    )


def _viewers(conn: Connection, org_ids: set[int]) -> dict[int, Viewer]:
    """Each of ORG_IDS as a viewer, with its sharing groups."""
    groups: dict[int, set[int]] = {org_id: set() for org_id in org_ids}
    if org_ids:
        for org_id, group_id in conn.execute(
            sa.select(group_members.c.org_id, group_members.c.group_id).where(
                group_members.c.org_id.in_(sorted(org_ids))
            )
        ):
            groups[int(org_id)].add(int(group_id))
    return {org_id: Viewer(org_id, group_ids=frozenset(g)) for org_id, g in groups.items()}


def alert_document(alerts: Sequence[Alert]) -> bytes:
    """The JSON body of a webhook delivery."""
    return json.dumps(
        {
            "alerts": [
                {
                    "id": a.id,
                    "created_at": a.created_at.isoformat(),
                    "identifier": {"kind": a.kind, "canonical": a.canonical},
                    "report": {
                        "org": a.org,
                        "report_id": a.report_id,
                        "country": a.country,
                        "reported_at": a.reported_at.isoformat(),
                    },
                }
                for a in alerts
            ]
        },
        ensure_ascii=False,
    ).encode()


Deliver = Callable[[str, str, bytes, list[str]], int]


def send_webhooks(store: Store, report_pks: Sequence[int], send: Deliver | None = None) -> int:
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks; returns deliveries
    that succeeded. A refused or failing peer is logged (by origin, never the secret)."""
    send = send or (lambda url, secret, body, peers: deliver(url, secret, body, peers))
    targets = holders_to_alert(store, report_pks)
    if not targets:
        return 0
    peers = [origin for origin, _ in list_allowed_peers(store)]
    done = 0
    for org_id, alerts in targets.items():
        body = alert_document(alerts)
        for url, secret in webhook_secrets(store, org_id):
            try:
                status = send(url, secret, body, peers)
            except BigfishError as exc:
                log.warning("webhook of organization %s not delivered: %s", org_id, exc)
                continue
            done += 1 if 200 <= status < 300 else 0
    return done


class WebhookDispatcher:
    """Delivers webhooks off the request path, on a small pool of threads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bigfish-webhooks")

    def __call__(self, report_pks: Sequence[int]) -> None:
        self._pool.submit(send_webhooks, self.store, list(report_pks))

    def close(self) -> None:
        """Finish queued deliveries."""
        self._pool.shutdown(wait=True)

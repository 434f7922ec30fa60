"""Alerts: another organization reported an identifier the caller holds.

An alert is derived, not stored: it is a (report, identifier) pair where the report belongs to
another organization, the caller may see it (through `bigfish.sharing.policy`), and the caller's
own reports mention the same valid identifier. Deriving it at read time means a removal from a
group, a raised TLP or a deleted report takes effect on the next request. New reports submitted
through the API also go out to the holders' webhooks, signed (`bigfish.webhooks`).

Shared infrastructure raises no alert: a value the linking stopped (a pin, a warning list, the hub
test: `bigfish.linking.hubs`), or one the node's warning lists or an operator's pin name before the
linking has run. Victims mention their bank's hotline in unrelated reports; an alert on it would
go to every organization that holds it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
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
from bigfish.store.schema import group_members, identifiers, mentions, organizations, reports
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
    its own reports mention, created after SINCE, oldest first."""
    if viewer.org_id is None:
        return AlertPage((), None)
    own = reports.alias("own")
    own_mentions = mentions.alias("own_mentions")
    held = (
        sa.select(own_mentions.c.identifier_id)
        .join(own, own.c.id == own_mentions.c.report_pk)
        .where(own.c.org_id == viewer.org_id)
    )
    # Two steps: a lean query finds the page's (report, identifier) pairs in order — no DISTINCT
    # and no detail joins, so the database sorts only three narrow columns — then the details
    # of those few pairs are read by primary key (`_page_pairs`).
    lean = (
        sa.select(reports.c.created_at, reports.c.id, mentions.c.identifier_id)
        .select_from(mentions)
        .join(reports, reports.c.id == mentions.c.report_pk)
        .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
        .where(
            reports.c.org_id != viewer.org_id,
            visible_reports(viewer),
            identifiers.c.valid.is_(True),
            _not_stopped(),
        )
    )
    after: list[ColumnElement[bool]] = []
    if since is not None:
        after.append(reports.c.created_at > _as_utc(since))
    if cursor is not None:
        at, pk, ident_id = _uncursor(cursor)
        lean = lean.where(
            sa.tuple_(reports.c.created_at, reports.c.id, mentions.c.identifier_id)
            > sa.tuple_(_as_utc(at), pk, ident_id)
        )
        after.append(sa.tuple_(reports.c.created_at, reports.c.id) >= sa.tuple_(_as_utc(at), pk))
    lean = lean.where(*after).order_by(reports.c.created_at, reports.c.id, mentions.c.identifier_id)
    with store.connect() as conn:
        pairs = _page_pairs(conn, lean, held, after, limit + 1)
        report_ids = sorted({pk for pk, _ in pairs})
        ident_ids = sorted({ident for _, ident in pairs})
        report_rows = {
            int(r.id): r
            for r in conn.execute(
                sa.select(
                    reports.c.id,
                    reports.c.created_at,
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
        examined = [p for p in pairs[:limit] if p[0] in report_rows and p[1] in ident_rows]
        shared = _infrastructure(
            conn, {i: (str(r.kind), str(r.canonical)) for i, r in ident_rows.items()}
        )
    alerts = [
        Alert(
            id=f"{pk}-{ident}",
            created_at=_utc(report_rows[pk].created_at),
            kind=ident_rows[ident].kind,
            canonical=ident_rows[ident].canonical,
            org=report_rows[pk].name,
            report_id=report_rows[pk].report_id,
            country=report_rows[pk].country,
            reported_at=_utc(report_rows[pk].reported_at),
        )
        for pk, ident in examined
        if ident not in shared
    ]
    following = None
    if len(pairs) > limit and examined:
        # From the last pair read, shown or not: a page may come short of LIMIT when values
        # the linking has not stopped yet are infrastructure, never skip or repeat an alert.
        pk, ident = examined[-1]
        following = _cursor(_utc(report_rows[pk].created_at), pk, ident)
    return AlertPage(tuple(alerts), following)


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


#: Reports read in created_at order, per row of the page's lean query, before giving up on
#: that order and reading every alert of the organization instead (`_page_pairs`).
WINDOW_PER_ROW = 4


def _deduplicated(rows: Sequence[Any]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for row in rows:
        pair = (int(row.id), int(row.identifier_id))
        if not pairs or pairs[-1] != pair:
            pairs.append(pair)
    return pairs


def _page_pairs(
    conn: Connection,
    lean: sa.Select[Any],
    held: sa.Select[Any],
    after: Sequence[ColumnElement[bool]],
    wanted: int,
) -> list[tuple[int, int]]:
    """The first WANTED (report, identifier) pairs of LEAN, in its order.

    Two plans give the same pairs. Where alerts are dense, reading reports oldest first (the
    created_at index) finds a page within a few thousand reports; so a window of the oldest
    reports (after AFTER) is read first. When it does not fill the page, every mention of an
    identifier the organization holds is read and sorted (cost: all of its alerts). A pair
    appears once per source (field, narrative, derived), so three times the page of rows
    always holds a page of pairs."""
    batch = 3 * wanted
    bound = (
        sa.select(reports.c.created_at)
        .where(*after)
        .order_by(reports.c.created_at, reports.c.id)
        .offset(WINDOW_PER_ROW * batch - 1)
        .limit(1)
    )
    window_end = conn.execute(bound).scalar()
    held_here = held.where(held.selected_columns[0] == mentions.c.identifier_id).exists()
    in_order = lean.where(held_here)
    if window_end is not None:
        found = conn.execute(in_order.where(reports.c.created_at <= window_end).limit(batch))
        rows = found.all()
        if len(rows) == batch:
            return _deduplicated(rows)[:wanted]
        query = lean.where(mentions.c.identifier_id.in_(held))
    else:  # fewer reports are left than a window: read them in order
        query = in_order
    pairs: list[tuple[int, int]] = []
    offset = 0
    while len(pairs) < wanted:
        rows = conn.execute(query.limit(batch).offset(offset)).all()
        for pair in _deduplicated(rows):
            if not pairs or pairs[-1] != pair:
                pairs.append(pair)
        if len(rows) < batch:
            break
        offset += batch
    return pairs[:wanted]


def holders_to_alert(store: Store, report_pks: Sequence[int]) -> dict[int, list[Alert]]:
    """For new reports REPORT_PKS: the organizations holding one of their identifiers that may
    see them, with the alerts each gets (for webhooks)."""
    result: dict[int, list[Alert]] = {}
    with store.connect() as conn:
        for start in range(0, len(report_pks), 500):
            chunk = list(report_pks[start : start + 500])
            own = reports.alias("own")
            own_mentions = mentions.alias("own_mentions")
            query = (
                sa.select(
                    own.c.org_id.label("holder"),
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
                )
                .distinct()
                .select_from(mentions)
                .join(reports, reports.c.id == mentions.c.report_pk)
                .join(organizations, organizations.c.id == reports.c.org_id)
                .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
                .join(own_mentions, own_mentions.c.identifier_id == mentions.c.identifier_id)
                .join(own, own.c.id == own_mentions.c.report_pk)
                .where(
                    reports.c.id.in_(chunk),
                    identifiers.c.valid.is_(True),
                    own.c.org_id != reports.c.org_id,
                    _not_stopped(),
                )
            )
            rows = conn.execute(query).all()
            shared = _infrastructure(
                conn, {int(r.identifier_id): (str(r.kind), str(r.canonical)) for r in rows}
            )
            rows = [r for r in rows if int(r.identifier_id) not in shared]
            holders = {int(r.holder) for r in rows}
            groups: dict[int, set[int]] = {h: set() for h in holders}
            if holders:
                for org_id, group_id in conn.execute(
                    sa.select(group_members.c.org_id, group_members.c.group_id).where(
                        group_members.c.org_id.in_(sorted(holders))
                    )
                ):
                    groups[int(org_id)].add(int(group_id))
            for r in rows:
                holder = int(r.holder)
                viewer = Viewer(holder, group_ids=frozenset(groups[holder]))
                item = ItemMarking(
                    int(r.org_id), TLP(r.tlp), Distribution(r.distribution), r.group_id
                )
                if not can_see(viewer, item):
                    continue
                result.setdefault(holder, []).append(
                    Alert(
                        id=f"{r.id}-{r.identifier_id}",
                        created_at=_utc(r.created_at),
                        kind=r.kind,
                        canonical=r.canonical,
                        org=r.name,
                        report_id=r.report_id,
                        country=r.country,
                        reported_at=_utc(r.reported_at),
                    )
                )
    return result


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

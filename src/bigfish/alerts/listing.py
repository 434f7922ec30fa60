"""A page of a viewer's alerts, oldest first, the cursor of the next, and where to poll from."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from bigfish.alerts.infrastructure import infrastructure
from bigfish.alerts.model import Alert, AlertPage, as_utc, utc
from bigfish.alerts.paging import Page, page_pairs
from bigfish.errors import InputError
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import identifiers, organizations, reports
from bigfish.store.stamps import settled_newest

#: Less than any two stored times differ by (they are kept to the microsecond).
_TICK = timedelta(microseconds=1)


def _cursor(at: datetime, pk: int, ident_id: int) -> str:
    raw = json.dumps([at.isoformat(), pk, ident_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Ids are stored as 64-bit integers at most: a cursor's beyond cannot be one the node gave.
_MAX_ID = 2**63 - 1


def _uncursor(cursor: str) -> tuple[datetime, int, int]:
    """CURSOR's position (its time in UTC); an InputError naming the field when it is not one
    the node gives: ids that are not integers of the store's range (a JSON true, 10**30: the
    database failed on them), a time with no UTC form."""
    try:
        at, pk, ident_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        for value in (pk, ident_id):
            if type(value) is not int or not 0 <= value <= _MAX_ID:
                raise ValueError("ids are integers of the store's range")
        return as_utc(datetime.fromisoformat(at)), pk, ident_id
    except (ValueError, TypeError, OverflowError):
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
    its own reports mention, dated after SINCE, oldest first, and where to poll from next.

    An alert is dated when the pair last came to be as it is: the later of the other report's
    updated_at (when it was stored, replaced or re-marked) and the earliest updated_at of the
    viewer's reports that mention the value (when it came to hold it, as its reports now
    are). Every change to a report stamps its updated_at, and stamps only move forward, so an
    alert a change raises (a value added to either report, or a re-marking that shows the
    other report to the viewer) is dated after the change: after every `as_of` served before
    it. The price: an alert is served again, with its id and a later date, whenever either
    report changes (at least once: clients keep what they were served by `id`).

    Writers of two organizations stamp updated_at and commit in either order (PostgreSQL), so
    alerts are served up to a bound read first, the newest updated_at read while no writer
    is in flight (`settled_newest`): every report stored or changed later is stamped after
    it. The page's `as_of` is that bound or, when a next page follows (`next_cursor`), just
    before the next page's first alert (the bound may be one a pause of this process read a
    moment before, `settled_newest`'s REUSE, never one before SINCE or the cursor: `as_of`
    never goes back). Polling with SINCE set to the last page's `as_of` misses no alert, and
    serves none twice that no change dated again (from a page a next page follows, it serves
    again those of the page's alerts dated as the next page's first). Not covered: changes
    that stamp no report (a group membership, the linking's stopped values)."""
    if viewer.org_id is None:
        return AlertPage((), None, None)
    position = None
    if cursor is not None:
        position = _uncursor(cursor)
    after = as_utc(since) if since is not None else None
    with store.connect() as conn:
        # First, before the page reads anything: an alert it serves is no later than BOUND,
        # so its reports are committed and read by every statement after this one. One read a
        # moment ago will do, but none before where the client is (its `as_of` would go back).
        mark = max(filter(None, (after, position[0] if position else None)), default=None)
        newest = sa.select(sa.func.max(reports.c.updated_at))
        bound = settled_newest(conn, newest, reuse=True, not_before=mark)
        if bound is None:  # no report at all
            return AlertPage((), None, None)
        page = Page(viewer, after, position, bound)
        dated = page_pairs(conn, page, limit + 1)
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
        shared = infrastructure(
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
            reported_at=utc(report_rows[pk].reported_at),
        )
        for at, pk, ident in examined
        if ident not in shared
    ]
    following, as_of = None, bound
    if len(dated) > limit:
        # From the last pair read, shown or not: a page may come short of LIMIT when values
        # the linking has not stopped yet are infrastructure, never skip or repeat an alert.
        following = _cursor(*dated[limit - 1])
        as_of = dated[limit][0] - _TICK  # the next page's first alert is the first after it
    return AlertPage(tuple(alerts), following, as_of)

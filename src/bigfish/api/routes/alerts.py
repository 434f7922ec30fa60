"""`GET /api/v1/alerts`: another organization reported an identifier the caller holds."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from bigfish.accounts import Principal
from bigfish.alerts import list_alerts
from bigfish.alerts.model import as_utc
from bigfish.api.deps import Access, requires
from bigfish.api.errors import ApiError
from bigfish.api.schemas import ERRORS, AlertIdentifier, AlertPage, AlertReport, AlertView
from bigfish.api.strict import StrictJsonRoute
from bigfish.errors import InputError
from bigfish.sharing.policy import Viewer, newest_visible_stamp
from bigfish.store import Store

router = APIRouter(tags=["alerts"], responses=ERRORS, route_class=StrictJsonRoute)


@router.get("/alerts", response_model=AlertPage)
def alerts(
    request: Request,
    principal: Annotated[Principal, Depends(requires(Access.READ))],
    since: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertPage:
    """Alerts for the caller's organization, oldest first, dated after `since`.

    An alert's `created_at` is when it came to be as it is: the later of the other
    organization's report (when it was stored or last changed: replaced, re-marked) and the
    caller's holding of the identifier (the earliest such time of its reports that mention
    it). A value the caller reports after another organization did is alerted when the
    caller reports it; a report replaced with a value the caller holds, or re-marked so that
    the caller now sees it, is alerted when it changes. `report.reported_at` stays the time
    the other report gives for the scam; an alert's `id` never changes.

    To poll, follow `next_cursor` while there is one, then poll next with `since` set to the
    last page's `as_of`: every alert not in this answer or earlier pages and dated at or
    before it was served; later alerts are dated after it. Do not poll from the time of the
    last poll: a report whose storing began before it and ended after is dated before it.
    Delivery is at least once: when either report changes, its alerts are dated again and
    served again with the same `id`; keep what you were served by `id`."""
    if since is not None:
        try:
            since = as_utc(since)
        except OverflowError:  # 9999-12-31T23:00-05:00: no time in UTC
            raise ApiError(
                422,
                f"field 'since': {since.isoformat()} is not a time in UTC (years 1 to 9999)",
                details={"field": "since"},
            ) from None
    store: Store = request.app.state.store
    viewer = principal.viewer()
    try:
        page = list_alerts(store, viewer, since=since, cursor=cursor, limit=limit)
    except InputError as exc:
        raise ApiError(400, str(exc), details={"field": exc.field}) from None
    as_of = page.as_of
    if page.next_cursor is None and as_of is not None:
        as_of = _shown_as_of(store, viewer, as_of, since)
    return AlertPage(
        alerts=[
            AlertView(
                id=a.id,
                created_at=a.created_at,
                identifier=AlertIdentifier(kind=a.kind, canonical=a.canonical),
                report=AlertReport(
                    org=a.org, report_id=a.report_id, country=a.country, reported_at=a.reported_at
                ),
            )
            for a in page.alerts
        ],
        next_cursor=page.next_cursor,
        as_of=as_of,
    )


def _shown_as_of(
    store: Store, viewer: Viewer, bound: datetime, since: datetime | None
) -> datetime | None:
    """The `as_of` of a last page: the newest stamp of the reports VIEWER may see up to BOUND
    (the newest stamp of every report, which `list_alerts` serves alerts up to). Every alert is
    dated by a report the viewer may see, so none is dated after it and by BOUND: polling from
    it serves what polling from BOUND would, while BOUND dated the last change of a report the
    viewer may not see (and told that there is one). Like BOUND, it may be earlier than a
    `since` later than every report, so that nothing stored between them is skipped. SINCE only
    makes it cheaper to find (`newest_visible_stamp`)."""
    floor = None if since is None else as_utc(since)
    with store.connect() as conn:
        return newest_visible_stamp(conn, viewer, bound, floor=floor)

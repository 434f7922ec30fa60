"""Alert pages at an edge test_alert_index.py's seed never reaches: a window of the page that
holds exactly the page's alerts (`paging._merged` with as many alerts up to the window's end as
the page wants), and the fallback reading alerts mentioned by all three sources.

The window's alerts either are all dated by the viewer's holding (the page ends at the last of
them, and no row of the walk comes before it) or end with alerts dated by a holding after the
walk's last row. A window that holds a page serves it: it does not go on to the next window
(four times as long) and, after the last, to reading every alert of the organization.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, paging
from bigfish.store import Store
from bigfish.store.schema import mentions, reports
from tests.alerts.conftest import AlertsData, expected_alerts, paged_ids

ORGS = ["viewer", "bank"]
PHONES = [f"+669{i:08d}" for i in range(40)]
#: Phones the viewer never reports: the bank's reports of them alert no one, but fill windows.
UNHELD = PHONES[20:]
#: More reports than the first window of a page of 2 (4 per row of 3 x 3 rows) after the
#: viewer's first: the window ends at a report, not at the end of the store.
FILLERS = 40


def _fill(data: AlertsData) -> None:
    for i in range(FILLERS):
        data.report("bank", [UNHELD[i % len(UNHELD)]])


def _held_only(data: AlertsData) -> None:
    """The bank reports six phones, then the viewer each of them, a minute apart: six alerts
    dated by its holding, and no alert dated by the bank's report before them."""
    for phone in PHONES[:6]:
        data.report("bank", [phone])
    for phone in PHONES[:6]:
        data.report("viewer", [phone])
    _fill(data)


def _row_then_held(data: AlertsData) -> None:
    """An alert dated by the bank's report (the viewer held the phone first), then two dated by
    the viewer's later holding: three in all, the walk's one row before the two."""
    data.report("viewer", [PHONES[0]])
    data.report("bank", [PHONES[0]])
    data.report("bank", [PHONES[1]])
    data.report("bank", [PHONES[2]])
    data.report("viewer", PHONES[1:3])
    _fill(data)


def _seed(store: Store, scenario: Callable[[AlertsData], None]) -> None:
    with store.begin() as conn:
        scenario(AlertsData(conn, ORGS, PHONES, random.Random(7)))


@pytest.mark.parametrize("scenario", [_held_only, _row_then_held])
def test_a_window_holding_exactly_the_pages_alerts_serves_them(
    store: Store, monkeypatch: pytest.MonkeyPatch, scenario: Callable[[AlertsData], None]
) -> None:
    _seed(store, scenario)
    viewer = viewer_as(store, "viewer")
    expected = expected_alerts(store, viewer)
    limit = 2
    wanted = limit + 1  # a page reads one alert more than it shows (the next page's first)
    assert len(expected) >= wanted
    merged = paging._merged
    # (how many of the viewer's alerts are dated by the window's end, what `_merged` answered)
    calls: list[tuple[int, list[Any] | None]] = []

    def spy(rows: Any, held: Any, end: datetime | None, wanted_: int) -> list[Any] | None:
        assert wanted_ == wanted
        answer = merged(rows, held, end, wanted_)
        calls.append((sum(1 for at, _, _ in expected if end is None or at <= end), answer))
        return answer

    monkeypatch.setattr(paging, "_merged", spy)
    first = list_alerts(store, viewer, limit=limit)
    monkeypatch.undo()
    assert [a.id for a in first.alerts] == [i for _, i, _ in expected[:limit]]
    # The edge is reached: a window with exactly a page of alerts by its end.
    assert calls and calls[0][0] == wanted, calls
    # `_merged` answers None only when the alerts up to the window's end are fewer than a
    # page: a window that holds a page serves it, the walk reads no further.
    assert [(count, answer is None) for count, answer in calls] == [
        (count, count < wanted) for count, _ in calls
    ]
    ids = [i for _, i, _ in expected]
    for limit in (1, 2, 1000):
        assert paged_ids(store, viewer, limit) == ids, limit


def test_alerts_mentioned_by_every_source_fill_the_fallbacks_batch_exactly(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pair mentioned three times (field, narrative, derived), so the fallback's batch
    (three rows a pair of the page) is exactly full and holds exactly a page, in order and
    once each."""
    monkeypatch.setattr(paging, "WINDOWS", 0)  # the fallback alone
    with store.begin() as conn:
        data = AlertsData(conn, ORGS, PHONES, random.Random(7))
        data.report("viewer", PHONES[:8])
        for phone in PHONES[:8]:
            data.report("bank", [phone])
        pks = conn.execute(sa.select(reports.c.id)).scalars().all()
        present = set(
            conn.execute(
                sa.select(mentions.c.report_pk, mentions.c.identifier_id, mentions.c.source)
            ).all()
        )
        conn.execute(
            mentions.insert(),
            [
                {"report_pk": pk, "identifier_id": i, "source": source, "raw": "x"}
                for pk in pks
                for i in conn.execute(
                    sa.select(mentions.c.identifier_id).where(
                        mentions.c.report_pk == pk, mentions.c.source == "field"
                    )
                ).scalars()
                for source in ("narrative", "derived")
                if (pk, i, source) not in present
            ],
        )
    viewer = viewer_as(store, "viewer")
    expected = [i for _, i, _ in expected_alerts(store, viewer)]
    assert len(expected) == 8
    for limit in (1, 2, 1000):
        assert paged_ids(store, viewer, limit) == expected, limit

"""Alerts of an organization whose reports are one run of updated_at, as `bigfish ingest` stores
a file: the largest one reported before the others, or after one of them.

A window of its pages that holds its many reports and a few of the others' checks that it held
each value per mention of the others' reports (from the value's mentions), not through the table
of its first holdings (a pass over all its reports); the alerts are the same either way.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, paging
from bigfish.store import Store
from tests.alerts.conftest import (
    INDEX,
    START,
    AlertsData,
    expected_alerts,
    paged_ids,
    plans,
    statements,
)

#: The viewer's run of reports.
OWN = 280
#: Each other organization's run after the viewer's.
AFTER = 40
#: The viewer's run where every alert is paged through: half of OWN takes each plan down every
#: path OWN takes (the same lines of paging.py and listing.py run, traced), and halves the
#: bank's alerts (one for each of the viewer's reports of a value it holds) and their pages.
PAGED_OWN = 140


def _seed(store: Store, before: int, own: int = OWN) -> None:
    """BEFORE reports of "police", then OWN of "viewer", then AFTER of "bank" and AFTER of
    "telco", one minute apart, each organization's one run. The viewer's mention one to three
    of 40 phones; the others' two of them, or a phone only they report (some twice: field and
    narrative)."""
    rng = random.Random(5)
    runs = [("police", before), ("viewer", own), ("bank", AFTER), ("telco", AFTER)]
    phones = [f"+668{i:08d}" for i in range(60)]
    held = phones[:40]
    with store.begin() as conn:
        data = AlertsData(conn, [name for name, _ in runs], phones, rng)
        for org, count in runs:
            for _ in range(count):
                values = (
                    rng.sample(held, rng.randint(1, 3))
                    if org == "viewer"
                    else [*rng.sample(held, 2), rng.choice(phones[40:])]
                )
                data.report(org, values)


@pytest.mark.parametrize(
    ("ratio", "before", "window", "windows"),
    [
        (0, 0, 4, 4),
        (10**9, 0, 4, 4),
        (0, 30, 1, 1),
        (10**9, 30, 1, 1),
        (paging.PER_MENTION_RATIO, 30, 1, 0),
    ],
)
def test_an_organization_reporting_in_one_run_pages_through_every_alert_once_in_order(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    ratio: int,
    before: int,
    window: int,
    windows: int,
) -> None:
    """RATIO 0: every window checks per mention; 10**9: none does."""
    _seed(store, before, PAGED_OWN)
    monkeypatch.setattr(paging, "PER_MENTION_RATIO", ratio)
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", window)
    monkeypatch.setattr(paging, "WINDOWS", windows)
    for name in ("viewer", "bank"):
        viewer = viewer_as(store, name)
        expected = expected_alerts(store, viewer)
        ids = [i for _, i, _ in expected]
        assert len(ids) > 100, name
        if before and name == "viewer":  # police's reports are older than its holdings
            assert 10 < len([i for _, i, later in expected if later]) < len(ids) - 10
        for limit in (7, 1000):
            assert paged_ids(store, viewer, limit) == ids, (name, limit)
        for at, _, _ in expected[:: len(expected) // 5]:
            since = at - timedelta(seconds=30)  # between two reports' dates
            polled = list_alerts(store, viewer, since=since, limit=10).alerts
            assert [a.id for a in polled] == [i for d, i, _ in expected if d > since][:10]


def test_a_window_of_its_run_and_a_few_others_reports_checks_per_mention(
    sqlite_store: Store,
) -> None:
    """The first page (its run, then eight of the bank's reports in the second window) and a
    poll since its last report: the lean query checks the holding per mention, from the value's
    mentions (never its reports through the (org_id, updated_at) index, per mention), and does
    not build the table of its first holdings from all its reports. On 100,000 synthetic reports
    (benchmarks/bench_alerts.py) the table cost th-aoc's first page 148-186 ms CPU for 69 of
    another's reports after its 19,131 (67-69 per mention)."""
    store = sqlite_store
    _seed(store, before=0)
    viewer = viewer_as(store, "viewer")
    last_own = START + timedelta(minutes=OWN - 1)
    first_page = list_alerts(store, viewer, limit=5)
    assert [a.org for a in first_page.alerts] == ["bank"] * 5
    found = [
        step
        for call in (
            lambda: list_alerts(store, viewer, limit=5),
            lambda: list_alerts(store, viewer, since=last_own, limit=3),
        )
        for step in plans(store, statements(store, call))
    ]
    assert not [(s, p) for s, p in found if p == "MATERIALIZE first_held" and INDEX in s], found
    correlated = [s for s, p in found if p.startswith("CORRELATED")]
    assert any("ix_mentions_identifier_id_report_pk" in s for s in correlated), found
    assert not [s for s in correlated if INDEX in s], found

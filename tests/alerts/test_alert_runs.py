"""Alerts of an organization whose reports are one run of created_at, as `bigfish ingest` stores
a file: the largest one reported before the others, or after one of them.

A window of its pages that holds its many reports and a few of the others' checks that it held
each value per mention of the others' reports (from the value's mentions), not through the table
of its first holdings (a pass over all its reports); the alerts are the same either way.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, paging
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from tests.alerts.test_alert_index import INDEX, _expected, _paged, _plans, _statements

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
#: The viewer's run of reports.
OWN = 280
#: Each other organization's run after the viewer's.
AFTER = 40


def _seed(store: Store, before: int) -> None:
    """BEFORE reports of "police", then OWN of "viewer", then AFTER of "bank" and AFTER of
    "telco", one minute apart, each organization's one run. The viewer's mention one to three
    of 40 phones; the others' two of them, or a phone only they report (some twice: field and
    narrative)."""
    rng = random.Random(5)
    runs = [("police", before), ("viewer", OWN), ("bank", AFTER), ("telco", AFTER)]
    with store.begin() as conn:
        for name, _ in runs:
            conn.execute(organizations.insert().values(name=name, created_at=START))
        org_ids = dict(conn.execute(sa.select(organizations.c.name, organizations.c.id)).all())
        phones = [f"+668{i:08d}" for i in range(60)]
        for phone in phones:
            conn.execute(identifiers.insert().values(kind="phone", canonical=phone, valid=True))
        ident = dict(conn.execute(sa.select(identifiers.c.canonical, identifiers.c.id)).all())
        n = 0
        for org, count in runs:
            for _ in range(count):
                at = START + timedelta(minutes=n)
                pk = conn.execute(
                    reports.insert().values(
                        org_id=org_ids[org],
                        report_id=f"{org}-{n}",
                        reported_at=at - timedelta(days=1),
                        country="TH",
                        tlp="green",
                        distribution="partnership",
                        created_at=at,
                        updated_at=at,
                    )
                ).inserted_primary_key[0]
                n += 1
                held = phones[:40]
                values = (
                    rng.sample(held, rng.randint(1, 3))
                    if org == "viewer"
                    else [*rng.sample(held, 2), rng.choice(phones[40:])]
                )
                for value in sorted(set(values)):
                    sources = ["field", "narrative"] if rng.random() < 0.3 else ["field"]
                    for source in sources:
                        conn.execute(
                            mentions.insert().values(
                                report_pk=pk, identifier_id=ident[value], source=source, raw=value
                            )
                        )


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
    _seed(store, before)
    monkeypatch.setattr(paging, "PER_MENTION_RATIO", ratio)
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", window)
    monkeypatch.setattr(paging, "WINDOWS", windows)
    for name in ("viewer", "bank"):
        viewer = viewer_as(store, name)
        expected = _expected(store, viewer)
        ids = [i for _, i, _ in expected]
        assert len(ids) > 100, name
        if before and name == "viewer":  # police's reports are older than its holdings
            assert 10 < len([i for _, i, later in expected if later]) < len(ids) - 10
        for limit in (7, 1000):
            assert _paged(store, viewer, limit) == ids, (name, limit)
        for at, _, _ in expected[:: len(expected) // 5]:
            since = at - timedelta(seconds=30)  # between two reports' dates
            polled = list_alerts(store, viewer, since=since, limit=10).alerts
            assert [a.id for a in polled] == [i for d, i, _ in expected if d > since][:10]


def test_a_window_of_its_run_and_a_few_others_reports_checks_per_mention(
    sqlite_store: Store,
) -> None:
    """The first page (its run, then eight of the bank's reports in the second window) and a
    poll since its last report: the lean query checks the holding per mention, from the value's
    mentions (never its reports through the (org_id, created_at) index, per mention), and does
    not build the table of its first holdings from all its reports. On 100,000 synthetic reports
    (benchmarks/bench_alerts.py) the table cost th-aoc's first page 148-186 ms CPU for 69 of
    another's reports after its 19,131 (67-69 per mention)."""
    store = sqlite_store
    _seed(store, before=0)
    viewer = viewer_as(store, "viewer")
    last_own = START + timedelta(minutes=OWN - 1)
    first_page = list_alerts(store, viewer, limit=5)
    assert [a.org for a in first_page.alerts] == ["bank"] * 5
    plans = [
        step
        for call in (
            lambda: list_alerts(store, viewer, limit=5),
            lambda: list_alerts(store, viewer, since=last_own, limit=3),
        )
        for step in _plans(store, _statements(store, call))
    ]
    assert not [(s, p) for s, p in plans if p == "MATERIALIZE first_held" and INDEX in s], plans
    correlated = [s for s, p in plans if p.startswith("CORRELATED")]
    assert any("ix_mentions_identifier_id_report_pk" in s for s in correlated), plans
    assert not [s for s in correlated if INDEX in s], plans

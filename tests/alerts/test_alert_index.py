"""The index on reports (org_id, updated_at, id) and the alert pages that read through it.

An organization whose reports sit among everyone else's (a node that receives reports as they
are made, not one organization's file after another) pages through every alert once, in order,
under every reading plan; its own reports are read through the index, and no plan walks its
earlier reports once per mention of another's. Migration 0016 adds it and (updated_at, id) in
place of (org_id, created_at, id) and (created_at, id), and takes them away again.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, paging
from bigfish.store import Store, metadata
from bigfish.store.schema import reports
from bigfish.store.schema_linking import stopped_values
from tests.alerts.conftest import (
    INDEX,
    START,
    AlertsData,
    expected_alerts,
    paged_ids,
    plans,
    statements,
)
from tests.store.test_migrations import run_migration

#: The index everyone's reports are walked through, oldest first.
WALK_INDEX = "ix_reports_updated_at_id"
#: The indexes of 0002 and 0015, which 0016 replaces with those two.
CREATED_INDEXES = {"ix_reports_created_at_id", "ix_reports_org_id_created_at_id"}
ORGS = ["viewer", "bank", "police", "telco"]


def _seed(store: Store, count: int = 240, seed: int = 3) -> None:
    """COUNT reports from ORGS one minute apart, the organization of each drawn at random, so
    every organization's reports sit among the others'. Each mentions one to three of 40
    phones (a few of them hot), some twice (field and narrative); some are hidden from the
    others (red, or the organization's own); one phone is stopped by the linking and one
    value is invalid."""
    rng = random.Random(seed)
    phones = [f"+668{i:08d}" for i in range(40)]
    with store.begin() as conn:
        data = AlertsData(conn, ORGS, phones, rng)
        data.invalid("12")
        conn.execute(
            stopped_values.insert().values(
                identifier_id=data.ident[phones[1]],
                reason="hub_degree",
                detail="test",
                report_count=9,
            )
        )
        hot = phones[:3]
        for _ in range(count):
            org = rng.choice(ORGS)
            tlp, distribution = rng.choice(
                [("green", "partnership")] * 6 + [("red", "partnership"), ("amber", "organization")]
            )
            values = set(rng.sample(phones, rng.randint(1, 3)))
            values |= {rng.choice(hot)} if rng.random() < 0.4 else set()
            values |= {"12"} if rng.random() < 0.05 else set()
            data.report(org, values, tlp, distribution)


# COUNT: 120 reports take three of these plans down every path 240 take (the same lines of
# paging.py and listing.py run, traced) at 40-50% of the price; windows of 2 and 3 reports a
# row read through the table of the viewer's first holdings only among 240.
@pytest.mark.parametrize(
    ("window", "windows", "own_part", "count"),
    [(1, 1, 1, 120), (2, 3, 2, 240), (4, 4, 500, 120), (1, 0, 7, 120)],
)
def test_an_organization_among_others_pages_through_every_alert_once_in_order(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    window: int,
    windows: int,
    own_part: int,
    count: int,
) -> None:
    _seed(store, count)
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", window)
    monkeypatch.setattr(paging, "WINDOWS", windows)
    monkeypatch.setattr(paging, "OWN_PART", own_part)
    for name in ("viewer", "telco"):
        viewer = viewer_as(store, name)
        expected = expected_alerts(store, viewer)
        ids = [i for _, i, _ in expected]
        # Alerts dated by the other report and by the viewer's later holding, both.
        by_holding = [i for _, i, later in expected if later]
        assert len(ids) > 60 and 10 < len(by_holding) < len(ids) - 10, name
        # Pages of 3 (40 to 90) and one page of all. Pages of 11 as well caught no bug planted
        # in the paging that pages of 3 missed, under any of these plans.
        for limit in (3, 1000):
            assert paged_ids(store, viewer, limit) == ids, (name, limit)
        for at, _, _ in expected[:: len(expected) // 5]:
            since = at - timedelta(seconds=30)  # between two reports' dates
            polled = list_alerts(store, viewer, since=since, limit=10).alerts
            assert [a.id for a in polled] == [i for d, i, _ in expected if d > since][:10]


def test_pages_read_the_viewers_reports_through_the_index_never_per_mention(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite keeps no statistics: with the index, a correlated look-up of whether the viewer
    held a value then walked its earlier reports for every mention of another's (50 times
    slower on 20,000 synthetic reports) where the value's mentions are few."""
    store = sqlite_store
    _seed(store)
    viewer = viewer_as(store, "viewer")
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", 1)  # every reading plan of a page, in turn
    monkeypatch.setattr(paging, "WINDOWS", 2)
    cursor = list_alerts(store, viewer, limit=40).next_cursor
    assert cursor is not None
    found = [
        line
        for call in (
            lambda: list_alerts(store, viewer, limit=20),
            lambda: list_alerts(store, viewer, cursor=cursor, limit=20),
            lambda: list_alerts(store, viewer, since=START + timedelta(minutes=200), limit=20),
        )
        for line in plans(store, statements(store, call))
    ]
    through = [(step, part) for step, part in found if INDEX in step]
    assert any("(org_id=? AND updated_at>?" in step for step, _ in through), found
    # Once per query (a materialized table of the viewer's holdings), never per row of a
    # correlated subquery.
    assert not [(s, p) for s, p in through if p.startswith("CORRELATED")], through
    assert any(p == "MATERIALIZE first_held" for _, p in through), through
    assert not [step for step, _ in found if step.startswith("SCAN reports")], found


def test_0016_reports_org_updated_at_downgrades_and_upgrades_again(store: Store) -> None:
    _seed(store, count=20)

    def indexes() -> set[str]:
        return {str(i["name"]) for i in sa.inspect(store.engine).get_indexes("reports")}

    assert {INDEX, WALK_INDEX} <= indexes() and not CREATED_INDEXES & indexes()
    run_migration(store, "downgrade", "0015")
    assert not {INDEX, WALK_INDEX} & indexes() and CREATED_INDEXES <= indexes()
    run_migration(store, "downgrade", "0014")
    assert "ix_reports_org_id_created_at_id" not in indexes()
    assert "ix_reports_created_at_id" in indexes()
    run_migration(store, "upgrade", "head")
    assert {INDEX, WALK_INDEX} <= indexes() and not CREATED_INDEXES & indexes()
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() == 20

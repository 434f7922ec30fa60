"""The index on reports (org_id, created_at, id) and the alert pages that read through it.

An organization whose reports sit among everyone else's (a node that receives reports as they
are made, not one organization's file after another) pages through every alert once, in order,
under every reading plan; its own reports are read through the index, and no plan walks its
earlier reports once per mention of another's. Migration 0015 adds the index and takes it away.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.accounts import viewer_as
from bigfish.alerts import list_alerts, paging
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store, metadata
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_linking import stopped_values
from tests.store.test_migrations import run_migration

INDEX = "ix_reports_org_id_created_at_id"
START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ORGS = ["viewer", "bank", "police", "telco"]


def _seed(store: Store, count: int = 240, seed: int = 3) -> None:
    """COUNT reports from ORGS one minute apart, the organization of each drawn at random, so
    every organization's reports sit among the others'. Each mentions one to three of 40
    phones (a few of them hot), some twice (field and narrative); some are hidden from the
    others (red, or the organization's own); one phone is stopped by the linking and one
    value is invalid."""
    rng = random.Random(seed)
    with store.begin() as conn:
        for name in ORGS:
            conn.execute(organizations.insert().values(name=name, created_at=START))
        org_ids = dict(conn.execute(sa.select(organizations.c.name, organizations.c.id)).all())
        phones = [f"+668{i:08d}" for i in range(40)]
        for phone in phones:
            conn.execute(identifiers.insert().values(kind="phone", canonical=phone, valid=True))
        conn.execute(identifiers.insert().values(kind="phone", canonical="12", valid=False))
        ident = dict(conn.execute(sa.select(identifiers.c.canonical, identifiers.c.id)).all())
        conn.execute(
            stopped_values.insert().values(
                identifier_id=ident[phones[1]], reason="hub_degree", detail="test", report_count=9
            )
        )
        hot = phones[:3]
        for n in range(count):
            org = rng.choice(ORGS)
            tlp, distribution = rng.choice(
                [("green", "partnership")] * 6 + [("red", "partnership"), ("amber", "organization")]
            )
            at = START + timedelta(minutes=n)
            pk = conn.execute(
                reports.insert().values(
                    org_id=org_ids[org],
                    report_id=f"{org}-{n}",
                    reported_at=at - timedelta(days=1),
                    country="TH",
                    tlp=tlp,
                    distribution=distribution,
                    created_at=at,
                    updated_at=at,
                )
            ).inserted_primary_key[0]
            values = set(rng.sample(phones, rng.randint(1, 3)))
            values |= {rng.choice(hot)} if rng.random() < 0.4 else set()
            values |= {"12"} if rng.random() < 0.05 else set()
            for value in sorted(values):
                sources = ["field", "narrative"] if rng.random() < 0.3 else ["field"]
                for source in sources:
                    conn.execute(
                        mentions.insert().values(
                            report_pk=pk, identifier_id=ident[value], source=source, raw=value
                        )
                    )


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _expected(store: Store, viewer: Viewer) -> list[tuple[datetime, str, bool]]:
    """Every alert of VIEWER by brute force: (its date, its id, whether dated by the viewer's
    holding), oldest first."""
    assert viewer.org_id is not None
    with store.connect() as conn:
        held: dict[int, datetime] = {}
        for i, at in conn.execute(
            sa.select(mentions.c.identifier_id, reports.c.created_at)
            .join(reports, reports.c.id == mentions.c.report_pk)
            .where(reports.c.org_id == viewer.org_id)
        ):
            held[int(i)] = min(held.get(int(i), _utc(at)), _utc(at))
        stopped = {
            int(i) for i in conn.execute(sa.select(stopped_values.c.identifier_id)).scalars()
        }
        rows = conn.execute(
            sa.select(reports.c.created_at, reports.c.id, mentions.c.identifier_id)
            .join(mentions, mentions.c.report_pk == reports.c.id)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .where(
                reports.c.org_id != viewer.org_id,
                visible_reports(viewer),
                identifiers.c.valid.is_(True),
            )
        ).all()
    found = {
        (max(_utc(at), held[int(i)]), int(pk), int(i), held[int(i)] > _utc(at))
        for at, pk, i in rows
        if int(i) in held and int(i) not in stopped
    }
    return [(at, f"{pk}-{i}", by_holding) for at, pk, i, by_holding in sorted(found)]


def _paged(store: Store, viewer: Viewer, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        page = list_alerts(store, viewer, cursor=cursor, limit=limit)
        seen += [a.id for a in page.alerts]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the pages never end")


@pytest.mark.parametrize(
    ("window", "windows", "own_part"), [(1, 1, 1), (2, 3, 2), (4, 4, 500), (1, 0, 7)]
)
def test_an_organization_among_others_pages_through_every_alert_once_in_order(
    store: Store, monkeypatch: pytest.MonkeyPatch, window: int, windows: int, own_part: int
) -> None:
    _seed(store)
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", window)
    monkeypatch.setattr(paging, "WINDOWS", windows)
    monkeypatch.setattr(paging, "OWN_PART", own_part)
    for name in ("viewer", "telco"):
        viewer = viewer_as(store, name)
        expected = _expected(store, viewer)
        ids = [i for _, i, _ in expected]
        # Alerts dated by the other report and by the viewer's later holding, both.
        by_holding = [i for _, i, later in expected if later]
        assert len(ids) > 60 and 10 < len(by_holding) < len(ids) - 10, name
        for limit in (3, 11, 1000):
            assert _paged(store, viewer, limit) == ids, (name, limit)
        for at, _, _ in expected[:: len(expected) // 5]:
            since = at - timedelta(seconds=30)  # between two reports' dates
            polled = list_alerts(store, viewer, since=since, limit=10).alerts
            assert [a.id for a in polled] == [i for d, i, _ in expected if d > since][:10]


def _statements(store: Store, call: Any) -> list[tuple[str, Any]]:
    ran: list[tuple[str, Any]] = []

    def record(conn: Any, cur: Any, statement: str, params: Any, *rest: Any) -> None:
        ran.append((statement, params))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return ran


def _plans(store: Store, ran: list[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    """Each step of each plan of RAN, with the step it is part of ("" at the top)."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in ran:
            rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            steps = {int(row[0]): str(row[3]) for row in rows}
            for row in rows:
                yield str(row[3]), steps.get(int(row[1]), "")


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
    plans = [
        line
        for call in (
            lambda: list_alerts(store, viewer, limit=20),
            lambda: list_alerts(store, viewer, cursor=cursor, limit=20),
            lambda: list_alerts(store, viewer, since=START + timedelta(minutes=200), limit=20),
        )
        for line in _plans(store, _statements(store, call))
    ]
    through = [(step, part) for step, part in plans if INDEX in step]
    assert any("(org_id=? AND created_at>?" in step for step, _ in through), plans
    # Once per query (a materialized table of the viewer's holdings), never per row of a
    # correlated subquery.
    assert not [(s, p) for s, p in through if p.startswith("CORRELATED")], through
    assert any(p == "MATERIALIZE first_held" for _, p in through), through
    assert not [step for step, _ in plans if step.startswith("SCAN reports")], plans


def test_0015_reports_org_created_at_downgrades_and_upgrades_again(store: Store) -> None:
    _seed(store, count=20)

    def indexes() -> set[str]:
        return {str(i["name"]) for i in sa.inspect(store.engine).get_indexes("reports")}

    assert INDEX in indexes()
    run_migration(store, "downgrade", "0014")
    assert INDEX not in indexes()
    assert "ix_reports_created_at_id" in indexes()
    run_migration(store, "upgrade", "head")
    assert INDEX in indexes()
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() == 20

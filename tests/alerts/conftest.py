"""Alerts data written straight into a store (organizations, phones, reports one minute apart and
their mentions), every alert of a viewer by brute force, and the plans SQLite chose for a call:
what test_alert_index.py and test_alert_runs.py share."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.alerts import list_alerts
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_linking import stopped_values

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
#: The index an alert page reads the viewer's reports of a time span through.
INDEX = "ix_reports_org_id_updated_at_id"
#: Every report's created_at: before all of them were stamped, as though each had been replaced
#: since. Alerts are dated by updated_at alone, so a page that read created_at would be out of
#: order.
CREATED = START - timedelta(days=30)


class AlertsData:
    """ORGS and the phones VALUES (valid) on CONN; reports are added one minute apart from
    START, their mentions drawn with RNG."""

    def __init__(
        self, conn: Connection, orgs: Iterable[str], values: Iterable[str], rng: random.Random
    ) -> None:
        self.conn, self.rng, self.count = conn, rng, 0
        for name in orgs:
            conn.execute(organizations.insert().values(name=name, created_at=START))
        self.org_ids = dict(conn.execute(sa.select(organizations.c.name, organizations.c.id)).all())
        for value in values:
            conn.execute(identifiers.insert().values(kind="phone", canonical=value, valid=True))
        self.ident = dict(conn.execute(sa.select(identifiers.c.canonical, identifiers.c.id)).all())

    def invalid(self, value: str) -> None:
        """VALUE as a phone that is not valid."""
        self.conn.execute(identifiers.insert().values(kind="phone", canonical=value, valid=False))
        self.ident[value] = self.conn.execute(
            sa.select(identifiers.c.id).where(identifiers.c.canonical == value)
        ).scalar_one()

    def report(
        self, org: str, values: Iterable[str], tlp: str = "green", distribution: str = "partnership"
    ) -> None:
        """ORG's next report, stamped a minute after the one before, mentioning VALUES (some of
        them twice: field and narrative)."""
        at = START + timedelta(minutes=self.count)
        pk = self.conn.execute(
            reports.insert().values(
                org_id=self.org_ids[org],
                report_id=f"{org}-{self.count}",
                reported_at=at - timedelta(days=1),
                country="TH",
                tlp=tlp,
                distribution=distribution,
                created_at=CREATED,
                updated_at=at,
            )
        ).inserted_primary_key[0]
        self.count += 1
        for value in sorted(set(values)):
            sources = ["field", "narrative"] if self.rng.random() < 0.3 else ["field"]
            for source in sources:
                self.conn.execute(
                    mentions.insert().values(
                        report_pk=pk, identifier_id=self.ident[value], source=source, raw=value
                    )
                )


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def expected_alerts(store: Store, viewer: Viewer) -> list[tuple[datetime, str, bool]]:
    """Every alert of VIEWER by brute force: (its date, its id, whether dated by the viewer's
    holding), oldest first. Dated by the later of the other report's updated_at and the
    earliest updated_at of the viewer's reports of the value."""
    assert viewer.org_id is not None
    with store.connect() as conn:
        held: dict[int, datetime] = {}
        for i, at in conn.execute(
            sa.select(mentions.c.identifier_id, reports.c.updated_at)
            .join(reports, reports.c.id == mentions.c.report_pk)
            .where(reports.c.org_id == viewer.org_id)
        ):
            held[int(i)] = min(held.get(int(i), _utc(at)), _utc(at))
        stopped = {
            int(i) for i in conn.execute(sa.select(stopped_values.c.identifier_id)).scalars()
        }
        rows = conn.execute(
            sa.select(reports.c.updated_at, reports.c.id, mentions.c.identifier_id)
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


def paged_ids(store: Store, viewer: Viewer, limit: int) -> list[str]:
    """Every alert id of VIEWER, following the cursors, LIMIT a page."""
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        page = list_alerts(store, viewer, cursor=cursor, limit=limit)
        seen += [a.id for a in page.alerts]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("the pages never end")


def statements(store: Store, call: Any) -> list[tuple[str, Any]]:
    """Every statement CALL ran on STORE, with its parameters."""
    ran: list[tuple[str, Any]] = []

    def record(conn: Any, cur: Any, statement: str, params: Any, *rest: Any) -> None:
        ran.append((statement, params))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return ran


def plans(store: Store, ran: list[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    """Each step of each SQLite plan of RAN, with the step it is part of ("" at the top)."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement, params in ran:
            rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            steps = {int(row[0]): str(row[3]) for row in rows}
            for row in rows:
                yield str(row[3]), steps.get(int(row[1]), "")

"""Writers of reports insert new identifiers in one order, that of (kind, canonical), whatever
their batch's: a value two transactions insert makes the second wait for the first, so two
organizations' batches naming the same new values in opposite orders each waited for the other
(a deadlock on PostgreSQL, which undid one of them after deadlock_timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.fx import reference_rates
from bigfish.intake.prepare import prepare_mentions
from bigfish.intake.records import build_report
from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import identifiers, ingest_runs, mentions, reports
from bigfish.store.writes import IdentifierIds, Pending, write_batch

# Given last to first: the batch's order is the reverse of (kind, canonical)'s.
VALUES = [
    {"urls": "https://b-scam.example/pay"},
    {"phones": "+66812345679"},
    {"phones": "+66812345678"},
    {"emails": "victim-help@a-scam.example"},  # each with its domain, an identifier of its own
    {"bank_accounts": "TH:KBANK:1234567890"},
]


def pending(report_id: str, **values: str) -> Pending:
    """REPORT_ID, a report in Thailand naming VALUES (intake columns: phones=…, emails=…), ready
    for `write_batch`."""
    fields = {"report_id": report_id, "reported_at": "2025-11-02T10:00:00Z", "country": "TH"}
    report = build_report(fields | values, marking=Marking())
    return Pending(report, prepare_mentions(report), "test", 1)


def write_reports(
    conn: Connection, org_id: int, batch: Sequence[Pending], ids: IdentifierIds | None = None
) -> None:
    """Write BATCH as ORG_ID's in CONN's transaction, in an ingest run of its own, resolving
    identifiers through IDS (a writer's learned ids; none learned when None)."""
    run_id = conn.execute(
        ingest_runs.insert()
        .values(org_id=org_id, source="test", started_at=datetime.now(UTC))
        .returning(ingest_runs.c.id)
    ).scalar_one()
    write_batch(
        conn,
        org_id=org_id,
        run_id=run_id,
        batch=batch,
        ids=IdentifierIds() if ids is None else ids,
        rates=reference_rates(),
    )


@contextmanager
def inserted_identifiers(store: Store) -> Iterator[list[tuple[str, str]]]:
    """The (kind, canonical) of each row the store is sent to insert into identifiers, in the
    order it is sent."""
    sent: list[tuple[str, str]] = []

    def seen(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.startswith("INSERT INTO identifiers "):
            rows = parameters if many else [parameters]
            sent.extend((str(row[0]), str(row[1])) for row in rows)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)


def mentioned(store: Store) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """The (kind, canonical) each report (organization, report_id) mentions."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(
                reports.c.org_id, reports.c.report_id, identifiers.c.kind, identifiers.c.canonical
            )
            .join(mentions, mentions.c.report_pk == reports.c.id)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .order_by(reports.c.org_id, reports.c.report_id, identifiers.c.kind)
            .order_by(identifiers.c.canonical)
        ).all()
    out: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for org_id, report_id, kind, canonical in rows:
        out.setdefault((int(org_id), report_id), []).append((kind, canonical))
    return out


def test_new_identifiers_are_inserted_in_the_order_of_their_key(store: Store) -> None:
    org_id = add_org(store, "TH-AOC", country="TH").id
    batch = [pending(f"R-{n}", **values) for n, values in enumerate(VALUES)]
    wanted = [(str(m.kind), m.canonical) for p in batch for m in p.mentions]
    assert wanted != sorted(wanted)  # the batch names them out of order
    with inserted_identifiers(store) as sent, store.begin() as conn:
        write_reports(conn, org_id, batch)
    assert sent == sorted(set(wanted))
    stored = mentioned(store)
    assert {report_id for _, report_id in stored} == {p.report.report_id for p in batch}
    for p in batch:  # each report mentions what it named, as before
        assert stored[(org_id, p.report.report_id)] == sorted(
            (str(m.kind), m.canonical) for m in p.mentions
        )


def test_batches_in_opposite_orders_insert_in_the_same_order(store: Store) -> None:
    forward = [pending(f"A-{n}", **values) for n, values in enumerate(VALUES)]
    backward = [pending(f"B-{n}", **values) for n, values in enumerate(reversed(VALUES))]
    sent: dict[str, list[tuple[str, str]]] = {}
    for name, batch in (("TH-AOC", forward), ("PH-CICC", backward)):
        org_id = add_org(store, name, country="TH").id
        with inserted_identifiers(store) as found, store.begin() as conn:
            write_reports(conn, org_id, batch)
        sent[name] = found
    assert sent["TH-AOC"] == sent["PH-CICC"]  # the second sent them all again: none cached
    assert len(sent["TH-AOC"]) == 7  # five values and two domains


def _blocked(store: Store, pid: int, writer: threading.Thread) -> bool:
    """Whether the backend PID waits for a lock: once it does (True) or WRITER, its thread, has
    ended without waiting (False)."""
    with store.engine.connect() as conn:
        while writer.is_alive():
            waits = conn.execute(
                sa.text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": pid}
            )
            if waits.scalar_one():
                return True
            time.sleep(0.01)
    return False


@pytest.mark.postgres
def test_two_organizations_naming_new_values_in_opposite_orders_do_not_deadlock(
    pg_store: Store,
) -> None:
    """TH-AOC's transaction inserts the smaller value, PH-CICC's batch names the larger first
    and waits for TH-AOC's smaller; TH-AOC then inserts the larger too. Had PH-CICC inserted
    the larger before it waited, TH-AOC would wait for it in turn: a deadlock, whose victim
    PostgreSQL makes PH-CICC (TH-AOC looks for one after ten minutes only)."""
    store = pg_store
    smaller, larger = {"phones": "+66812345678"}, {"phones": "+66812345679"}
    aoc = add_org(store, "TH-AOC", country="TH").id
    cicc = add_org(store, "PH-CICC", country="PH").id
    failed: list[BaseException] = []
    with store.engine.connect() as other:
        pid = int(other.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        other.commit()

        def cicc_writes() -> None:
            try:
                with other.begin():
                    write_reports(
                        other, cicc, [pending("B-1", **larger), pending("B-2", **smaller)]
                    )
            except BaseException as exc:  # the test shows it
                failed.append(exc)

        with store.begin() as conn:
            conn.execute(sa.text("SET LOCAL deadlock_timeout = '10min'"))
            conn.execute(sa.text("SET LOCAL lock_timeout = '60s'"))  # never hang the suite
            write_reports(conn, aoc, [pending("A-1", **smaller)])
            writer = threading.Thread(target=cicc_writes)
            writer.start()
            waited = _blocked(store, pid, writer)
            write_reports(conn, aoc, [pending("A-2", **larger)])
        writer.join(60)
    assert not writer.is_alive()
    assert failed == []
    assert waited  # for TH-AOC's smaller value
    assert mentioned(store) == {
        (aoc, "A-1"): [("phone", "+66812345678")],
        (aoc, "A-2"): [("phone", "+66812345679")],
        (cicc, "B-1"): [("phone", "+66812345679")],
        (cicc, "B-2"): [("phone", "+66812345678")],
    }

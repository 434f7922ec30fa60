"""Writers of reports run their transaction again when PostgreSQL undid it to end a deadlock
(`Store.transaction`), and store their work once: a report replaced by a sync pull, and the
identifier ids an undone attempt learned (`IdentifierIds`), whose rows were undone with it.

The deadlock is a real one (`crossed`): another transaction holds a row the writer needs last
and waits for a row the writer took first, as the background linker's transaction can. On
SQLite, which has one writer at a time, the same writes run once and store the same."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import StoreError
from bigfish.interop.sync import default_org_for, pull
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_interop import sync_runs
from bigfish.store.writes import IdentifierIds, Pending, transaction_with_ids
from bigfish.webhooks import allow_peer
from tests.interop.builders import LOCATION, foreign_report
from tests.interop.servers import FakeTaxii
from tests.store.test_write_lock_order import pending, write_reports

PHONE = "+66812345678"  # the value both versions of a report mention
EMAIL = "new-value@scam.example"  # the value only its second version mentions
DOMAIN = "scam.example"  # the email's domain, an identifier of its own


def _wait_until_blocked(store: Store, pid: int) -> None:
    """Return once the backend PID waits for a lock."""
    with store.engine.connect() as conn:
        for _ in range(6000):
            waits = conn.execute(
                sa.text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": pid}
            )
            if waits.scalar_one():
                return
            time.sleep(0.01)
    raise AssertionError("the other transaction never waited for the writer's row")


@contextmanager
def crossed(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str,
    *,
    holds: sa.Select[Any],
    asks: sa.Select[Any],
) -> Iterator[list[int]]:
    """Count the calls of OWNER.NAME (a step of a writer's transaction); on PostgreSQL, make the
    first call's transaction a deadlock's victim: another transaction holds the rows HOLDS
    selects, and once the step is done asks for those ASKS selects, which the writer holds by
    then; the writer, going on, waits for the first. The other waits ten minutes before it
    looks for a deadlock, so the writer's look (after 1 s) finds it and PostgreSQL undoes the
    writer's transaction. The other commits once it has its rows."""
    original = getattr(owner, name)
    calls = [0]
    other: Connection | None = None
    failed: list[BaseException] = []
    if store.dialect == "postgresql":
        other = store.engine.connect()
        other.begin()
        other.execute(sa.text("SET LOCAL deadlock_timeout = '10min'"))
        pid = int(other.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        other.execute(holds.with_for_update()).all()

    def ask() -> None:
        assert other is not None
        try:
            other.execute(asks.with_for_update()).all()
            other.commit()
        except BaseException as exc:  # the test shows it
            failed.append(exc)

    asker = threading.Thread(target=ask)

    def step(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        result = original(*args, **kwargs)
        if other is not None and calls[0] == 1:
            asker.start()
            _wait_until_blocked(store, pid)
        return result

    monkeypatch.setattr(owner, name, step)
    try:
        yield calls
    finally:
        if asker.is_alive():
            asker.join(60)
        if other is not None:
            other.close()
    assert failed == []


@contextmanager
def crossed_on_values(
    store: Store, monkeypatch: pytest.MonkeyPatch, org: str
) -> Iterator[list[int]]:
    """`crossed` at the identifiers a writer of ORG's reports resolves: the other holds PHONE's
    row (the writer's mention of it waits for it) and asks for ORG's row (`_take_turns`)."""
    with crossed(
        store,
        monkeypatch,
        IdentifierIds,
        "resolve",
        holds=sa.select(identifiers.c.id).where(identifiers.c.canonical == PHONE),
        asks=sa.select(organizations.c.id).where(organizations.c.name == org),
    ) as calls:
        yield calls


def mentioned(store: Store) -> dict[str, list[str]]:
    """The canonical values each report mentions."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.report_id, identifiers.c.canonical)
            .join(mentions, mentions.c.report_pk == reports.c.id)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .order_by(reports.c.report_id, identifiers.c.canonical)
        ).all()
    out: dict[str, list[str]] = {}
    for report_id, canonical in rows:
        out.setdefault(report_id, []).append(canonical)
    return out


def identifier_count(store: Store) -> int:
    """How many identifiers the store holds."""
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(identifiers)).scalar_one())


def _write(store: Store, ids: IdentifierIds, org_id: int, *batch: Pending) -> None:
    """Write BATCH as ORG_ID's through IDS in a transaction run again when undone."""
    transaction_with_ids(store, ids, lambda conn: write_reports(conn, org_id, batch, ids))


def _r1_written(store: Store) -> tuple[int, IdentifierIds]:
    """TH-AOC's id and its writer's ids, once it has written R-1 naming PHONE."""
    org_id = add_org(store, "TH-AOC", country="TH").id
    ids = IdentifierIds()
    _write(store, ids, org_id, pending("R-1", phones=PHONE))
    return org_id, ids


def _r1_with_email() -> Pending:
    """R-1's second version, which names EMAIL too."""
    return pending("R-1", phones=PHONE, emails=EMAIL)


def test_an_undone_attempt_leaves_no_identifier_id_for_the_next(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id, ids = _r1_written(store)
    with crossed_on_values(store, monkeypatch, "TH-AOC") as calls:
        _write(store, ids, org_id, _r1_with_email())
    assert calls == [2 if store.dialect == "postgresql" else 1]
    # the email's row of the undone attempt is gone, and its id with it: the next batch, which
    # finds EMAIL in the cache, writes the id of the row the second attempt inserted
    _write(store, ids, org_id, pending("R-2", emails=EMAIL))
    assert mentioned(store) == {"R-1": [PHONE, EMAIL, DOMAIN], "R-2": [EMAIL, DOMAIN]}
    assert identifier_count(store) == 3


@pytest.mark.postgres
def test_without_forgetting_the_next_attempt_writes_an_undone_id(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `IdentifierIds.forget_unsettled` prevents: the retry writes the undone row's id."""
    store = pg_store
    org_id, ids = _r1_written(store)
    monkeypatch.setattr(IdentifierIds, "forget_unsettled", lambda self: None)
    with crossed_on_values(store, monkeypatch, "TH-AOC"), pytest.raises(sa.exc.IntegrityError):
        _write(store, ids, org_id, _r1_with_email())


def _pulled(n: int, modified: str, *values: dict[str, Any]) -> list[dict[str, Any]]:
    refs = tuple(v["id"] for v in values)
    return [LOCATION, *values, foreign_report(n, refs, modified=modified, published=modified)]


PHONE_OBJECT = {"type": "phone-number", "spec_version": "2.1", "id": "phone-number--1"}
EMAIL_OBJECT = {"type": "email-addr", "spec_version": "2.1", "id": "email-addr--1"}


def test_a_report_replaced_by_a_sync_pull_while_deadlocked_is_stored_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = 8795
    peer_url = f"http://127.0.0.1:{port}/taxii2/"
    phone = PHONE_OBJECT | {"value": PHONE}
    email = EMAIL_OBJECT | {"value": EMAIL}
    peer = FakeTaxii({port: _pulled(1, "2025-10-01T00:00:00.000Z", phone)})
    allow_peer(store, f"http://127.0.0.1:{port}")
    first = pull(store, peer_url, "k", transport=peer)
    assert (first.new, first.rejected) == (1, 0)
    peer.peers[port] = _pulled(1, "2025-10-02T00:00:00.000Z", phone, email)
    with crossed_on_values(store, monkeypatch, default_org_for(peer_url)) as calls:
        again = pull(store, peer_url, "k", transport=peer)
    assert calls == [2 if store.dialect == "postgresql" else 1]
    assert (again.received, again.stored, again.rejected) == (4, 4, 0)
    assert (again.new, again.updated) == (0, 1)
    assert mentioned(store) == {foreign_report(1)["id"]: [PHONE, EMAIL, DOMAIN]}
    assert identifier_count(store) == 3
    with store.connect() as conn:
        run = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == again.run_id)).one()
    assert (run.received, run.stored, run.rejected) == (4, 4, 0)  # counted once


@pytest.mark.postgres
def test_with_one_attempt_the_writer_is_the_deadlocks_victim(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crossing is a deadlock, and the writer its victim: what the retries answer."""
    store = pg_store
    org_id, ids = _r1_written(store)
    once = Store.transaction
    monkeypatch.setattr(Store, "transaction", lambda self, work: once(self, work, attempts=1))
    with crossed_on_values(store, monkeypatch, "TH-AOC") as calls:
        with pytest.raises(StoreError, match="deadlock detected"):
            _write(store, ids, org_id, _r1_with_email())
    assert calls == [1]

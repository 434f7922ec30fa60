"""A link run finds networks that lost a member by the withdrawals recorded since the last run
read the newest one, in its pause: stamps of one clock (`stamp_now`), never the runs' own `now`.

Before, the next run compared the newest withdrawal with the last run's `now` (its process's
clock, or its caller's): a run whose clock was ahead of the writers' (the database server's, on
PostgreSQL) took a deletion committed after it for seen, and the network kept counting the
deleted report until a rebuild. The run ahead is this process's linker, its clock (`datetime.now`
in the linker's modules) set an hour on, or a caller passing a `now` an hour on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

import bigfish.linking.incremental
import bigfish.linking.service
import bigfish.reports
from bigfish.linking import rebuild_networks, state, update_networks
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_interop import report_withdrawals
from bigfish.store.schema_linking import link_state
from tests.linking.conftest import Ingest, miscounted, networks_of, report

OP = Viewer.node_operator()
ORG = "th-aoc"
RING = [report(f"a{i}", ("phone", "0812345678")) for i in (1, 2, 3)]
OTHER = [report(f"b{i}", ("phone", "0899999999")) for i in (1, 2)]
#: How far the link run's clock is ahead of the writers': far more than any step of a test.
AHEAD = timedelta(hours=1)


class _Ahead(datetime):
    """`datetime` whose `now` is AHEAD on: the clock of a link runner's host that runs ahead."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        return datetime.now(tz) + AHEAD


def _writers_clock(store: Store) -> datetime:
    """The clock writers stamp with now: the database server's (PostgreSQL), the process's."""
    if store.engine.dialect.name != "postgresql":
        return datetime.now(UTC)
    with store.connect() as conn:
        found: datetime = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
    return found.astimezone(UTC)


def _owner(store: Store) -> Viewer:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == ORG)
        ).scalar_one()
    return Viewer(org_id, ORG, ApiRole.ANALYST)


def _delete(store: Store, report_id: str) -> None:
    """Delete REPORT_ID as its organization does (DELETE /api/v1/reports/...)."""
    delete_report(store, _owner(store), ORG, report_id)


def _newest_withdrawal(store: Store) -> datetime:
    with store.connect() as conn:
        found = conn.execute(sa.select(sa.func.max(report_withdrawals.c.withdrawn_at))).scalar()
    assert found is not None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _state(store: Store) -> state.LinkState:
    with store.connect() as conn:
        found = state.read_state(conn)
    assert found is not None
    return found


@pytest.mark.parametrize("whose", ["caller", "clock"])
def test_a_run_ahead_of_the_writers_clock_still_counts_a_deletion_after_it(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch, whose: str
) -> None:
    """The runs' time is an hour ahead of the writers' (a `now` passed by the caller, or the
    linker's clock); a2 is deleted after a run. The next run must count the ring without it:
    before, the withdrawal (stamped before that run's `now`) was taken for seen, and the ring
    kept counting 3 reports with 2 members."""
    if whose == "clock":
        monkeypatch.setattr(bigfish.linking.incremental, "datetime", _Ahead)
        monkeypatch.setattr(bigfish.linking.service, "datetime", _Ahead)

    def now() -> datetime | None:
        return _writers_clock(store) + AHEAD if whose == "caller" else None

    ingest(store, ORG, [*RING, *OTHER])
    update_networks(store, now=now())  # the first run rebuilds
    ingest(store, ORG, [report("b3", ("phone", "0899999999"))])
    update_networks(store, now=now())
    assert networks_of(store) == [(3, ("a1", "a2", "a3")), (3, ("b1", "b2", "b3"))]
    _delete(store, "a2")
    assert _newest_withdrawal(store) < _state(store).linked_at  # type: ignore[operator]
    update_networks(store, now=now())
    assert networks_of(store) == [(2, ("a1", "a3")), (3, ("b1", "b2", "b3"))]
    assert miscounted(store) == []


def test_a_rebuild_ahead_of_the_writers_clock_then_a_deletion(store: Store, ingest: Ingest) -> None:
    """The same after a rebuild (`bigfish link`) whose `now` is ahead: the rebuild records the
    newest withdrawal it read, not only its time."""
    ingest(store, ORG, [*RING, *OTHER])
    _delete(store, "b2")  # a withdrawal before the rebuild
    rebuild_networks(store, now=_writers_clock(store) + AHEAD)
    _delete(store, "a3")
    update_networks(store, now=_writers_clock(store) + AHEAD)
    assert networks_of(store) == [(2, ("a1", "a2"))]
    assert miscounted(store) == []
    assert _state(store).withdrawn_upto == _newest_withdrawal(store)  # a3's, which it saw


def test_a_run_that_finds_nothing_shrunk_records_the_withdrawals_it_has_seen(
    store: Store, ingest: Ingest
) -> None:
    """c1, in no network, is deleted: a withdrawal that takes no member away. The next run looks,
    finds no network shrunk, and records the newest withdrawal as seen (it does not look again
    for it), leaving its time (link_state.updated_at: aging, freshness) and its watermark as the
    last run wrote them."""
    ingest(store, ORG, [*RING, *OTHER, report("c1", ("phone", "0866666666"))])
    rebuild_networks(store)
    before = _state(store)
    assert before.withdrawn_upto is None  # no withdrawal yet
    _delete(store, "c1")
    update_networks(store)
    after = _state(store)
    assert after.withdrawn_upto == _newest_withdrawal(store)
    assert (after.watermark, after.linked_at) == (before.watermark, before.linked_at)
    assert networks_of(store) == [(2, ("b1", "b2")), (3, ("a1", "a2", "a3"))]


def test_a_state_without_a_bound_looks_for_shrunk_networks(store: Store, ingest: Ingest) -> None:
    """A state row written before migration 0018 has no bound: the next run looks whenever there
    is a withdrawal, whatever its `now` was (here an hour ahead of the deletion)."""
    ingest(store, ORG, [*RING, *OTHER])
    rebuild_networks(store)
    _delete(store, "a2")
    with store.begin() as conn:
        conn.execute(
            link_state.update().values(
                withdrawn_upto=None, updated_at=_writers_clock(store) + AHEAD
            )
        )
    update_networks(store, now=_writers_clock(store) + AHEAD)
    assert networks_of(store) == [(2, ("a1", "a3")), (2, ("b1", "b2"))]
    assert miscounted(store) == []
    assert _state(store).withdrawn_upto == _newest_withdrawal(store)


class _Open:
    """A deletion of REPORT_ID run in a thread through the normal path (`bigfish.reports`),
    stamped and deleted, its transaction left open until `commit`."""

    def __init__(self, store: Store, viewer: Viewer, report_id: str) -> None:
        self.stamped = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(store, viewer, report_id), daemon=True
        )
        self.thread.start()
        self.stamped.wait()
        if self.error is not None:
            raise self.error

    def _run(self, store: Store, viewer: Viewer, report_id: str) -> None:
        try:
            with store.begin() as conn:
                bigfish.reports._delete(conn, viewer, ORG, report_id)
                self.stamped.set()
                self.release.wait()
        except BaseException as exc:  # raised again in commit
            self.error = exc
            self.stamped.set()

    def commit(self) -> None:
        self.release.set()
        self.thread.join()
        if self.error is not None:
            raise self.error


def _after_the_pause(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    """Call THEN once, when the first pause of the writers a link run takes has ended."""
    original = state.writers_paused
    done: list[bool] = []

    @contextmanager
    def paused(conn: Connection) -> Iterator[None]:
        with original(conn):
            yield
        if not done:
            done.append(True)
            then()

    monkeypatch.setattr(state, "writers_paused", paused)


@pytest.mark.postgres
def test_a_deletion_stamped_before_a_later_one_and_committed_after_the_run_is_counted(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a run's pause has ended, b2's deletion is stamped (its transaction stays open) and
    then a2's is stamped and committed; b2's commits after the run, which cannot have seen it.
    The next run must count both networks again. A bound on withdrawals read after the pause
    would be a2's, later than b2's: the next run would take b2's for seen, and the b network
    kept counting 2 reports with 1 member. Read in the pause, every withdrawal not committed
    then is later than it."""
    store = pg_store
    ingest(store, ORG, [*RING, *OTHER])
    rebuild_networks(store)
    owner = _owner(store)
    open_deletions: list[_Open] = []

    def meanwhile() -> None:
        open_deletions.append(_Open(store, owner, "b2"))
        delete_report(store, owner, ORG, "a2")

    _after_the_pause(monkeypatch, meanwhile)
    try:
        update_networks(store)
    finally:  # b2's deletion commits, whatever happened to the run
        for deletion in open_deletions:
            deletion.commit()
    assert len(open_deletions) == 1
    with store.connect() as conn:
        stamps = dict(
            conn.execute(
                sa.select(report_withdrawals.c.report_id, report_withdrawals.c.withdrawn_at)
            ).all()
        )
    assert stamps["b2"] < stamps["a2"]  # stamped first, committed last
    update_networks(store)
    assert miscounted(store) == []
    assert networks_of(store) == [(2, ("a1", "a3"))]

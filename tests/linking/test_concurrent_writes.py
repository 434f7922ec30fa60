"""A report written (stored, replaced, re-marked) by a slow transaction while another
organization's writer commits and a link run reads: an incremental run links it, then or later.

The update finds its work by `reports.updated_at` after the watermark, the newest stamp it has
read. A writer stamps its reports when it writes them and commits later: had a run read a later
stamp of a writer that committed first, the slow writer's reports, committed after it with an
earlier stamp, were never linked by an update (a rebuild alone found them).

Each test stops the slow writer once it has stamped (a function it calls, wrapped with
monkeypatch), lets the other organization write and an update run, then lets the slow writer
commit. PostgreSQL: the slow writer goes on once the update has finished or waits for a lock,
never after a fixed time. SQLite, which shows no waiting: once the update has finished, or after
a second at most (the other writer waits for the slow one's write lock), which decides only how
long the test takes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import bigfish.intake.service
import bigfish.reports
from bigfish.linking import incremental, rebuild_networks, state
from bigfish.linking import update_networks as update
from bigfish.models import TLP, ApiRole, Marking
from bigfish.reports import remark_report
from bigfish.sharing import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from tests.conftest import _reset_postgres
from tests.linking.conftest import Ingest, networks_of, report
from tests.linking.test_concurrent_deletion import Meanwhile

SLOW, OTHER = "th-aoc", "my-pdrm"
SHARED = ("phone", "0812345678")


class Gate:
    """Stops the first call of MODULE.NAME (before or AFTER it runs) until `open`; `reached`
    is set once it is stopped there."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str, *, after: bool, bound: float
    ) -> None:
        self.reached, self.opened = threading.Event(), threading.Event()
        self.bound = bound
        original = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not after:
                self._stop()
            result = original(*args, **kwargs)
            if after:
                self._stop()
            return result

        monkeypatch.setattr(module, name, wrapped)

    def _stop(self) -> None:
        if self.reached.is_set():
            return
        self.reached.set()
        self.opened.wait(self.bound)

    def open(self) -> None:
        """Let the stopped call go on."""
        self.opened.set()


def _seen(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """The report pks the updates from now on find changed."""
    seen: set[int] = set()
    original = state.changed_reports

    def recording(*args: Any) -> list[tuple[int, str, bool]]:
        rows = original(*args)
        seen.update(pk for pk, _, _ in rows)
        return rows

    monkeypatch.setattr(state, "changed_reports", recording)
    return seen


def _pk(store: Store, report_id: str) -> int:
    with store.connect() as conn:
        query = sa.select(reports.c.id).where(reports.c.report_id == report_id)
        return int(conn.execute(query).scalar_one())


def _race(
    store: Store,
    gate: Gate,
    slow: Callable[[], None],
    ingest: Ingest,
    run: Callable[[Store], object] = update,
) -> None:
    """SLOW (stopped by GATE once it has stamped its reports) runs while the other organization
    stores b1, which shares a value with s1 and with the slow writer's report, and a link run
    (RUN: an update) runs; then SLOW commits and an update runs."""
    writer = Meanwhile(slow)
    while not gate.reached.wait(0.01):
        if not writer.thread.is_alive():
            writer.join()  # it failed before it stamped
            raise AssertionError("the slow writer never reached the gate")

    def meanwhile() -> None:
        ingest(store, OTHER, [report("b1", SHARED)])
        run(store)
        gate.open()

    other = Meanwhile(meanwhile).settle(store)
    if store.engine.dialect.name == "postgresql":
        gate.open()  # the update has finished, or waits for a lock (the slow writer's)
    writer.join()
    other.join()
    update(store)


@pytest.fixture
def seeded(store: Store, ingest: Ingest) -> Store:
    """s1 (the other organization's) mentions SHARED, a0 (the slow one's) a value of its own;
    both organizations exist, and a rebuild has run."""
    ingest(store, OTHER, [report("s1", SHARED)])
    ingest(store, SLOW, [report("a0", ("phone", "0855555555"))])
    rebuild_networks(store)
    return store


def _bound(store: Store) -> float:
    return 60.0 if store.engine.dialect.name == "postgresql" else 1.0


def _race_a_slow_ingest(
    store: Store,
    ingest: Ingest,
    monkeypatch: pytest.MonkeyPatch,
    row: dict[str, Any],
    run: Callable[[Store], object] = update,
) -> None:
    """`_race` with the slow writer ingesting ROW as SLOW's, stopped once `write_batch` has
    stamped it."""
    module = bigfish.intake.service
    gate = Gate(monkeypatch, module, "write_batch", after=True, bound=_bound(store))
    _race(store, gate, lambda: ingest(store, SLOW, [row]), ingest, run)


def test_a_new_report_committed_after_a_later_stamped_one_is_linked(
    seeded: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a1, stamped before b1, commits after b1 and after an update that read b1 (PostgreSQL:
    two organizations write at once; before: a1 was never linked)."""
    store = seeded
    seen = _seen(monkeypatch)
    _race_a_slow_ingest(store, ingest, monkeypatch, report("a1", SHARED))
    assert _pk(store, "a1") in seen
    assert networks_of(store) == [(3, ("a1", "b1", "s1"))]


def test_a_new_report_committed_after_a_rebuild_read_a_later_stamp_is_linked(
    seeded: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above with a rebuild in place of the first update: the rebuild's watermark, b1's
    stamp, was later than a1's, which it did not read (before: a1 was never linked)."""
    store = seeded
    _race_a_slow_ingest(store, ingest, monkeypatch, report("a1", SHARED), rebuild_networks)
    assert networks_of(store) == [(3, ("a1", "b1", "s1"))]


def test_a_report_replaced_by_a_slow_writer_is_linked(
    seeded: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a0 is submitted again, now with the shared value, by a transaction that commits after
    b1's and after an update that read b1 (before: a0 stayed apart)."""
    store = seeded
    seen = _seen(monkeypatch)
    _race_a_slow_ingest(store, ingest, monkeypatch, report("a0", SHARED))
    assert _pk(store, "a0") in seen
    assert networks_of(store) == [(3, ("a0", "b1", "s1"))]


def test_a_report_remarked_by_a_slow_transaction_is_seen_by_an_update(
    seeded: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a0 is re-marked; the change is stamped before b1 is written and committed after an
    update that read b1 (before: no update saw it, on SQLite too: the re-marking stamped its
    change before it took the write lock)."""
    store = seeded
    seen = _seen(monkeypatch)
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == SLOW)
        ).scalar_one()
    viewer = Viewer(org_id, SLOW, ApiRole.ANALYST)
    module = bigfish.reports
    gate = Gate(monkeypatch, module, "record_withdrawals", after=False, bound=_bound(store))

    def remark() -> None:
        remark_report(store, viewer, SLOW, "a0", Marking(tlp=TLP.RED))

    _race(store, gate, remark, ingest)
    assert _pk(store, "a0") in seen
    assert networks_of(store) == [(2, ("b1", "s1"))]


@pytest.mark.postgres
def test_a_writer_waits_for_the_update_s_read_only_not_for_the_run(
    postgres_url: str, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an update links (past its read of the watermark), another organization's ingest
    commits without waiting for it (PostgreSQL; SQLite has one writer at a time)."""
    _reset_postgres(postgres_url)
    store = open_store(postgres_url)
    try:
        ingest(store, OTHER, [report("s1", SHARED)])
        rebuild_networks(store)
        ingest(store, SLOW, [report("a1", SHARED)])
        finished: list[bool] = []

        def write_meanwhile(*args: Any) -> set[int]:
            if not finished:
                other = Meanwhile(lambda: ingest(store, OTHER, [report("c1", ("phone", "0899"))]))
                finished.append(not other.settle(store).thread.is_alive())
                other.join()
            return original(*args)

        original = incremental._networks_of
        monkeypatch.setattr(incremental, "_networks_of", write_meanwhile)
        update(store)
        assert finished == [True]
        assert networks_of(store) == [(2, ("a1", "s1"))]
    finally:
        store.close()

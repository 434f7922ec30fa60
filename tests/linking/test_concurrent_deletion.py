"""A report deleted while a link run reads and writes: the run succeeds, and no network is left
counting a report it no longer holds (after the run, or after the next one).

Each test stops the run at one point (a function of the linker wrapped with monkeypatch) and
deletes a report from another thread, as DELETE /api/v1/reports does. Where the run holds the
report, the deletion waits for it: the thread goes on until it has finished or PostgreSQL shows
it waiting for a lock, never for a fixed time, so that what each run sees is the same every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import bigfish.reports
from bigfish.linking import incremental, rebuild_networks, service, state
from bigfish.linking import update_networks as update
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.linking.conftest import Ingest, miscounted, networks_of, report

OP = Viewer.node_operator()
ORG = "th-aoc"
RING = [report(f"a{i}", ("phone", "0812345678")) for i in (1, 2, 3)]
OTHER = [report(f"b{i}", ("phone", "0899999999")) for i in (1, 2)]


def _exists(store: Store, report_id: str) -> bool:
    with store.connect() as conn:
        query = sa.select(reports.c.id).where(reports.c.report_id == report_id)
        return conn.execute(query).first() is not None


def _delete(store: Store, report_id: str) -> None:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == ORG)
        ).scalar_one()
    delete_report(store, Viewer(org_id, ORG, ApiRole.ANALYST), ORG, report_id)


def _waits_for_a_lock(store: Store) -> bool:
    """True when a session of this database waits for a lock (PostgreSQL)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with store.connect() as conn:
        return bool(conn.execute(query).scalar_one())


class Meanwhile:
    """WORK run in a thread from now on; `join` waits for it and raises what it raised."""

    def __init__(self, work: Callable[[], None]) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self.thread.start()

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # raised again in join
            self.error = exc

    def settle(self, store: Store) -> Meanwhile:
        """Wait until the work has finished or waits for a lock (on SQLite, which shows no
        waiting, do not wait: the run holds the one write lock, the work comes after it)."""
        if store.engine.dialect.name == "postgresql":
            while self.thread.is_alive() and not _waits_for_a_lock(store):
                time.sleep(0.01)
        return self

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _after(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    then: Callable[[], None],
) -> None:
    """Call THEN once, after the first call of MODULE.NAME returns."""
    original = getattr(module, name)
    done: list[bool] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not done:
            done.append(True)
            then()
        return result

    monkeypatch.setattr(module, name, wrapped)


def _delete_after(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, store: Store, report_id: str
) -> Callable[[], None]:
    """Delete REPORT_ID from another thread once the first call of MODULE.NAME returns, and go
    on once the deletion has finished or waits for a lock (`Meanwhile.settle`); the function
    returned waits for the deletion and raises what it raised."""
    deletions: list[Meanwhile] = []

    def delete() -> None:
        deletions.append(Meanwhile(lambda: _delete(store, report_id)).settle(store))

    _after(monkeypatch, module, name, delete)
    return lambda: deletions[0].join()


@pytest.mark.postgres
def test_a_new_report_deleted_before_the_update_holds_it_is_left_out(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """n1 joins the ring; it is deleted once the update has read which reports its values
    reach, before it reads their facts (it failed with a KeyError)."""
    store = pg_store
    ingest(store, ORG, RING)
    rebuild_networks(store)
    ingest(store, ORG, [report("n1", ("phone", "0812345678"))])
    join_deletion = _delete_after(monkeypatch, incremental, "_mentions_of", store, "n1")
    update(store)
    join_deletion()
    assert not _exists(store, "n1")
    assert networks_of(store) == [(3, ("a1", "a2", "a3"))]
    assert miscounted(store) == []


def test_a_member_deleted_while_the_update_relinks_its_network(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a1 changes (the ring is relinked); a2 is deleted after the update has read the ring's
    mentions. PostgreSQL: the update holds a2, the deletion waits for it, and the next update
    counts the ring without a2 (before: a KeyError, or a foreign key violation on
    network_members). SQLite: the deletion waits for the run's write lock."""
    ingest(store, ORG, [*RING, *OTHER])
    rebuild_networks(store)
    ingest(store, ORG, [report("a1", ("phone", "0812345678"), ("phone", "0877777777"))])
    join_deletion = _delete_after(monkeypatch, incremental, "_relink", store, "a2")
    update(store)
    join_deletion()
    assert not _exists(store, "a2")
    update(store)
    assert networks_of(store) == [(2, ("a1", "a3")), (2, ("b1", "b2"))]
    assert miscounted(store) == []


@pytest.mark.postgres
def test_a_member_deleted_while_the_rebuild_links_is_left_out(
    pg_store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a2 is deleted after the rebuild has read every mention and linked them, before it
    writes (the COPY of the members failed on the foreign key)."""
    store = pg_store
    ingest(store, ORG, [*RING, *OTHER])
    rebuild_networks(store)
    join_deletion = _delete_after(monkeypatch, service, "_link", store, "a2")
    rebuild_networks(store)
    join_deletion()
    assert not _exists(store, "a2")
    assert networks_of(store) == [(2, ("a1", "a3")), (2, ("b1", "b2"))]
    assert miscounted(store) == []


def test_a_deletion_that_began_before_the_update_is_seen_by_it_or_the_next(
    store: Store, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a2's deletion takes its time (its withdrawal is stamped) before an update starts that
    does not touch the ring, and commits while the update runs. The update must see it, or
    the next one must: a withdrawal older than the update's start was taken for seen, and the
    ring kept counting a2 for good. The deletion goes on once the update has looked for
    shrunk networks, or (since the update waits for deletions begun before it) once it waits:
    on SQLite, which shows no waiting, after a second at most, which decides only how long
    the test takes."""
    ingest(store, ORG, [*RING, *OTHER])
    rebuild_networks(store)
    stamped, looked = threading.Event(), threading.Event()
    original = state.shrunk_networks

    def looking(*args: Any) -> set[int]:
        found = original(*args)
        looked.set()
        return found

    monkeypatch.setattr(state, "shrunk_networks", looking)
    record = bigfish.reports.record_withdrawals

    def slowly(*args: Any, **kwargs: Any) -> None:
        stamped.set()
        if store.engine.dialect.name == "postgresql":
            while not looked.is_set() and not _waits_for_a_lock(store):
                time.sleep(0.01)
        else:
            looked.wait(1.0)
        record(*args, **kwargs)

    monkeypatch.setattr(bigfish.reports, "record_withdrawals", slowly)
    deletion = Meanwhile(lambda: _delete(store, "a2"))
    stamped.wait()
    ingest(store, ORG, [report("b3", ("phone", "0899999999"))])  # the update has work
    update(store)
    deletion.join()
    update(store)
    assert networks_of(store) == [(2, ("a1", "a3")), (3, ("b1", "b2", "b3"))]
    assert miscounted(store) == []

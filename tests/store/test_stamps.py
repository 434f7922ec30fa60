"""`settled_newest`: the newest stamp, read so that every stamp committed after it is later."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bigfish.store import Store
from bigfish.store.schema_linking import networks
from bigfish.store.stamps import announce_writer, settled_newest
from tests.polling import WAIT

NEWEST = sa.select(sa.func.max(networks.c.updated_at))
EARLIER = datetime(2029, 1, 1, tzinfo=UTC)


def test_it_reads_the_newest_stamp_on_either_backend(store: Store) -> None:
    with store.connect() as conn:
        assert settled_newest(conn, NEWEST) is None
    with store.engine.begin() as conn:
        _network(conn, 1, EARLIER)
    with store.connect() as conn:
        assert settled_newest(conn, NEWEST) == EARLIER


def test_a_select_without_a_time_type_is_refused(store: Store) -> None:
    with store.connect() as conn, pytest.raises(TypeError, match="give the select a type"):
        settled_newest(conn, sa.select(sa.literal("2026-01-01")))


@pytest.mark.postgres
def test_it_waits_for_a_writer_in_flight_and_reads_its_stamp(pg_store: Store) -> None:
    """A writer announced and stamped, not committed: the read waits for it, then sees its
    stamp (before, a reader could read past it and serve later stamps first)."""
    later = datetime(2030, 1, 1, tzinfo=UTC)
    read: list[datetime | None] = []
    with pg_store.engine.begin() as conn:
        _network(conn, 1, EARLIER)

    def reader() -> None:
        with pg_store.connect() as conn:
            read.append(settled_newest(conn, NEWEST))

    thread = threading.Thread(target=reader)
    # Closed whatever happens: a writer left in its transaction would hold its lock on the
    # worker's database, and every later test of the worker would wait for it.
    with pg_store.engine.connect() as writer:
        transaction = writer.begin()
        try:
            announce_writer(writer)
            _network(writer, 2, later)
            thread.start()
            _until_waiting(pg_store)
            assert read == []  # still waiting for the writer
            transaction.commit()
        finally:
            if transaction.is_active:
                transaction.rollback()
    thread.join(timeout=WAIT)
    assert read == [later]


def _network(conn: sa.Connection, network_id: int, stamp: datetime) -> None:
    conn.execute(networks.insert().values(id=network_id, created_at=stamp, updated_at=stamp))


def _until_waiting(store: Store) -> None:
    """Return once some session waits for an advisory lock (no fixed sleep)."""
    waiting = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    with store.engine.connect() as conn:
        for _ in range(3000):
            if conn.execute(waiting).scalar():
                return
            conn.rollback()
            threading.Event().wait(0.01)
    raise AssertionError("the reader never waited for the writer")

"""Opening a new SQLite store while another connection is about to write it.

Switching a new file to WAL reads its header under a SHARED lock, then writes it. When another
connection holds the RESERVED lock (another process opening the same new store at that moment),
SQLite answers SQLITE_BUSY at once, without the busy timeout: waiting could deadlock. Processes
starting together on a new store (server workers, an ingest, a cron job) then failed with
`database is locked` about once in 50 starts on a loaded machine. Here the other connection is
a plain sqlite3 one holding `BEGIN IMMEDIATE` on the new file, which makes that moment certain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.errors import StoreError
from bigfish.store import base, metadata, open_store

SETTING = "--db / BIGFISH_DATABASE_URL"


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection holding the RESERVED lock of a new database file (not yet WAL)."""
    held = sqlite3.connect(tmp_path / "bigfish.db", isolation_level=None)
    held.execute("BEGIN IMMEDIATE")
    yield held
    if held.in_transaction:
        held.execute("ROLLBACK")
    held.close()


def test_a_new_store_opens_once_another_connection_lets_go_of_its_write_lock(
    tmp_path: Path, writer: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []

    def let_go_then_pause(seconds: float) -> None:
        # The opener was refused (SQLITE_BUSY at once): now the other connection finishes.
        pauses.append(seconds)
        if writer.in_transaction:
            writer.execute("COMMIT")

    # raising=False: before the fix there was no pause, and the open failed at once with
    # "database is locked" although the busy timeout is 30 s.
    monkeypatch.setattr(base, "_pause", let_go_then_pause, raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'bigfish.db'}")
    try:
        assert len(pauses) == 1
        with store.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        store.close()


def test_a_new_store_locked_past_the_busy_timeout_is_a_store_error_naming_the_database(
    tmp_path: Path, writer: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(base, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(base, "_pause", pauses.append)  # the writer never lets go
    url = f"sqlite:///{tmp_path / 'bigfish.db'}"
    with pytest.raises(StoreError) as raised:
        open_store(url)
    message = str(raised.value)
    assert SETTING in message and repr(url) in message
    assert "database is locked" in message and "kept it locked" in message
    assert pauses  # it did try again before giving up


def test_an_error_other_than_busy_while_switching_to_wal_is_not_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Cursor:
        calls = 0

        def execute(self, sql: str) -> None:
            Cursor.calls += 1
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(base, "_pause", lambda _s: pytest.fail("retried"))
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        base._switch_to_wal(Cursor())
    assert Cursor.calls == 1

"""`Store.transaction` runs its work again when the database undid the transaction to end a
deadlock, and never for any other error. The deadlock is a real one on PostgreSQL: two
transactions taking two rows in opposite orders (as a report's deletion, cascading to its
network's members, and the background linker rewriting them can)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import StoreError
from bigfish.store import Store, open_store
from tests.conftest import _reset_postgres
from tests.polling import WAIT


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    _reset_postgres(postgres_url)
    opened = open_store(postgres_url)
    with opened.begin() as conn:
        conn.execute(sa.text("CREATE TABLE tx_rows (id integer PRIMARY KEY, v integer)"))
        conn.execute(sa.text("INSERT INTO tx_rows VALUES (1, 0), (2, 0)"))
    try:
        yield opened
    finally:
        with opened.begin() as conn:
            conn.execute(sa.text("DROP TABLE tx_rows"))
        opened.close()


def _crossed(store: Store, attempts: int) -> tuple[list[int], list[BaseException]]:
    """Two threads update rows 1 then 2, and 2 then 1, meeting between their two updates on
    their first run: a deadlock. How many times each ran its work, and what each raised."""
    met = threading.Barrier(2, timeout=WAIT)
    runs = [0, 0]
    raised: list[BaseException] = []

    def work(me: int, first: int, second: int) -> None:
        def body(conn: Connection) -> None:
            runs[me] += 1
            conn.execute(sa.text("UPDATE tx_rows SET v = v + 1 WHERE id = :id"), {"id": first})
            if runs[me] == 1:
                met.wait()
            conn.execute(sa.text("UPDATE tx_rows SET v = v + 1 WHERE id = :id"), {"id": second})

        try:
            store.transaction(body, attempts=attempts)
        except BaseException as exc:
            raised.append(exc)

    threads = [
        threading.Thread(target=work, args=(0, 1, 2)),
        threading.Thread(target=work, args=(1, 2, 1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return runs, raised


def test_the_deadlocks_victim_runs_again_and_both_commit(pg_store: Store) -> None:
    runs, raised = _crossed(pg_store, attempts=3)
    assert raised == []
    # The victim ran again (a run again can meet the other and deadlock once more: a third).
    assert sum(runs) >= 3 and min(runs) >= 1 and max(runs) <= 3, runs
    with pg_store.connect() as conn:
        values = conn.execute(sa.text("SELECT v FROM tx_rows ORDER BY id")).scalars().all()
    assert values == [2, 2]  # each transaction's two updates, each counted once


def test_with_one_attempt_the_deadlock_is_a_store_error(pg_store: Store) -> None:
    runs, raised = _crossed(pg_store, attempts=1)
    assert runs == [1, 1]
    assert len(raised) == 1 and isinstance(raised[0], StoreError)
    assert "deadlock detected" in str(raised[0])


def test_any_other_database_error_is_raised_at_once(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bigfish.db'}")
    runs = [0]

    def body(conn: Connection) -> None:
        runs[0] += 1
        conn.execute(sa.text("SELECT * FROM no_such_table"))

    try:
        with pytest.raises(StoreError, match="no such table"):
            store.transaction(body)
    finally:
        store.close()
    assert runs == [1]

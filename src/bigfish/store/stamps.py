"""Writers of reports and the readers of their stamps: no stamp is read out of commit order.

A transaction that stores, replaces, re-marks or deletes reports stamps them with its clock's
`now` (reports.updated_at, report_withdrawals.withdrawn_at) when it writes them, and commits
later. A link run finds its work by the stamps later than the newest it read before (its
watermark), so a writer that stamped first and committed after another writer's later stamp had
been read was never found (PostgreSQL, where two organizations' writers run at once; a
re-marking on SQLite too, which stamped before it took the write lock).

So each such transaction calls `announce_writer` first, before it takes its `now` and before it
locks anything, and a reader that needs "every stamp not yet read is later than those read"
reads inside `writers_paused`: it waits until every writer that announced itself before has
ended, and holds off new ones until it has read. What it reads is then every stamp taken
before, and every stamp taken by a writer that commits later is taken after it. This assumes
the clocks of the writers (each process's own) agree and do not go back: one host, or hosts
whose clocks are kept in step more closely than a writer takes to start after the pause.

PostgreSQL: a shared advisory lock (writers do not wait for each other) and the exclusive one
in a short transaction on another connection, so writers wait only for the reader's read, not
for its whole transaction. SQLite: the one write lock (the sqlite3 module takes it only at the
first write, maybe after `now` was taken, so a write that changes nothing takes it at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.store.schema_linking import link_state

#: The key of PostgreSQL's advisory lock that writers of reports hold (shared).
WRITE_LOCK = 0x6269_6766_646C  # "bigfdl": the key deletions took before writers took it too


def announce_writer(conn: Connection) -> None:
    """Call first in a transaction that stamps (stores, replaces, re-marks) or deletes reports,
    before its `now` is taken and before it locks anything: a reader in `writers_paused` waits
    for it, and its stamps are later than whatever such a reader read. Calling it again in the
    same transaction does nothing more."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": WRITE_LOCK})
    else:
        _take_the_write_lock(conn)


@contextmanager
def writers_paused(conn: Connection) -> Iterator[None]:
    """While inside, no writer (`announce_writer`) is in flight: on entry every one that began
    before has ended, and those that begin meanwhile wait until the block is left. Keep the
    block to a few reads on CONN (they see what the writers committed): writers wait for it.
    CONN must hold no lock a writer may wait for. PostgreSQL: the exclusive lock, taken on
    another connection in a transaction of its own that ends with the block. SQLite: the one
    write lock, taken on CONN (a link run has it already): writers wait for CONN's transaction."""
    if conn.dialect.name != "postgresql":
        _take_the_write_lock(conn)
        yield
        return
    with conn.engine.begin() as other:
        other.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
        yield


def settled_newest(conn: Connection, newest: sa.Select[Any]) -> datetime | None:
    """The stamp NEWEST (a one-row, one-column select of the newest of some stamps) reads, read
    so that every stamp committed after it is later: on PostgreSQL inside `writers_paused`
    (writers wait only for this one read); on SQLite as is, since every writer takes the one
    write lock before its stamps (`announce_writer`) and holds it until it commits, so stamps
    are committed in their order and nothing is locked here. A reader that serves only stamps
    up to what this returns serves none out of commit order, even across several statements.
    Stored times are UTC: a time SQLite returns without a zone comes back with it."""
    if conn.dialect.name != "postgresql":
        found = conn.execute(newest).scalar()
    else:
        with writers_paused(conn):
            found = conn.execute(newest).scalar()
    if found is not None and not isinstance(found, datetime):
        raise TypeError(f"the newest stamp read as {type(found).__name__}: give the select a type")
    return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)


def _take_the_write_lock(conn: Connection) -> None:
    conn.execute(link_state.update().where(link_state.c.id == 1).values(id=1))

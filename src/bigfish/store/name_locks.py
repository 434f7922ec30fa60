"""One creator of names at a time: the check that a new organization, sharing group or user
name shows like no taken one (`bigfish.confusables`) and the insert of that name are one step.

Look-alike keys are computed per check and never stored, so no unique constraint can stop two
look-alikes: two transactions that each read the taken names, then insert, each found the
other's missing, and `PaypaI` and `paypal` were both created (two admins, two API calls, a sync
pull beside an admin). A creator therefore calls `lock_names` first in its transaction, before
it reads the taken names, and holds the lock until it commits; the next creator of the same
namespace reads after that commit.

PostgreSQL: a transaction-level advisory lock per namespace (its keys below, beside the node's
others: `bigfish.store.stamps.WRITE_LOCK`, `bigfish.linking.state.LINK_LOCK`,
`bigfish.suggestions.state.SUGGEST_LOCK`, the migration's and the custody log's). A
transaction that also writes reports announces itself (`announce_writer`) before it takes
this lock, never after, so the two are always taken in one order. SQLite: the one write lock,
taken before the read (`BEGIN IMMEDIATE`, or already held when the transaction has written).
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Namespace = Literal["organization", "group", "user"]

#: The keys of PostgreSQL's advisory locks that creators of names hold, one per namespace.
NAME_LOCKS: dict[Namespace, int] = {
    "organization": 0x6269_6766_6E6F,  # "bigfno"
    "group": 0x6269_6766_6E67,  # "bigfng"
    "user": 0x6269_6766_6E75,  # "bigfnu"
}


def lock_names(conn: Connection, namespace: Namespace) -> None:
    """Make CONN's transaction the only creator of NAMESPACE's names until it ends. Call it
    before reading the taken names; calling it again in the same transaction does nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": NAME_LOCKS[namespace]})
        return
    # The sqlite3 module opens the transaction only at the first write: the read of the taken
    # names would come before it, outside any lock. A transaction that has written holds the
    # write lock already; otherwise IMMEDIATE takes it now (waiting up to the busy timeout).
    if not getattr(conn.connection.dbapi_connection, "in_transaction", False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

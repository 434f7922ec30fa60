"""Console actions in the audit log: a `bigfish` command that changes something (access: a key,
a user, a group, an organization; evidence and its custody log; a cooperation request or a point
of contact; a pin) appends one row to the log the API writes, its actor `console:<OS user>`, the
head signed with the node key under the data directory as the server signs it. Commands that
only read append none.

A command that fails writes no row: it changed nothing, its error went to the operator's
terminal, and many failures (a wrong --db, a missing data directory) leave no log to write to.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.audit.chain import _append, record
from bigfish.audit.entry import AuditEntry, _truncated
from bigfish.audit.head import HeadSigner
from bigfish.errors import ConfigError
from bigfish.store import Store
from bigfish.store.schema_access import audit_head


def console_actor() -> str:
    """`console:<the OS user running the command>`, or `console` when it cannot be told."""
    try:
        return f"console:{getpass.getuser()}"
    except (OSError, KeyError, ImportError):  # no LOGNAME/USER and no passwd entry
        return "console"


def head_signed_by(store: Store) -> str | None:
    """The fingerprint of the key that signed the audit log's head (None: unsigned or empty)."""
    with store.connect() as conn:
        signed_by = conn.execute(sa.select(audit_head.c.signed_by)).scalar()
    return str(signed_by) if signed_by is not None else None


@dataclass(frozen=True, slots=True)
class ConsoleAudit:
    """Where a console command records what it did: STORE's log, its head signed by SIGNER
    (None: unsigned, as on a node whose heads have never been signed)."""

    store: Store
    signer: HeadSigner | None

    def done(self, org: str | None, action: str, target: str, status: int) -> None:
        """Record that the console did ACTION on TARGET for ORG (STATUS: the API's answer to
        the same action)."""
        entry = AuditEntry(console_actor(), org, action, target, status)
        record(self.store, [entry], self.signer)

    def within(
        self, conn: Connection, rows: Sequence[tuple[str | None, str, str, int]]
    ) -> Callable[[], None]:
        """Record ROWS (each ORG, ACTION, TARGET, STATUS, as `done` takes them) in CONN's
        transaction: beside the change they record, so that both commit or neither does (a
        command stopped between the two, or a database gone, left the change without its row).
        Call what it returns once that transaction has committed, and only then: it marks the
        head signed up to the new rows (`record` does so after its commit), which rows rolled
        back would turn into a false alarm. The log's head stays locked until the commit: call
        it last in the transaction."""
        entries = [AuditEntry(console_actor(), *row) for row in rows]
        seq, bound = _append(conn, _truncated(entries), self.signer)

        def committed() -> None:
            if bound is not None and entries:
                bound.note(seq)
                bound.start()

        return committed


def console_audit(store: Store, data_dir: Path) -> ConsoleAudit:
    """The audit log of STORE as the console writes it: with the node key under DATA_DIR when it
    holds one (ConfigError when it is not the key of the node's custody log, as the server
    refuses to start). Asked before the command acts: when heads are signed and DATA_DIR holds
    no key, ConfigError, and nothing is done; an unsigned head written after a signed one
    would read as a log changed without the key, and the server would raise an alert on it."""
    from bigfish.evidence.custody import KEY_PATH
    from bigfish.evidence.log import signing_key

    if (data_dir / KEY_PATH).exists():
        return ConsoleAudit(store, HeadSigner(signing_key(store, data_dir), data_dir))
    signed_by = head_signed_by(store)
    if signed_by is not None:
        raise ConfigError(
            f"the audit log's head is signed by the node key {signed_by[:16]}…, and there is no "
            f"node key at {data_dir / KEY_PATH} to sign this action's row with: give the node's "
            "--data-dir (nothing was changed)"
        )
    return ConsoleAudit(store, None)

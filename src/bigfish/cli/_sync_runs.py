"""The runs of `bigfish sync pull` as `sync_runs` records them, for `bigfish sync runs`.

The row of a run is true at every moment (`bigfish.interop.sync`): its counts are written
page by page and delivery by delivery. What it does not say directly is how the run ended;
`run_status` reads that from `finished_at` and `error`:

- `finished_at` set, no `error`: the run finished;
- `finished_at` set, an `error`: the run failed with it;
- no `finished_at`, `error` is `DID_NOT_FINISH`: a later pull of the same peer found it never
  ended (killed, or its machine stopped);
- no `finished_at`, no `error`: under way, or stopped without ending and the peer not pulled since.

Read only: listing the runs changes nothing. Peer URLs are shown through `redact` (a pull
refuses a URL with a user name or password, but an older node's rows may hold one); no key
is ever stored in a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bigfish.cli._runs import RunStatus, status_said, when
from bigfish.interop.sync import DID_NOT_FINISH
from bigfish.store import Store
from bigfish.store.base import redact
from bigfish.store.schema_interop import sync_runs


@dataclass(frozen=True, slots=True)
class SyncRun:
    """One row of `sync_runs`, as listed."""

    id: int
    peer: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    received: int
    stored: int
    rejected: int
    webhooks: int
    webhooks_failed: int


def run_status(run: SyncRun) -> RunStatus:
    """How RUN ended, or that it has not (see the module's docstring)."""
    if run.finished_at is not None:
        return RunStatus.FINISHED if run.error is None else RunStatus.FAILED
    if run.error is None:
        return RunStatus.NOT_ENDED
    # An error without an end is only ever DID_NOT_FINISH; anything else failed it all the same.
    return RunStatus.DID_NOT_FINISH if run.error == DID_NOT_FINISH else RunStatus.FAILED


def peer_key(peer_url: str) -> str:
    """PEER_URL as `sync pull` records it in its runs (with a final /)."""
    return peer_url if peer_url.endswith("/") else peer_url + "/"


def list_sync_runs(store: Store, *, peer: str | None = None, limit: int = 20) -> list[SyncRun]:
    """The LIMIT newest runs (of PEER only, when given), newest first."""
    query = sa.select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
    if peer is not None:
        query = query.where(sync_runs.c.peer == peer_key(peer))
    with store.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SyncRun(
            id=int(row.id),
            peer=redact(str(row.peer)),
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=row.error,
            received=int(row.received),
            stored=int(row.stored),
            rejected=int(row.rejected),
            webhooks=int(row.webhooks),
            webhooks_failed=int(row.webhooks_failed),
        )
        for row in rows
    ]


def run_document(run: SyncRun) -> dict[str, object]:
    """RUN as one object of `sync runs --json`."""
    return {
        "run": run.id,
        "peer": run.peer,
        "started_at": when(run.started_at),
        "finished_at": when(run.finished_at),
        "status": run_status(run).value,
        "error": run.error,
        "received": run.received,
        "stored": run.stored,
        "rejected": run.rejected,
        "webhooks": run.webhooks,
        "webhooks_failed": run.webhooks_failed,
    }


def run_lines(run: SyncRun) -> list[str]:
    """RUN as the text listing shows it: its id, peer and status, when, and its counts."""
    status = run_status(run)
    said = status_said(status, run.error)
    return [
        f"run {run.id} from {run.peer}: {said}",
        f"  started {when(run.started_at)}, finished {when(run.finished_at) or '-'}",
        f"  received {run.received:,}: stored {run.stored:,}, rejected {run.rejected:,}; "
        f"webhooks delivered {run.webhooks:,}, failed {run.webhooks_failed:,}",
    ]

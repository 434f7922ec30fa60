"""The runs of `ingest_runs` (files ingested, API batches, STIX/MISP imports), for
`bigfish ingest --runs`.

A file's run counts, in its row, what each committed batch did (`bigfish.intake.service`).
What the row does not say directly is how the run ended; `run_status` reads that from
`finished_at` and `error`:

- `finished_at` set, no `error`: the run finished;
- an `error` other than `DID_NOT_FINISH`: the run failed with it;
- no `finished_at`, `error` is `DID_NOT_FINISH`: a later ingest of the same file by the same
  organization found it never ended (killed, or its machine stopped);
- no `finished_at`, no `error`: under way, or stopped without ending and the file not ingested
  again since.

Read only: listing the runs changes nothing. Sources are shown through `redact` (an import's
source may be a peer's URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bigfish.cli._lines import printable
from bigfish.cli._runs import RunStatus, status_said, when
from bigfish.intake.service import DID_NOT_FINISH
from bigfish.store import Store
from bigfish.store.base import redact
from bigfish.store.schema import ingest_runs, organizations


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One row of `ingest_runs`, as listed."""

    id: int
    org: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    received: int
    stored: int
    updated: int
    rejected: int


def run_status(run: IngestRun) -> RunStatus:
    """How RUN ended, or that it has not (see the module's docstring)."""
    if run.error is None:
        return RunStatus.FINISHED if run.finished_at is not None else RunStatus.NOT_ENDED
    if run.error == DID_NOT_FINISH and run.finished_at is None:
        return RunStatus.DID_NOT_FINISH
    return RunStatus.FAILED


def list_ingest_runs(store: Store, *, org: str | None = None, limit: int = 20) -> list[IngestRun]:
    """The LIMIT newest runs (of organization ORG only, when given), newest first."""
    query = (
        sa.select(ingest_runs, organizations.c.name.label("org"))
        .join(organizations, organizations.c.id == ingest_runs.c.org_id)
        .order_by(ingest_runs.c.id.desc())
        .limit(limit)
    )
    if org is not None:
        query = query.where(organizations.c.name == org)
    with store.connect() as conn:
        rows = conn.execute(query).all()
    return [
        IngestRun(
            id=int(row.id),
            org=str(row.org),
            source=redact(str(row.source)),
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=row.error,
            received=int(row.received),
            stored=int(row.stored),
            updated=int(row.updated),
            rejected=int(row.rejected),
        )
        for row in rows
    ]


def run_document(run: IngestRun) -> dict[str, object]:
    """RUN as one object of `ingest --runs --json`."""
    return {
        "run": run.id,
        "org": run.org,
        "source": run.source,
        "started_at": when(run.started_at),
        "finished_at": when(run.finished_at),
        "status": run_status(run).value,
        "error": run.error,
        "received": run.received,
        "stored": run.stored,
        "updated": run.updated,
        "rejected": run.rejected,
    }


def run_lines(run: IngestRun) -> list[str]:
    """RUN as the text listing shows it: its id, organization, source and status, when, and
    its counts."""
    status = run_status(run)
    said = status_said(status, run.error)
    return [
        f"run {run.id} of {run.org} from {printable(run.source)}: {said}",
        f"  started {when(run.started_at)}, finished {when(run.finished_at) or '-'}",
        f"  received {run.received:,}: stored {run.stored:,}, updated {run.updated:,}, "
        f"rejected {run.rejected:,}",
    ]

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

`FileLines` prints the line each file's run gets as `bigfish ingest` goes: in the order of the
files, each once it can be told whole, which for a file whose reports alert webhooks is once the
deliveries of those alerts are done (the next files are ingested meanwhile).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer

from bigfish.cli._lines import printable
from bigfish.cli._runs import RunStatus, status_said, when
from bigfish.intake.service import DID_NOT_FINISH, IngestResult
from bigfish.store import Store
from bigfish.store.base import redact
from bigfish.store.schema import ingest_runs, organizations

if TYPE_CHECKING:  # bigfish.alerts loads the linking (scipy): `bigfish org` has no need of it
    from bigfish.alerts import Deliveries


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


#: Reasons of failed deliveries shown per file; the log has them all.
_PROBLEMS_SHOWN = 5


class FileLines:
    """The lines of `bigfish ingest`, one a file, printed in the order of the files, each once
    it can be told whole: a file's as soon as it is ingested (`ingested`), or, when its
    reports' alerts went to the webhooks' queue, once their deliveries are done (`sent`, the
    queue's SETTLED: on whichever thread ends them), with the failed ones named on stderr. A
    file that could not be read has its JSON line in its place (`refused`). Several threads
    may call it at once.

    Lines are printed by the thread that makes them ready, unless ON_CALLERS_THREAD: then only
    by the thread that made this (at `ingested`, `refused` and `flush`). A progress bar shown
    on stderr takes over sys.stdout while it runs (rich prints what is written there above
    the bar, on stderr): a line printed meanwhile by a delivery thread would leave stdout."""

    def __init__(self, as_json: bool, *, on_callers_thread: bool = False) -> None:
        self._as_json = as_json
        self._printer = threading.current_thread() if on_callers_thread else None
        self._lock = threading.Lock()
        self._next = 0  # the place of the next line to print
        self._ready: dict[int, Callable[[], None]] = {}
        self._waiting: dict[int, IngestResult] = {}  # by place: ingested, deliveries going on

    def refused(self, place: int, document: dict[str, str]) -> None:
        """The file at PLACE could not be read: DOCUMENT is its JSON line (none as text)."""
        line = json.dumps(document, ensure_ascii=False)
        self._put(place, (lambda: typer.echo(line)) if self._as_json else (lambda: None))

    def ingested(self, place: int, result: IngestResult, *, alerting: bool) -> None:
        """The file at PLACE is ingested: its line is RESULT, printed now unless ALERTING (its
        alerts handed to webhooks next: printed once `sent` tells their deliveries)."""
        if alerting:
            with self._lock:
                self._waiting[place] = result
        else:
            self._put(place, lambda: self._show(result, None))

    def sent(self, place: Hashable, done: Deliveries) -> None:
        """The deliveries of the alerts of the file at PLACE did DONE: its line is printed in
        its turn."""
        assert isinstance(place, int)
        with self._lock:
            result = self._waiting.pop(place)
        self._put(place, lambda: self._show(result, done))

    def waiting(self) -> bool:
        """Whether some file's line waits for its deliveries."""
        with self._lock:
            return bool(self._waiting)

    def flush(self) -> None:
        """Print the lines ready, in order, up to the first one not ready yet."""
        with self._lock:
            self._flush()

    def _put(self, place: int, show: Callable[[], None]) -> None:
        with self._lock:
            self._ready[place] = show
            if self._printer in (None, threading.current_thread()):
                self._flush()

    def _flush(self) -> None:
        while self._next in self._ready:
            self._ready.pop(self._next)()
            self._next += 1

    def _show(self, result: IngestResult, sent: Deliveries | None) -> None:
        if sent is not None and sent.failed:
            shown = "; ".join(sent.problems[:_PROBLEMS_SHOWN])
            more = len(sent.problems) - _PROBLEMS_SHOWN
            typer.echo(
                f"warning: {printable(result.file)}: {sent.failed:,} of "
                f"{sent.failed + sent.delivered:,} "
                "webhook deliveries failed and are not retried (the reports are stored; "
                f"GET /api/v1/alerts?since=… catches up): {shown}"
                + (f" and {more} other reasons" if more > 0 else ""),
                err=True,
            )
        typer.echo(file_line(result, sent, self._as_json))


def file_line(result: IngestResult, sent: Deliveries | None, as_json: bool) -> str:
    """RESULT's line, with what the deliveries of its alerts did (SENT, None: none were)."""
    delivered, failed = (sent.delivered, sent.failed) if sent is not None else (0, 0)
    if as_json:
        record = {
            "file": result.file,
            "org": result.org,
            "received": result.received,
            "stored": result.stored,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "rejects": str(result.rejects_path) if result.rejects_path else None,
            "webhooks": delivered,
            "webhooks_failed": failed,
        }
        return json.dumps(record, ensure_ascii=False)
    updated = f"updated {result.updated:,}"
    if result.unchanged:
        updated += f" ({result.unchanged:,} unchanged)"
    line = (
        f"{printable(result.file)}: received {result.received:,} / stored {result.stored:,} / "
        f"{updated} / rejected {result.rejected:,}"
    )
    if result.rejects_path:
        line += f" (reasons in {printable(result.rejects_path)})"
    if delivered or failed:
        line += f"; webhooks delivered {delivered:,}"
        line += f", failed {failed:,}" if failed else ""
    return line

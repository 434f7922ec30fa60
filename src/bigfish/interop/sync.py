"""`bigfish sync pull`: pull a peer's TAXII 2.1 collections into this node, accounted and resumable.

Each page is stored and the peer's position (`next`, then `added_after`) advanced in one
transaction, so a pull killed at any point resumes where its last committed page ended and a
re-pull stores nothing twice (reports keep their STIX id and version). Every page ends with
received = stored + rejected; each rejection is kept with the object's id and a reason
(`sync_rejections`). Once a page is committed, the alerts its reports raise are handed to this
node's organizations' webhooks through one queue for the whole pull (`WebhookQueue`): the pull
goes on to its next page without waiting for them, so a slow receiver delays only its own
alerts; once its pages are done, it waits for the deliveries and counts them, and those that
failed. Outgoing requests go through `bigfish.outgoing.guarded_request`: loopback, link-local
and private addresses are refused unless an administrator allowed that exact peer.

What a peer answers is read within limits (`bigfish.interop.sync_pages`, whose constants this
module re-exports): what the peer got wrong is a PeerError naming the peer, which `pull_every`
reports and retries at the next turn; an object the node cannot store (a NUL in its text:
`bigfish.interop.importer`) is rejected alone, with its field.

A pull that fails part-way (the peer answers nonsense on page 3, the database goes away) keeps
the pages it committed and delivers their alerts: its error is a PullFailed (a PeerError or a
StoreError still) whose `result` counts them, and `sync_runs` records them with the error.

The run's row is true at every moment, not only once the pull ends: each page's counts
(received, stored, rejected) are written in the page's own transaction, and its webhook
deliveries (delivered, failed) as each webhook's turn of them is done. A pull killed outright
(SIGKILL, the machine losing power) leaves a row that counts every page it committed and every
delivery it made, with `finished_at` NULL: a run that did not finish, unless its process still
runs. The next pull of the same peer says so in that row's `error` (`DID_NOT_FINISH`), leaving
`finished_at` NULL (when it stopped is not known); should that run in fact still be going (two
processes pulling one peer at once), its own end writes its error, or none, over it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from bigfish.alerts import Deliveries, WebhookQueue
from bigfish.audit import redacted_path, redacted_query
from bigfish.errors import BigfishError, InputError, PeerError, StoreError
from bigfish.interop.importer import ImportOutcome, import_objects
from bigfish.interop.sync_pages import (
    MAX_API_ROOTS,
    MAX_COLLECTIONS,
    MAX_EMPTY_PAGES,
    MAX_PAGES,
    MAX_RESPONSE_BYTES,
    OVERLAP,
    REQUEST_DEADLINE,
    Page,
    Peer,
    read_pages,
    readable_collections,
    save_position,
)
from bigfish.organizations import NewOrgs
from bigfish.store import Store
from bigfish.store.schema_interop import sync_rejections, sync_runs
from bigfish.store.writes import IdentifierIds, transaction_with_ids

if TYPE_CHECKING:
    from bigfish.audit import ConsoleAudit

log = logging.getLogger(__name__)

Progress = Callable[[int], None]  # objects received so far

#: The `error` the next pull of a peer gives an earlier run of it that never ended.
DID_NOT_FINISH = (
    "did not finish: the pull stopped without ending (killed, or its machine stopped); it "
    "counts what it committed and delivered until then"
)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one pull did: received = stored + rejected (stored = new + updated + unchanged +
    withdrawn + supporting objects); webhook deliveries answered 2xx and the others, and why
    those failed (each reason once, naming the webhook's organization and origin, never its
    secret); alerts dropped, not sent, because too many waited for a busy webhook (counted
    among the failed deliveries too: `bigfish.alerts.delivery.MAX_WAITING_ALERTS`)."""

    peer: str
    run_id: int
    collections: int
    received: int
    stored: int
    rejected: int
    new: int
    updated: int
    unchanged: int
    withdrawn: int = 0  # copies deleted because the peer revoked their report
    webhooks: int = 0
    webhooks_failed: int = 0
    webhook_problems: tuple[str, ...] = ()
    webhook_alerts_dropped: int = 0


class PullFailed(BigfishError):
    """A pull that failed part-way, and `result`: what it did before (the pages it stored,
    their rejections, the webhook deliveries their alerts made and those that failed), as
    recorded in its `sync_runs` row with the error. Raised as PeerPullFailed or StorePullFailed:
    a PeerError or a StoreError to whoever catches those."""

    def __init__(self, message: str, result: SyncResult) -> None:
        super().__init__(message)
        self.result = result


class PeerPullFailed(PullFailed, PeerError):
    """A pull the peer failed part-way (down, refusing, answering nonsense)."""


class StorePullFailed(PullFailed, StoreError):
    """A pull this node's database failed part-way (unreachable, locked, its file gone)."""


def _database_error(exc: sa.exc.OperationalError) -> StoreError:
    return StoreError(f"database error: {str(exc.orig).splitlines()[0][:200]}")


class _Run:
    """The accounting of one pull, committed page by page with the pages, and its webhook
    deliveries as they are done (each webhook's turn), so that a kill leaves its row true."""

    def __init__(self, store: Store, peer_url: str, *, webhooks: bool = True) -> None:
        """Begin the run, saying of PEER_URL's earlier runs that never ended that they did not
        finish (`DID_NOT_FINISH`)."""
        self.store = store
        self.webhooks = webhooks
        with store.begin() as conn:
            conn.execute(
                sync_runs.update()
                .where(
                    sync_runs.c.peer == peer_url,
                    sync_runs.c.finished_at.is_(None),
                    sync_runs.c.error.is_(None),
                )
                .values(error=DID_NOT_FINISH)
            )
            self.id = int(
                conn.execute(
                    sync_runs.insert()
                    .values(peer=peer_url, started_at=datetime.now(UTC))
                    .returning(sync_runs.c.id)
                ).scalar_one()
            )
        self.received = self.stored = self.rejected = self.new = self.updated = self.unchanged = 0
        self.withdrawn = 0
        self.deliveries = Deliveries()
        self._queue: WebhookQueue | None = None  # once a page raised alerts

    def record(self, conn: sa.Connection, outcome: ImportOutcome) -> None:
        """Keep every rejection of OUTCOME, without the NUL characters PostgreSQL keeps no text
        with, and the run's counts with it, in CONN's transaction (`count` once committed)."""
        rejections = outcome.rejections
        if rejections:
            conn.execute(
                sync_rejections.insert(),
                [
                    {
                        "run_id": self.id,
                        "object_id": (i or "").replace("\x00", "\\x00")[:200],
                        "reason": r.replace("\x00", "\\x00")[:1000],
                    }
                    for i, r in rejections
                ],
            )
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.id == self.id)
            .values(
                received=self.received + outcome.received,
                stored=self.stored + outcome.stored,
                rejected=self.rejected + outcome.rejected,
            )
        )

    def count(self, outcome: ImportOutcome) -> None:
        """Count OUTCOME, whose page is committed (a page rolled back counts nothing)."""
        self.received += outcome.received
        self.stored += outcome.stored
        self.rejected += outcome.rejected
        self.new += outcome.new
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.withdrawn += outcome.withdrawn

    def alert(self, written: Sequence[int]) -> None:
        """Once a page is committed: hand the alerts its reports WRITTEN raise to this node's
        organizations' webhooks, as for a submission through the API, without waiting for
        them (`delivered` does). A failure is logged as it happens, by organization and
        origin, never the secret, and never retried; `GET /api/v1/alerts?since=…` catches up."""
        if not self.webhooks or not written:
            return
        if self._queue is None:
            self._queue = WebhookQueue(
                self.store, problem=_log_problem, counted=self._write_deliveries
            )
        self._queue.add(written)

    def _write_deliveries(self, done: Deliveries) -> None:
        """Add DONE, a webhook's turn of deliveries just ended, to the run's row at once (on
        its delivery thread): a pull killed later still counts them. If the database cannot
        take it now, the log says so and the run's end writes every delivery."""
        if not (done.delivered or done.failed):
            return
        try:
            with self.store.begin() as conn:
                conn.execute(
                    sync_runs.update()
                    .where(sync_runs.c.id == self.id)
                    .values(
                        webhooks=sync_runs.c.webhooks + done.delivered,
                        webhooks_failed=sync_runs.c.webhooks_failed + done.failed,
                    )
                )
        except (sa.exc.SQLAlchemyError, StoreError) as exc:
            log.warning(
                "sync run %d: %d webhook deliveries not counted in its row yet: %s",
                self.id,
                done.delivered + done.failed,
                str(getattr(exc, "orig", None) or exc).splitlines()[0][:200],
            )

    def delivered(self) -> None:
        """Wait until the alerts handed over are sent (each delivery within its deadline), and
        count them (the run's row has each as it was done; its end writes them all again)."""
        if self._queue is not None:
            self.deliveries += self._queue.close()
            self._queue = None  # only once all are counted: `_end` writes them then

    def finish(self, peer_url: str, collections: int) -> SyncResult:
        """Date the run's end, once its deliveries are sent; what it did."""
        self.delivered()
        self._end()
        return self.result(peer_url, collections)

    def _end(self, error: str | None = None) -> None:
        """Date the run's end, and ERROR when it failed, with all its deliveries once they are
        sent (those written as they were done, and any the database could not take then); when
        they are not (a second Ctrl-C while they were), the row keeps those written as done."""
        ended: dict[str, object] = {"finished_at": datetime.now(UTC), "error": None}
        if error is not None:  # None: over a DID_NOT_FINISH a pull of the same peer wrote
            ended["error"] = error.replace("\x00", "\\x00")[:1000]
        if self._queue is None:
            ended["webhooks"] = self.deliveries.delivered
            ended["webhooks_failed"] = self.deliveries.failed
        with self.store.begin() as conn:
            conn.execute(sync_runs.update().where(sync_runs.c.id == self.id).values(**ended))

    def fail(self, error: BaseException, peer_url: str, collections: int) -> SyncResult:
        """Date the run's end with ERROR, which failed it; what it did before. What the pages
        committed stays counted, and their alerts are sent first; if the database cannot take
        even this (it failed the pull), the log says so and the result still counts it all."""
        why = str(error) if isinstance(error, BigfishError) else f"{type(error).__name__}: {error}"
        try:
            self.delivered()
        finally:  # a second Ctrl-C while they are sent: the run is still dated, as it stands
            try:
                self._end(why)
            except (sa.exc.SQLAlchemyError, StoreError) as exc:
                log.warning(
                    "sync run %d failed (%s) and could not be recorded so: %s",
                    self.id,
                    why[:200],
                    str(getattr(exc, "orig", None) or exc).splitlines()[0][:200],
                )
        return self.result(peer_url, collections)

    def result(self, peer_url: str, collections: int) -> SyncResult:
        """What the run did so far."""
        return SyncResult(
            peer_url,
            self.id,
            collections,
            self.received,
            self.stored,
            self.rejected,
            self.new,
            self.updated,
            self.unchanged,
            self.withdrawn,
            self.deliveries.delivered,
            self.deliveries.failed,
            self.deliveries.problems,
            self.deliveries.dropped,
        )


def _store_page(
    conn: sa.Connection,
    *,
    found: Page,
    run: _Run,
    peer_url: str,
    collection: str,
    default_org: str,
    ids: IdentifierIds,
    audit: ConsoleAudit | None,
) -> tuple[ImportOutcome, NewOrgs | None]:
    """Store page FOUND of COLLECTION, its accounting in RUN and the position after it, in
    CONN's transaction: nothing outside it, so that it may run again. The organizations it
    creates are recorded in AUDIT's log in the same transaction: what it returns with the
    outcome is told once that transaction commits (`NewOrgs.committed`)."""
    created = NewOrgs(audit, "org add by sync pull", _shown(peer_url)) if audit else None
    outcome = import_objects(
        conn, found.objects, peer=peer_url, default_org=default_org, ids=ids, created=created
    )
    run.record(conn, outcome)
    save_position(conn, peer_url, collection, found.added_after, found.next_token)
    return outcome, created


def _shown(peer_url: str) -> str:
    """PEER_URL as the audit log keeps it: a key pasted into its path or query `[redacted]`
    (a user name or password in it is refused before anything is pulled: `Peer`)."""
    parts = urlsplit(peer_url)
    query = "?" + redacted_query(parts.query) if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{redacted_path(parts.path)}{query}"


def _pull_collection(
    store: Store,
    peer: Peer,
    run: _Run,
    peer_url: str,
    url: str,
    collection: str,
    *,
    default_org: str,
    page: int,
    ids: IdentifierIds,
    progress: Progress | None,
    from_start: bool = False,
    audit: ConsoleAudit | None = None,
) -> None:
    """Store the pages of collection URL, each with the position after it and the audit rows
    of the organizations it creates (AUDIT's), and hand over the alerts of each."""
    for found in read_pages(
        store, peer, peer_url, url, collection, page=page, from_start=from_start
    ):
        write = partial(
            _store_page,
            found=found,
            run=run,
            peer_url=peer_url,
            collection=collection,
            default_org=default_org,
            ids=ids,
            audit=audit,
        )
        try:
            # Run again when the database undid it (a deadlock with the background linker):
            # counted and its alerts handed over once, when committed.
            outcome, created = transaction_with_ids(store, ids, write)
            if created is not None:
                created.committed()
            run.count(outcome)
            run.alert(outcome.written)
        except RecursionError:  # an object the parser read but nothing after it can walk
            raise PeerError(f"{url} answered an object nested too deep to store") from None
        except sa.exc.DataError as exc:  # a value the database refuses that no check caught
            raise PeerError(
                f"{url}: the database refused a value of this page, which is not stored "
                f"({str(exc.orig).splitlines()[0][:200]})"
            ) from None
        if progress is not None:
            progress(run.received)


def _log_problem(problem: str) -> None:
    log.warning("webhook not delivered: %s", problem)


def default_org_for(peer_url: str) -> str:
    """The organization that holds a peer's reports that name none: `peer-HOST-PORT`."""
    parts = urlsplit(peer_url)
    return f"peer-{parts.hostname}-{parts.port or (443 if parts.scheme == 'https' else 80)}"


def pull(
    store: Store,
    peer_url: str,
    key: str,
    *,
    default_org: str | None = None,
    basic_user: str | None = None,
    page: int = 1000,
    transport: httpx.BaseTransport | None = None,
    progress: Progress | None = None,
    from_start: bool = False,
    webhooks: bool = True,
    audit: ConsoleAudit | None = None,
) -> SyncResult:
    """Pull every collection PEER_URL (a TAXII discovery URL or API root) lets KEY read.
    FROM_START: every object of every collection, not only those added since the last pull
    (what is held unchanged counts as unchanged): after this node's organization rejoined a
    group, say, whose reports it deleted when it left. WEBHOOKS: the alerts the pulled reports
    raise go to this node's organizations' webhooks, handed over page by page without waiting
    (a slow receiver delays only its own), and the pull returns once they are sent, counted.
    AUDIT: the log that records each organization the pull creates (a report's, a request's
    party new here), in the transaction of the page that creates it (action `org add by sync
    pull`, target `NAME from PEER_URL`); None writes no row.

    A pull that fails once its run began raises PeerPullFailed or StorePullFailed (a
    PeerError or a StoreError, the same message; a database's OperationalError becomes one)
    carrying what it did before; any other error is recorded in the run and raised as it is."""
    # InputError naming the URL (a port above 65535, an unclosed [) before anything is sent
    peer = Peer(store, peer_url, key, basic_user=basic_user, transport=transport)
    peer_url = peer_url if peer_url.endswith("/") else peer_url + "/"
    org = default_org or default_org_for(peer_url)
    run = _Run(store, peer_url, webhooks=webhooks)
    ids = IdentifierIds()
    count = 0
    try:
        for collection, url in readable_collections(peer, peer_url):
            count += 1
            _pull_collection(
                store,
                peer,
                run,
                peer_url,
                url,
                collection,
                default_org=org,
                page=page,
                ids=ids,
                progress=progress,
                from_start=from_start,
                audit=audit,
            )
    except PeerError as exc:
        raise PeerPullFailed(str(exc), run.fail(exc, peer_url, count)) from exc
    except StoreError as exc:
        raise StorePullFailed(str(exc), run.fail(exc, peer_url, count)) from exc
    except sa.exc.OperationalError as exc:  # a read (`Store.connect`) says it so
        error = _database_error(exc)
        raise StorePullFailed(str(error), run.fail(error, peer_url, count)) from exc
    except BaseException as exc:  # not foreseen, or Ctrl-C: recorded with what the run did
        run.fail(exc, peer_url, count)
        raise
    return run.finish(peer_url, count)


def rejections(store: Store, run_id: int) -> list[tuple[str, str]]:
    """The (object id, reason) of every object run RUN_ID rejected."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(sync_rejections.c.object_id, sync_rejections.c.reason)
            .where(sync_rejections.c.run_id == run_id)
            .order_by(sync_rejections.c.id)
        ).all()
    return [(str(r.object_id), str(r.reason)) for r in rows]


def pull_every(
    pull_once: Callable[[], SyncResult],
    every: float,
    *,
    runs: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Iterator[SyncResult | PeerError | StoreError]:
    """Scheduled pulls: PULL_ONCE, then again EVERY seconds after each one began, RUNS times
    (for ever when None). A pull that fails on the peer's side (down, refusing, answering
    nonsense) or on this node's database's (unreachable, locked, its file gone) is yielded as
    its error (a PullFailed, with what it did before, once `pull` began its run) and tried
    again at the next turn: neither outage may stop the schedule. Pulls never overlap; a pull
    longer than EVERY is followed at once by the next."""
    if every <= 0:
        raise InputError("the interval must be positive", field="every")
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    done = 0
    while runs is None or done < runs:
        began = clock()
        try:
            yield pull_once()
        except (PeerError, StoreError) as exc:
            yield exc
        except sa.exc.OperationalError as exc:  # a read (`Store.connect`) says it so
            yield _database_error(exc)
        done += 1
        if runs is None or done < runs:
            sleep(max(0.0, every - (clock() - began)))


__all__ = [
    "DID_NOT_FINISH",
    "MAX_API_ROOTS",
    "MAX_COLLECTIONS",
    "MAX_EMPTY_PAGES",
    "MAX_PAGES",
    "MAX_RESPONSE_BYTES",
    "OVERLAP",
    "REQUEST_DEADLINE",
    "PeerPullFailed",
    "PullFailed",
    "StorePullFailed",
    "SyncResult",
    "default_org_for",
    "pull",
    "pull_every",
    "rejections",
]

"""New reports' alerts go out, signed (`bigfish.webhooks`), to the holders' webhooks."""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa

from bigfish.alerts.holders import holders_to_alert
from bigfish.alerts.model import Alert
from bigfish.errors import BigfishError
from bigfish.store import Store
from bigfish.store.schema import ingest_runs, organizations, reports
from bigfish.store.schema_access import webhooks
from bigfish.webhooks import (
    deliver,
    delivery_targets,
    list_allowed_peers,
    origin_of,
    still_registered,
)

log = logging.getLogger(__name__)

#: Reports whose alerts go out together after an ingest: the API's largest batch
#: (`bigfish.api.schemas.MAX_BATCH`), so that a file alerts as its reports submitted through the
#: API in the fewest batches would: one round of deliveries per 10,000 reports.
RUN_BATCH = 10_000

#: Alerts one webhook delivery carries at most: a holder's alerts of one round go out as several
#: deliveries, each signed and counted (a round's single document measured 6.7 MB when a holder
#: got all the alerts of 10,000 reports at once).
MAX_ALERTS_PER_DELIVERY = 1_000

#: Webhooks delivered to at once, each on its own thread: a receiver that never answers holds
#: one thread until its delivery's deadline (`bigfish.webhooks.deliver`: 10 s without an answer,
#: 30 s in all) instead of delaying every webhook after it.
DELIVERY_THREADS = 8


def alert_document(alerts: Sequence[Alert]) -> bytes:
    """The JSON body of a webhook delivery."""
    return json.dumps(
        {
            "alerts": [
                {
                    "id": a.id,
                    "created_at": a.created_at.isoformat(),
                    "identifier": {"kind": a.kind, "canonical": a.canonical},
                    "report": {
                        "org": a.org,
                        "report_id": a.report_id,
                        "country": a.country,
                        "reported_at": a.reported_at.isoformat(),
                    },
                }
                for a in alerts
            ]
        },
        ensure_ascii=False,
    ).encode()


#: Sends one delivery: (url, secret, body, allowed peers) to the HTTP status, as
#: `bigfish.webhooks.deliver` does; called from several threads at once.
Deliver = Callable[[str, str, bytes, list[str]], int]


@dataclass(frozen=True, slots=True)
class Deliveries:
    """What sending webhooks did: deliveries answered 2xx, the others, and why those failed
    (each reason once, naming the webhook's origin, never its secret)."""

    delivered: int = 0
    failed: int = 0
    problems: tuple[str, ...] = ()

    def __add__(self, other: Deliveries) -> Deliveries:
        return Deliveries(
            self.delivered + other.delivered,
            self.failed + other.failed,
            tuple(dict.fromkeys(self.problems + other.problems)),
        )


def deliver_alerts(
    store: Store, report_pks: Sequence[int], send: Deliver | None = None
) -> Deliveries:
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks: each webhook gets
    its holder's alerts, at most MAX_ALERTS_PER_DELIVERY a delivery, and different webhooks
    are delivered to at once (DELIVERY_THREADS). Nothing is retried. A refused or failing
    peer is counted and named by its organization and origin (never the secret), in the order
    of organizations' names then webhooks, never raised. A webhook removed meanwhile is sent
    nothing more from then on (a delivery already on its way ends), and what it is not sent
    counts neither delivered nor failed."""
    send = send or (lambda url, secret, body, peers: deliver(url, secret, body, peers))
    with store.connect() as conn:
        listening = {
            int(org_id): str(name)
            for org_id, name in conn.execute(
                sa.select(organizations.c.id, organizations.c.name).where(
                    organizations.c.id.in_(sa.select(webhooks.c.org_id))
                )
            )
        }
    if not listening:  # no webhook at all: the holders' query (most of the cost) is not run
        return Deliveries()
    targets = holders_to_alert(store, report_pks, listening)  # only holders with a webhook
    # Everything read from the store (secrets included) is read here, on the caller's thread;
    # the delivery threads only send.
    jobs = _webhook_deliveries(store, targets, listening)
    if not jobs:
        return Deliveries()
    peers = [origin for origin, _ in list_allowed_peers(store)]

    def registered(job: _WebhookDeliveries) -> bool:
        if job.hook_id is None:
            return True
        try:
            return still_registered(store, job.hook_id, job.secret)
        except sa.exc.SQLAlchemyError:  # the store cannot say: sent, as before the check
            log.warning("webhook %d: could not check it is still registered", job.hook_id)
            return True

    if len(jobs) == 1:
        return _send(jobs[0], peers, send, registered)
    with ThreadPoolExecutor(
        max_workers=min(DELIVERY_THREADS, len(jobs)), thread_name_prefix="bigfish-delivery"
    ) as pool:
        # in the jobs' order
        done = list(pool.map(lambda job: _send(job, peers, send, registered), jobs))
    return sum(done, Deliveries())


@dataclass(frozen=True, slots=True)
class _WebhookDeliveries:
    """What one webhook gets from one call: its holder's alerts as bodies to sign and send."""

    org: str
    url: str
    secret: str = field(repr=False)  # a traceback's locals or a debug log show no key
    bodies: tuple[bytes, ...]
    hook_id: int | None = None  # the webhook's id: its bodies go only while it is registered


def _webhook_deliveries(
    store: Store, targets: dict[int, list[Alert]], listening: dict[int, str]
) -> list[_WebhookDeliveries]:
    """The deliveries of TARGETS' alerts, by organization name, then webhook."""
    jobs: list[_WebhookDeliveries] = []
    for org_id in sorted(targets.keys() & listening.keys(), key=lambda o: (listening[o], o)):
        alerts = targets[org_id]
        bodies = tuple(
            alert_document(alerts[start : start + MAX_ALERTS_PER_DELIVERY])
            for start in range(0, len(alerts), MAX_ALERTS_PER_DELIVERY)
        )
        jobs += [
            _WebhookDeliveries(listening[org_id], url, secret, bodies, hook_id)
            for hook_id, url, secret in delivery_targets(store, org_id)
        ]
    return jobs


def _send(
    job: _WebhookDeliveries,
    peers: list[str],
    send: Deliver,
    registered: Callable[[_WebhookDeliveries], bool],
) -> Deliveries:
    """JOB's deliveries, one after another, each while its webhook is REGISTERED: a webhook
    removed meanwhile (its URL handed to someone else, say) is sent nothing more, and what it
    is not sent is not counted. Once one gets no answer (refused, unreachable, past its
    deadline), the webhook's next ones are counted failed without being sent: a dead receiver
    costs one deadline, not one per delivery."""
    delivered = failed = 0
    problems: dict[str, None] = {}
    for sent, body in enumerate(job.bodies):
        if not registered(job):
            break
        try:
            status = send(job.url, job.secret, body, peers)
        except BigfishError as exc:
            failed += len(job.bodies) - sent
            problems[f"organization {job.org}: {exc}"] = None
            break
        if 200 <= status < 300:
            delivered += 1
        else:
            failed += 1
            problems[f"organization {job.org}: {origin_of(job.url)} answered {status}"] = None
    return Deliveries(delivered, failed, tuple(problems))


def send_webhooks(store: Store, report_pks: Sequence[int], send: Deliver | None = None) -> int:
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks; returns deliveries
    that succeeded. A refused or failing peer is logged (by origin, never the secret)."""
    done = deliver_alerts(store, report_pks, send)
    for problem in done.problems:
        log.warning("webhook not delivered: %s", problem)
    return done.delivered


def send_ingest_webhooks(store: Store, run_id: int, send: Deliver | None = None) -> Deliveries:
    """Deliver the alerts of the reports ingest run RUN_ID stored or rewrote (as the API does
    for a submission), RUN_BATCH reports at a time; not of those it found unchanged, which
    raise no new alert. Call it once the run is committed.

    The reports of the run's organization stamped (updated_at) between the run's start and
    its end, both taken by the stamps' clock (`bigfish.intake.service.ingest_file`): every
    report the run stored or rewrote, whichever run sent it last. Not chosen by `ingest_run`:
    a later run of the organization that sends a report again unchanged makes it that run's
    without stamping it, and the report's alerts were then pushed by neither run. A report
    another writer of the organization stamped during the run (another run, a submission
    through the API, a re-marking) is pushed by both: at least once, as alerts are served."""
    run = ingest_runs.alias("run")
    window = (
        sa.select(reports.c.id)
        .join(run, run.c.org_id == reports.c.org_id)
        .where(
            run.c.id == run_id,
            # compared in SQL, as stored (SQLite keeps text): never a bound Python time
            reports.c.updated_at >= run.c.started_at,
            sa.or_(run.c.finished_at.is_(None), reports.c.updated_at <= run.c.finished_at),
        )
        .order_by(reports.c.id)
    )
    with store.connect() as conn:
        pks = [int(pk) for pk in conn.execute(window).scalars()]
    done = Deliveries()
    for start in range(0, len(pks), RUN_BATCH):
        done += deliver_alerts(store, pks[start : start + RUN_BATCH], send)
    return done


class WebhookDispatcher:
    """Delivers webhooks off the request path, on a small pool of threads.

    Reports handed over while the threads are busy wait together and go out together (up to
    RUN_BATCH a round): a receiver that never answers holds a thread for one deadline per round,
    not per submission, so the other webhooks' alerts are late by about two rounds at most,
    however many submissions came in meanwhile."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[int, None] = {}  # report pks in the order handed over, once each
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bigfish-webhooks")

    def __call__(self, report_pks: Sequence[int]) -> None:
        with self._lock:
            self._waiting.update(dict.fromkeys(report_pks))
        self._pool.submit(self._send_waiting)

    def _send_waiting(self) -> None:
        """Send the waiting reports' alerts, a round at a time, until none wait."""
        while True:
            with self._lock:
                batch = list(itertools.islice(self._waiting, RUN_BATCH))
                for pk in batch:
                    del self._waiting[pk]
            if not batch:
                return
            try:
                send_webhooks(self.store, batch)
            except Exception:  # a background thread: nobody else would see it
                log.exception("webhooks of %d reports not sent", len(batch))

    def close(self) -> None:
        """Finish queued deliveries."""
        self._pool.shutdown(wait=True)

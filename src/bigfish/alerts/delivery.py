"""New reports' alerts go out, signed (`bigfish.webhooks`), to the holders' webhooks.

Each webhook has its own queue (`_Outbox`): its deliveries go one after another, different
webhooks' at once, and nothing waits for a webhook but that webhook's own alerts. A round (the
alerts of a batch of reports) hands each webhook its alerts and goes on; alerts handed to a
webhook still busy with earlier ones wait for it and go out together in its next deliveries.

What waits for a busy webhook is bounded (`MAX_WAITING_ALERTS`, besides the round just handed
over): a receiver that answers just before each deadline while a long pull or ingest goes on
would otherwise hold ever more alerts in the node's memory. Beyond it the oldest waiting alerts
of that webhook alone are dropped: counted as failed deliveries (the deliveries they would have
made: one per MAX_ALERTS_PER_DELIVERY alerts dropped between two of its turns, rounded up) with
the reason, and `Deliveries.dropped` counts them; one warning a busy spell names the webhook
by id and organization (never its URL or secret). Nothing is lost: `GET /api/v1/alerts?since=…`
still serves every alert.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa

from bigfish.alerts.holders import holders_to_alert, still_alerting
from bigfish.alerts.model import Alert, Deliveries
from bigfish.alerts.sources import Settled, Source, SourceTally
from bigfish.errors import BigfishError
from bigfish.models import iso_z
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

#: Alerts that wait at most for one webhook busy with earlier deliveries, besides those of the
#: round just handed over (which are never dropped): beyond it the oldest waiting are dropped.
#: A few deliveries' worth: a receiver that keeps up loses nothing, one that answers just
#: before each deadline while a big pull runs holds this many alerts in memory, not all of them.
MAX_WAITING_ALERTS = 5 * MAX_ALERTS_PER_DELIVERY

#: Webhooks delivered to at once, each on its own thread: a receiver that never answers holds
#: one thread until its delivery's deadline (`bigfish.webhooks.deliver`: 10 s without an answer,
#: 30 s in all) instead of delaying every webhook after it. One webhook never holds more than
#: one thread: its next deliveries wait for its last.
DELIVERY_THREADS = 8


def alert_document(alerts: Sequence[Alert]) -> bytes:
    """The JSON body of a webhook delivery (times as `GET /api/v1/alerts` writes them)."""
    return json.dumps(
        {
            "alerts": [
                {
                    "id": a.id,
                    "created_at": iso_z(a.created_at),
                    "identifier": {"kind": a.kind, "canonical": a.canonical},
                    "report": {
                        "org": a.org,
                        "report_id": a.report_id,
                        "country": a.country,
                        "reported_at": iso_z(a.reported_at),
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
    return _deliver_rounds(store, [report_pks], send)


def _deliver_rounds(
    store: Store, rounds: Iterable[Sequence[int]], send: Deliver | None
) -> Deliveries:
    """Deliver the alerts of each round of reports in ROUNDS, a round handed over as soon as
    the one before it is read (not sent): a webhook still busy with an earlier round's alerts
    gets the later ones together once it is done, and the other webhooks do not wait for it.
    Returns once everything handed over is sent; problems by organization, then webhook."""
    queue = WebhookQueue(store, send)
    try:
        for report_pks in rounds:
            queue.add(report_pks)
    finally:
        done = queue.close()  # every delivery handed over ends (each within its deadline)
    return done


class WebhookQueue:
    """One queue for the alerts of rounds of reports handed over one at a time (the pages a
    `bigfish sync pull` commits): `add` hands each webhook its holder's alerts and returns
    without waiting for them, so a receiver that is slow or never answers delays only its own
    alerts (which go out together once it is done), and neither the other webhooks nor the
    caller's next round; `close` waits until everything handed over is sent and counts it.
    `add_ingest_run` hands over the reports of an ingest run (a file of `bigfish ingest`) as
    one source, whose count SETTLED, when given, is told as soon as its alerts are done
    (`bigfish.alerts.sources`: a delivery carrying several sources' alerts counts in each).

    Nothing is retried. PROBLEM, when given, is called with each failed delivery's reason
    (by organization and origin, never the secret) as it happens, on a delivery thread; COUNTED,
    when given, with what each turn of a webhook's deliveries did, as soon as it is done, on
    that thread (a `sync pull` writes it to its run's row, which a kill then does not empty).
    SETTLED is called on the thread that settles the source: the caller's, or a delivery's.
    MAX_WAITING: alerts that wait at most for a busy webhook (`MAX_WAITING_ALERTS` when None)."""

    def __init__(
        self,
        store: Store,
        send: Deliver | None = None,
        problem: Callable[[str], None] | None = None,
        *,
        counted: Callable[[Deliveries], None] | None = None,
        settled: Settled | None = None,
        max_waiting: int | None = None,
    ) -> None:
        self._store = store
        self._problem = problem
        self._counted = counted
        self._totals: dict[_Target, Deliveries] = {}  # every webhook handed alerts, once sent
        self._counting = threading.Lock()
        self._sources = SourceTally(settled)
        self._outbox = _Outbox(
            store, send or _deliver, self._count, max_waiting=max_waiting, sources=self._sources
        )
        self._sent: Deliveries | None = None

    def add(self, report_pks: Sequence[int]) -> None:
        """Hand each webhook the alerts REPORT_PKS raise (read now, on the caller's thread,
        once their reports are committed); their deliveries go on meanwhile."""
        if self._sent is not None:
            raise RuntimeError("alerts handed to a closed WebhookQueue")
        _hand_over(self._store, report_pks, self._outbox)

    def add_ingest_run(self, run_id: int, source: Source) -> None:
        """Hand each webhook the alerts of the reports ingest run RUN_ID stored or rewrote (as
        `send_ingest_webhooks` chooses them, RUN_BATCH reports at a time) as SOURCE, a name
        given once; SETTLED is told SOURCE's count once its alerts are done (at once when
        they alert no webhook). Raises what reading them raises, SOURCE settled all the same
        with what was handed over before."""
        if self._sent is not None:
            raise RuntimeError("alerts handed to a closed WebhookQueue")
        self._sources.open(source)
        try:
            for report_pks in _run_rounds(self._store, run_id):
                _hand_over(self._store, report_pks, self._outbox, source)
        finally:
            self._sources.seal(source)

    def close(self) -> Deliveries:
        """Wait until everything handed over is sent (each delivery within its deadline); what
        was delivered and what failed, problems by organization, then webhook. Nothing more may
        be handed over; closing again gives the same."""
        if self._sent is None:
            self._outbox.close()  # every webhook handed alerts has counted them
            with self._counting:
                ordered = sorted(self._totals.items(), key=lambda t: (t[0].org, t[0].hook_id or 0))
            self._sent = sum((done for _, done in ordered), Deliveries())
        return self._sent

    def _count(self, target: _Target, done: Deliveries) -> None:
        with self._counting:
            self._totals[target] = self._totals.get(target, Deliveries()) + done
        if self._counted is not None:
            try:
                self._counted(done)
            except Exception:  # a delivery thread: its webhook's queue must still empty
                log.exception("webhook deliveries not counted as they were done")
        if self._problem is None:
            return
        for problem in done.problems:
            try:
                self._problem(problem)
            except Exception:  # a delivery thread: its webhook's queue must still empty
                log.exception("webhook problem not reported: %s", problem)


def _deliver(url: str, secret: str, body: bytes, peers: list[str]) -> int:
    return deliver(url, secret, body, peers)


def _hand_over(
    store: Store, report_pks: Sequence[int], outbox: _Outbox, source: Source | None = None
) -> None:
    """Hand OUTBOX the alerts that REPORT_PKS raise, each webhook its holder's (as SOURCE's)."""
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
        return
    targets = holders_to_alert(store, report_pks, listening)  # only holders with a webhook
    # What a delivery needs (secrets included) is read here, on the caller's thread; the
    # delivery threads only send (and check the webhook is still registered).
    jobs = _webhook_alerts(store, targets, listening)
    if not jobs:
        return
    peers = [origin for origin, _ in list_allowed_peers(store)]
    for target, alerts in jobs:
        outbox.add(target, alerts, peers, source)


@dataclass(frozen=True, slots=True)
class _Target:
    """One webhook of one organization, as a round read it (a webhook removed and registered
    again, even under the same id, is another target: its secret differs)."""

    org: str
    url: str
    secret: str = field(repr=False)  # a traceback's locals or a debug log show no key
    hook_id: int | None = None
    org_id: int | None = None  # the holder: its waiting alerts are checked again at its turn


@dataclass(frozen=True, slots=True)
class _WebhookDeliveries:
    """What one webhook gets in one go: its holder's alerts, at most MAX_ALERTS_PER_DELIVERY a
    delivery, each delivery's checked, signed and sent in its turn."""

    org: str
    url: str
    secret: str = field(repr=False)  # a traceback's locals or a debug log show no key
    deliveries: tuple[tuple[Alert, ...], ...]
    hook_id: int | None = None  # the webhook's id: its deliveries go only while it is registered


def _webhook_alerts(
    store: Store, targets: dict[int, list[Alert]], listening: dict[int, str]
) -> list[tuple[_Target, list[Alert]]]:
    """TARGETS' alerts for each of their webhooks, by organization name, then webhook."""
    jobs: list[tuple[_Target, list[Alert]]] = []
    for org_id in sorted(targets.keys() & listening.keys(), key=lambda o: (listening[o], o)):
        jobs += [
            (_Target(listening[org_id], url, secret, hook_id, org_id), targets[org_id])
            for hook_id, url, secret in delivery_targets(store, org_id)
        ]
    return jobs


@dataclass(slots=True)
class _Queue:
    """A busy webhook's alerts waiting to go out (by id, in the order handed over), the
    sources each was handed over as (`WebhookQueue.add_ingest_run`), the allowed internal
    origins they go through (as last read), the alerts dropped since its last turn because too
    many waited (and of which sources), and whether this busy spell has warned of it."""

    waiting: dict[str, Alert] = field(default_factory=dict)
    sources: dict[str, frozenset[Source]] = field(default_factory=dict)
    peers: list[str] = field(default_factory=list)
    dropped: int = 0
    dropped_from: Counter[Source] = field(default_factory=Counter)
    warned: bool = False


def _drop_oldest(waiting: dict[str, Alert], keep: set[str], limit: int) -> list[str]:
    """Drop the oldest of WAITING beyond LIMIT (never those of KEEP, the round just handed
    over: LIMIT or KEEP's size, whichever is larger, stay); the ids dropped."""
    excess = len(waiting) - max(limit, len(keep))
    if excess <= 0:
        return []
    oldest = list(itertools.islice((i for i in waiting if i not in keep), excess))
    for alert_id in oldest:
        del waiting[alert_id]
    return oldest


def _dropped(target: _Target, dropped: int, limit: int) -> Deliveries:
    """DROPPED alerts of TARGET not sent: failed, as the deliveries they would have made (one
    per MAX_ALERTS_PER_DELIVERY alerts dropped since its last turn, rounded up)."""
    if not dropped:
        return Deliveries()
    problem = (
        f"organization {target.org}: {_webhook_name(target)}: alerts dropped, not sent: more "
        f"than {limit:,} waited for its receiver, still busy (GET /api/v1/alerts has them)"
    )  # the same words every turn: a pull's problems name each webhook's drops once
    deliveries = -(-dropped // MAX_ALERTS_PER_DELIVERY)
    return Deliveries(0, deliveries, (problem,), dropped)


def _webhook_name(target: _Target) -> str:
    """The webhook by id, never its URL (which may carry a credential) or secret."""
    return f"webhook {target.hook_id}" if target.hook_id is not None else "a webhook"


class _Outbox:
    """Each webhook's queue of alerts, sent on up to DELIVERY_THREADS threads: one webhook's
    deliveries one after another, different webhooks' at once. Alerts handed over for a webhook
    that is busy wait and go out together in its next deliveries (an alert handed over twice
    goes once, as last handed over), so a receiver that answers just before each deadline
    holds one thread and delays only its own alerts, and one that never answers costs one
    deadline per turn, not one per round. A webhook that has had its turn while others wait
    for a thread goes after them. At most MAX_WAITING alerts wait for a webhook besides the
    round just handed over; the oldest beyond are dropped, counted failed at its next turn.
    SOURCES, when given, counts each source's alerts (`bigfish.alerts.sources`)."""

    def __init__(
        self,
        store: Store,
        send: Deliver,
        done: Callable[[_Target, Deliveries], None],
        threads: int = DELIVERY_THREADS,
        *,
        max_waiting: int | None = None,
        sources: SourceTally | None = None,
    ) -> None:
        max_waiting = MAX_WAITING_ALERTS if max_waiting is None else max_waiting
        if max_waiting < 1:
            raise ValueError(f"max_waiting must be at least 1, not {max_waiting}")
        self._store = store
        self._send = send
        self._done = done
        self._max_waiting = max_waiting
        self._sources = sources
        self._queues: dict[_Target, _Queue] = {}  # the busy webhooks: sending or about to
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bigfish-delivery")

    def add(
        self,
        target: _Target,
        alerts: Sequence[Alert],
        peers: list[str],
        source: Source | None = None,
    ) -> None:
        """Queue ALERTS for TARGET, to go through PEERS (the allowed internal origins), as
        SOURCE's; beyond MAX_WAITING waiting, drop the oldest others (warned once a busy
        spell)."""
        with self._lock:
            queue = self._queues.get(target)
            idle = queue is None
            if queue is None:
                queue = self._queues[target] = _Queue()
            queue.waiting.update((alert.id, alert) for alert in alerts)
            queue.peers = peers
            if source is not None and self._sources is not None:
                self._sources.handed(source, _add_source(queue.sources, alerts, source))
            dropped = _drop_oldest(queue.waiting, {a.id for a in alerts}, self._max_waiting)
            for alert_id in dropped:  # counted failed, as their sources', at the next turn
                queue.dropped_from.update(queue.sources.pop(alert_id, ()))
            queue.dropped += len(dropped)
            warn = bool(dropped) and not queue.warned
            queue.warned = queue.warned or warn
        if warn:
            log.warning(
                "%s of organization %s: more than %d alerts wait for its receiver, still busy: "
                "the oldest are dropped, not sent (GET /api/v1/alerts still serves them)",
                _webhook_name(target),
                target.org,
                self._max_waiting,
            )
        if idle:  # a busy webhook sends these once its turn under way ends
            self._pool.submit(self._turn, target, queue)

    def _turn(self, target: _Target, queue: _Queue) -> None:
        """Send everything waiting for TARGET that still stands, each delivery's alerts checked
        just before it goes out (`still_alerting`: alerts may have waited, or the turn's
        earlier deliveries taken their time, while a report was re-marked, changed or deleted,
        or the holder left a group); then give the thread to the next webhook."""
        with self._lock:
            alerts = list(queue.waiting.values())
            queue.waiting.clear()
            sources, queue.sources = queue.sources, {}
            peers = queue.peers
            dropped, queue.dropped = queue.dropped, 0
            dropped_from, queue.dropped_from = queue.dropped_from, Counter()
        limit = MAX_ALERTS_PER_DELIVERY
        parts = tuple(
            tuple(alerts[start : start + limit]) for start in range(0, len(alerts), limit)
        )
        job = _WebhookDeliveries(target.org, target.url, target.secret, parts, target.hook_id)
        try:
            sent = _send(job, peers, self._send, self._registered, self._standing(target))
        except Exception:  # a thread of its own: nobody else would see it
            log.exception("webhook deliveries of organization %s not sent", target.org)
            sent = [Deliveries(0, 1, (_not_sent(job),))] * len(parts)
        lost = _dropped(target, dropped, self._max_waiting)
        self._done(target, sum((done for done in sent if done is not None), lost))
        if self._sources is not None:
            try:
                self._sources.done(*_by_source(parts, sent, sources, dropped_from, lost.problems))
            except Exception:  # a delivery thread: its webhook's queue must still empty
                log.exception("webhook deliveries of organization %s not told", target.org)
        with self._lock:
            again = bool(queue.waiting)
            if not again:
                del self._queues[target]
                self._idle.notify_all()
        if again:  # behind the webhooks already waiting for a thread
            self._pool.submit(self._turn, target, queue)

    def _standing(self, target: _Target) -> Callable[[Sequence[Alert]], list[Alert]]:
        """Those of a delivery's alerts that still stand for TARGET's holder, checked now."""
        holder = target.org_id
        if holder is None:
            return list
        return lambda alerts: still_alerting(self._store, holder, alerts)

    def _registered(self, job: _WebhookDeliveries) -> bool:
        if job.hook_id is None:
            return True
        try:
            return still_registered(self._store, job.hook_id, job.secret)
        except sa.exc.SQLAlchemyError:  # the store cannot say: sent, as before the check
            log.warning("webhook %d: could not check it is still registered", job.hook_id)
            return True

    def close(self) -> None:
        """Wait until everything queued is sent (nothing is queued from now on)."""
        with self._lock:
            while self._queues:
                self._idle.wait()
        self._pool.shutdown(wait=True)


def _send(
    job: _WebhookDeliveries,
    peers: list[str],
    send: Deliver,
    registered: Callable[[_WebhookDeliveries], bool],
    standing: Callable[[Sequence[Alert]], list[Alert]],
) -> list[Deliveries | None]:
    """What each of JOB's deliveries did (None: not sent, not counted), sent one after another,
    each while its webhook is REGISTERED and with those of its alerts still STANDING just
    before it is sent: a webhook removed meanwhile (its URL handed to someone else, say) is
    sent nothing more, and an alert re-marked away from the holder while the deliveries before
    it went out is not sent. Once one gets no answer (refused, unreachable, past its deadline),
    or cannot be checked or sent (an error), the webhook's next ones are counted failed without
    being sent: a dead receiver costs one deadline, not one per delivery."""
    sent: list[Deliveries | None] = [None] * len(job.deliveries)
    for at, alerts in enumerate(job.deliveries):
        if not registered(job):
            break
        try:
            still = standing(alerts)
            if not still:  # nothing of it stands any more: no delivery
                continue
            status = send(job.url, job.secret, alert_document(still), peers)
        except BigfishError as exc:  # refused, unreachable, past its deadline
            sent[at:] = [Deliveries(0, 1, (f"organization {job.org}: {exc}",))] * (len(sent) - at)
            break
        except Exception:  # the store, say; a delivery thread: nobody else would see it
            log.exception("webhook deliveries of organization %s not sent", job.org)
            sent[at:] = [Deliveries(0, 1, (_not_sent(job),))] * (len(sent) - at)
            break
        if 200 <= status < 300:
            sent[at] = Deliveries(1, 0)
        else:
            problem = f"organization {job.org}: {origin_of(job.url)} answered {status}"
            sent[at] = Deliveries(0, 1, (problem,))
    return sent


def _add_source(
    waiting: dict[str, frozenset[Source]], alerts: Sequence[Alert], source: Source
) -> int:
    """Note in WAITING (alert id to sources) that ALERTS were handed over as SOURCE's; how many
    of them were not already waiting as its."""
    fresh = 0
    for alert in alerts:
        had = waiting.get(alert.id, frozenset())
        if source not in had:
            waiting[alert.id] = had | {source}
            fresh += 1
    return fresh


def _by_source(
    parts: Sequence[Sequence[Alert]],
    sent: Sequence[Deliveries | None],
    sources: Mapping[str, frozenset[Source]],
    dropped_from: Mapping[Source, int],
    dropped_problems: tuple[str, ...],
) -> tuple[dict[Source, Deliveries], Counter[Source]]:
    """What a turn did for each source: each delivery SENT of PARTS counts in every source
    whose alerts it carried (SOURCES), and the alerts DROPPED_FROM a source since the last turn
    as the failed deliveries they would have made; and how many of each source's alerts the
    turn ended (sent or not, dropped)."""
    counts: dict[Source, Deliveries] = {}
    ended: Counter[Source] = Counter(dropped_from)
    for alerts, done in zip(parts, sent, strict=True):
        carried = Counter(source for alert in alerts for source in sources.get(alert.id, ()))
        ended.update(carried)
        if done is None:  # not sent: counts nowhere
            continue
        for source in carried:
            counts[source] = counts.get(source, Deliveries()) + done
    for source, dropped in dropped_from.items():
        lost = Deliveries(0, -(-dropped // MAX_ALERTS_PER_DELIVERY), dropped_problems, dropped)
        counts[source] = counts.get(source, Deliveries()) + lost
    return counts, ended


def _not_sent(job: _WebhookDeliveries) -> str:
    """Why JOB's deliveries were not sent when an error stopped them (never the secret)."""
    return f"organization {job.org}: {origin_of(job.url)}: not sent (an error)"


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
    return _deliver_rounds(store, _run_rounds(store, run_id), send)


def _run_rounds(store: Store, run_id: int) -> Iterator[list[int]]:
    """The reports ingest run RUN_ID stored or rewrote (`send_ingest_webhooks` says which),
    RUN_BATCH at a time."""
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
    return (pks[start : start + RUN_BATCH] for start in range(0, len(pks), RUN_BATCH))


class WebhookDispatcher:
    """Delivers webhooks off the request path: one thread reads each round's alerts and hands
    them to the webhooks' queues (`_Outbox`), which send them on their own threads.

    Reports handed over while a round is being read wait together and go out together (up to
    RUN_BATCH a round). A round does not wait for its deliveries: a receiver that is slow or
    never answers holds one delivery thread and its own alerts, which go out together once it
    is done, and every other webhook gets the next rounds' alerts meanwhile."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[int, None] = {}  # report pks in the order handed over, once each
        self._lock = threading.Lock()
        self._rounds = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bigfish-webhooks")
        self._outbox = _Outbox(store, _deliver, _log_problems)

    def __call__(self, report_pks: Sequence[int]) -> None:
        with self._lock:
            self._waiting.update(dict.fromkeys(report_pks))
        self._rounds.submit(self._send_waiting)

    def _send_waiting(self) -> None:
        """Hand the waiting reports' alerts to the webhooks, a round at a time, until none wait."""
        while True:
            with self._lock:
                batch = list(itertools.islice(self._waiting, RUN_BATCH))
                for pk in batch:
                    del self._waiting[pk]
            if not batch:
                return
            try:
                _hand_over(self.store, batch, self._outbox)
            except Exception:  # a background thread: nobody else would see it
                log.exception("webhooks of %d reports not sent", len(batch))

    def close(self) -> None:
        """Finish queued deliveries."""
        self._rounds.shutdown(wait=True)
        self._outbox.close()


def _log_problems(_: _Target, done: Deliveries) -> None:
    for problem in done.problems:
        log.warning("webhook not delivered: %s", problem)

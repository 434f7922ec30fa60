"""New reports' alerts go out, signed (`bigfish.webhooks`), to the holders' webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from bigfish.alerts.holders import holders_to_alert
from bigfish.alerts.model import Alert
from bigfish.errors import BigfishError
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_access import webhooks
from bigfish.webhooks import deliver, list_allowed_peers, origin_of, webhook_secrets

log = logging.getLogger(__name__)

#: Reports whose alerts go out together after an ingest: the API's largest batch
#: (`bigfish.api.schemas.MAX_BATCH`), so that a file alerts as its reports submitted through the
#: API in the fewest batches would: one delivery per webhook of a holder per 10,000 reports.
RUN_BATCH = 10_000


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
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks, one delivery per
    webhook; nothing is retried. A refused or failing peer is counted and named by its
    organization and origin (never the secret), never raised."""
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
    peers = [origin for origin, _ in list_allowed_peers(store)] if targets else []
    delivered = failed = 0
    problems: dict[str, None] = {}
    for org_id, alerts in targets.items():
        if org_id not in listening:
            continue
        body = alert_document(alerts)
        for url, secret in webhook_secrets(store, org_id):
            try:
                status = send(url, secret, body, peers)
            except BigfishError as exc:
                failed += 1
                problems[f"organization {listening[org_id]}: {exc}"] = None
                continue
            if 200 <= status < 300:
                delivered += 1
            else:
                failed += 1
                problems[
                    f"organization {listening[org_id]}: {origin_of(url)} answered {status}"
                ] = None
    return Deliveries(delivered, failed, tuple(problems))


def send_webhooks(store: Store, report_pks: Sequence[int], send: Deliver | None = None) -> int:
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks; returns deliveries
    that succeeded. A refused or failing peer is logged (by origin, never the secret)."""
    done = deliver_alerts(store, report_pks, send)
    for problem in done.problems:
        log.warning("webhook not delivered: %s", problem)
    return done.delivered


def send_ingest_webhooks(store: Store, run_id: int, send: Deliver | None = None) -> Deliveries:
    """Deliver the alerts of the reports ingest run RUN_ID stored or updated (as the API does
    for a submission), RUN_BATCH reports at a time. Call it once the run is committed and
    before a later run re-writes its reports."""
    with store.connect() as conn:
        pks = [
            int(pk)
            for pk in conn.execute(
                sa.select(reports.c.id).where(reports.c.ingest_run == run_id).order_by(reports.c.id)
            ).scalars()
        ]
    done = Deliveries()
    for start in range(0, len(pks), RUN_BATCH):
        done += deliver_alerts(store, pks[start : start + RUN_BATCH], send)
    return done


class WebhookDispatcher:
    """Delivers webhooks off the request path, on a small pool of threads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bigfish-webhooks")

    def __call__(self, report_pks: Sequence[int]) -> None:
        self._pool.submit(send_webhooks, self.store, list(report_pks))

    def close(self) -> None:
        """Finish queued deliveries."""
        self._pool.shutdown(wait=True)

"""New reports' alerts go out, signed (`bigfish.webhooks`), to the holders' webhooks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from bigfish.alerts.holders import holders_to_alert
from bigfish.alerts.model import Alert
from bigfish.errors import BigfishError
from bigfish.store import Store
from bigfish.webhooks import deliver, list_allowed_peers, webhook_secrets

log = logging.getLogger(__name__)


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


def send_webhooks(store: Store, report_pks: Sequence[int], send: Deliver | None = None) -> int:
    """Deliver the alerts that REPORT_PKS raise to every holder's webhooks; returns deliveries
    that succeeded. A refused or failing peer is logged (by origin, never the secret)."""
    send = send or (lambda url, secret, body, peers: deliver(url, secret, body, peers))
    targets = holders_to_alert(store, report_pks)
    if not targets:
        return 0
    peers = [origin for origin, _ in list_allowed_peers(store)]
    done = 0
    for org_id, alerts in targets.items():
        body = alert_document(alerts)
        for url, secret in webhook_secrets(store, org_id):
            try:
                status = send(url, secret, body, peers)
            except BigfishError as exc:
                log.warning("webhook of organization %s not delivered: %s", org_id, exc)
                continue
            done += 1 if 200 <= status < 300 else 0
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

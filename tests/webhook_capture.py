"""Webhooks caught in memory: the alerts new reports raise, delivered as in production (signed,
their peers' addresses checked: `bigfish.webhooks.deliver`) to peers that answer 204 and keep
every request. Every host name resolves to a public address; nothing reaches the network.

`capture_webhooks` sends the alerts of given reports itself; `catch_webhooks` catches those that
the code under test sends (`bigfish ingest`, say) through `bigfish.alerts.delivery`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
import pytest

from bigfish.alerts import delivery, send_webhooks
from bigfish.store import Store
from bigfish.webhooks import deliver

#: example.com's address: public, so the outgoing-address check lets it through.
PUBLIC_ADDRESS = "93.184.216.34"

Answer = Callable[[httpx.Request], httpx.Response]


@dataclass
class CapturedWebhooks:
    """The deliveries that succeeded and the requests the peers received, in the order they
    arrived (different webhooks are delivered to at once: their order among them varies)."""

    delivered: int = 0
    requests: list[httpx.Request] = field(default_factory=list)


def _sender(
    captured: CapturedWebhooks, answer: Answer | None
) -> Callable[[str, str, bytes, list[str]], int]:
    """`deliver` through an in-memory transport that keeps each request in CAPTURED and answers
    with ANSWER (204 by default; it may raise an httpx error, as an unreachable peer does)."""

    def respond(request: httpx.Request) -> httpx.Response:
        captured.requests.append(request)
        return httpx.Response(204) if answer is None else answer(request)

    def send(url: str, secret: str, body: bytes, peers: list[str]) -> int:
        return deliver(
            url,
            secret,
            body,
            peers,
            transport=httpx.MockTransport(respond),
            resolver=lambda host, port: [PUBLIC_ADDRESS],
        )

    return send


def capture_webhooks(store: Store, report_pks: Sequence[int]) -> CapturedWebhooks:
    """Send the webhooks REPORT_PKS raise (`send_webhooks`) and catch them."""
    captured = CapturedWebhooks()
    captured.delivered = send_webhooks(store, report_pks, _sender(captured, None))
    return captured


def catch_webhooks(
    monkeypatch: pytest.MonkeyPatch, answer: Answer | None = None
) -> CapturedWebhooks:
    """Catch every webhook delivered through `bigfish.alerts.delivery` from now on (signed and
    guarded as in production, each peer answering with ANSWER, 204 by default); `delivered`
    counts the 2xx answers."""
    captured = CapturedWebhooks()
    send = _sender(captured, answer)
    counting = threading.Lock()  # webhooks are delivered to from several threads at once

    def counted(url: str, secret: str, body: bytes, peers: list[str]) -> int:
        status = send(url, secret, body, peers)
        with counting:
            captured.delivered += 1 if 200 <= status < 300 else 0
        return status

    monkeypatch.setattr(delivery, "deliver", counted)
    return captured

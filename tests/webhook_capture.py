"""Webhooks caught in memory: the alerts new reports raise, delivered as in production (signed,
their peers' addresses checked: `bigfish.webhooks.deliver`) to peers that answer 204 and keep
every request. Every host name resolves to a public address; nothing reaches the network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bigfish.alerts import send_webhooks
from bigfish.store import Store
from bigfish.webhooks import deliver

#: example.com's address: public, so the outgoing-address check lets it through.
PUBLIC_ADDRESS = "93.184.216.34"


@dataclass
class CapturedWebhooks:
    """The deliveries that succeeded and the requests the peers received, in order."""

    delivered: int = 0
    requests: list[httpx.Request] = field(default_factory=list)


def capture_webhooks(store: Store, report_pks: Sequence[int]) -> CapturedWebhooks:
    """Send the webhooks REPORT_PKS raise (`send_webhooks`) and catch them."""
    captured = CapturedWebhooks()

    def answer(request: httpx.Request) -> httpx.Response:
        captured.requests.append(request)
        return httpx.Response(204)

    def send(url: str, secret: str, body: bytes, peers: list[str]) -> int:
        return deliver(
            url,
            secret,
            body,
            peers,
            transport=httpx.MockTransport(answer),
            resolver=lambda host, port: [PUBLIC_ADDRESS],
        )

    captured.delivered = send_webhooks(store, report_pks, send)
    return captured

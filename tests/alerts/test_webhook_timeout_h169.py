"""Helper 169: a webhook delivery that times out names the limit it hit, in the words a sync
pull uses ("no answer within 10 s"), not httpx's class name (``failed: ReadTimeout``), in
`deliver`'s error and so in every place that shows it (`Deliveries.problems`, the stderr of
`bigfish ingest`, a sync's webhook problems, the log)."""

from __future__ import annotations

import time

import httpx
import pytest

from bigfish import webhooks
from bigfish.errors import PeerError
from bigfish.webhooks import deliver

SECRET = "5ec7e7" * 10
URL = "https://hooks.partner.example/alerts?token=x"
PUBLIC = ["93.184.216.34"]


def _failure(answer: httpx.MockTransport, *, deadline: float = 30.0) -> str:
    with pytest.raises(PeerError) as caught:
        deliver(
            URL,
            SECRET,
            b"{}",
            [],
            transport=answer,
            resolver=lambda host, port: PUBLIC,
            deadline=deadline,
        )
    return str(caught.value)


@pytest.mark.parametrize("timeout", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.WriteTimeout])
def test_a_silent_receiver_is_named_with_the_read_limit(
    timeout: type[httpx.TimeoutException],
) -> None:
    def silent(request: httpx.Request) -> httpx.Response:
        raise timeout("timed out", request=request)

    message = _failure(httpx.MockTransport(silent))
    assert message == (
        "webhook delivery to https://hooks.partner.example:443 failed: no answer within 10 s"
    )
    assert SECRET not in message and "token" not in message


def test_the_limit_named_is_the_one_the_delivery_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text follows DELIVERY_READ_TIMEOUT, and so does the timeout each read is given."""
    monkeypatch.setattr(webhooks, "DELIVERY_READ_TIMEOUT", 2.5, raising=False)
    given: list[object] = []

    def silent(request: httpx.Request) -> httpx.Response:
        given.append(request.extensions["timeout"]["read"])
        raise httpx.ReadTimeout("timed out", request=request)

    assert _failure(httpx.MockTransport(silent)).endswith("failed: no answer within 2.5 s")
    assert given == [2.5]


def test_a_receiver_that_outlasts_the_deadline_is_named_with_the_deadline() -> None:
    """A timeout once the delivery's deadline has passed (the transport's, whatever each read
    took) names the deadline, as a sync pull's 'no whole answer within N s' does."""

    def past_the_deadline(request: httpx.Request) -> httpx.Response:
        stop = time.monotonic() + 0.05
        while time.monotonic() <= stop:  # the deadline given below is 0.05 s after the start
            time.sleep(0.01)
        raise httpx.ReadTimeout("the deadline passed", request=request)

    message = _failure(httpx.MockTransport(past_the_deadline), deadline=0.05)
    assert message == (
        "webhook delivery to https://hooks.partner.example:443 failed: "
        "no whole answer within 0.05 s"
    )


def test_other_failures_still_name_what_happened() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    assert _failure(httpx.MockTransport(refused)).endswith("failed: ConnectError")

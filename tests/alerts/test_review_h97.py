"""Review (helper 97): the lookup of a webhook's (or a peer's) name ends by the delivery's
deadline, whatever the system's resolver does."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bigfish import outgoing
from bigfish.errors import InputError, PeerError
from bigfish.outgoing import bounded_get
from bigfish.store import Store
from bigfish.webhooks import allow_peer, deliver, list_allowed_peers
from tests.polling import WAIT

SECRET = "5ec7e7" * 10


class StuckResolver:
    """socket.getaddrinfo as a resolver that does not answer: each call waits until released
    (or a few seconds, so that code that waits for it ends the test instead of hanging it)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.released = threading.Event()
        self.finished = threading.Event()
        self.calls = 0

    def __call__(self, host: str, port: object, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.started.set()
        self.released.wait(WAIT)
        self.finished.set()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


@pytest.fixture
def stuck(monkeypatch: pytest.MonkeyPatch) -> Iterator[StuckResolver]:
    resolver = StuckResolver()
    monkeypatch.setattr(outgoing.socket, "getaddrinfo", resolver)
    try:
        yield resolver
    finally:
        resolver.released.set()  # the abandoned lookup ends, and its thread with it


def _answer(request: httpx.Request) -> httpx.Response:
    raise AssertionError("nothing is sent to a name that was never resolved")


def test_a_stuck_resolver_ends_a_webhook_delivery_by_its_deadline(stuck: StuckResolver) -> None:
    """Before, deliver() waited for getaddrinfo as long as the OS resolver took: one stuck
    lookup held a delivery thread, an `alerts --every` turn and an ingest past the deadline."""
    with pytest.raises(PeerError) as caught:
        deliver(
            "https://hooks.partner.example/alerts?token=x",
            SECRET,
            b"{}",
            [],
            transport=httpx.MockTransport(_answer),
            deadline=0.2,
        )
    assert stuck.started.wait(WAIT)  # the lookup was made ...
    assert not stuck.finished.is_set()  # ... and abandoned, not waited for
    message = str(caught.value)
    assert "cannot resolve 'hooks.partner.example'" in message
    assert "no answer within" in message
    assert SECRET not in message and "token" not in message


def test_a_stuck_resolver_ends_a_sync_get_by_its_deadline(stuck: StuckResolver) -> None:
    with pytest.raises(PeerError, match=r"cannot resolve 'taxii\.partner\.example'"):
        bounded_get(
            "https://taxii.partner.example/taxii2/",
            [],
            headers={"Authorization": f"Bearer {SECRET}"},
            deadline=0.2,
            read_timeout=60.0,
            max_body_bytes=1000,
            transport=httpx.MockTransport(_answer),
        )
    assert stuck.started.wait(WAIT)
    assert not stuck.finished.is_set()


def test_lookups_left_waiting_are_bounded(
    stuck: StuckResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each abandoned lookup keeps its thread until the resolver gives up: past the bound, a
    lookup is refused at once rather than leave one more thread behind."""
    monkeypatch.setattr(outgoing, "_pending_lookups", threading.BoundedSemaphore(1))
    monkeypatch.setattr(outgoing, "MAX_PENDING_LOOKUPS", 1)
    with pytest.raises(PeerError, match="no answer within"):
        outgoing.check_outgoing_url("https://a.example/", [], resolve_timeout=0.1)
    assert stuck.started.wait(WAIT)
    with pytest.raises(PeerError, match="still waiting for the resolver"):
        outgoing.check_outgoing_url("https://b.example/", [], resolve_timeout=0.1)
    assert stuck.calls == 1
    stuck.released.set()
    for thread in threading.enumerate():
        if thread.name == "bigfish-resolve":
            thread.join(WAIT)
    # once the stuck lookup ended, its place is free again
    answered = outgoing.check_outgoing_url(
        "https://c.example/", [], lambda host, port: ["93.184.216.34"], resolve_timeout=WAIT
    )
    assert answered.addresses == ("93.184.216.34",)


def test_a_resolver_failure_is_still_the_resolvers_own() -> None:
    """What the resolver raises (here a PeerError of its own) reaches the caller unchanged."""

    def refusing(host: str, port: int) -> list[str]:
        raise PeerError(f"cannot resolve {host!r}: no such name")

    with pytest.raises(PeerError, match="no such name"):
        deliver(
            "https://gone.example/hook",
            SECRET,
            b"{}",
            [],
            transport=httpx.MockTransport(_answer),
            resolver=refusing,
        )


def test_a_resolved_public_name_is_delivered_to() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Host"])
        return httpx.Response(204)

    status = deliver(
        "https://hooks.partner.example/alerts",
        SECRET,
        b"{}",
        [],
        transport=httpx.MockTransport(answer),
        resolver=lambda host, port: ["93.184.216.34"],
    )
    assert status == 204 and seen == ["hooks.partner.example"]


def test_a_call_connects_to_the_address_the_system_prefers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getaddrinfo gives a dual-stack name's addresses in the order the host can reach them
    (IPv4 first on a node without IPv6). The addresses were sorted as text, so "2606:…" came
    before "93.…" and every delivery to such a name went over IPv6, and failed, on that node."""
    answer = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:2800:220:1::1", 443, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
    ]
    monkeypatch.setattr(outgoing.socket, "getaddrinfo", lambda *args, **kwargs: answer)
    assert outgoing.system_resolver("hooks.partner.example", 443) == [
        "93.184.216.34",
        "2606:2800:220:1::1",
    ]
    hosts: list[str] = []

    def answer_ok(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(204)

    transport = httpx.MockTransport(answer_ok)
    assert deliver("https://hooks.partner.example/a", SECRET, b"{}", [], transport=transport) == 204
    assert hosts == ["93.184.216.34"]


DUAL_STACK = ["2606:2800:220:1::1", "93.184.216.34"]


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout])
def test_an_address_that_cannot_be_connected_to_gives_way_to_the_next(
    failure: type[httpx.TransportError],
) -> None:
    """Only the first address was ever tried: a name whose first address this node cannot
    reach (an IPv6 address without a route here) was never delivered to."""
    tried: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if ":" in request.url.host:
            raise failure("unreachable", request=request)
        return httpx.Response(204)

    status = deliver(
        "https://hooks.partner.example/a",
        SECRET,
        b"{}",
        [],
        transport=httpx.MockTransport(answer),
        resolver=lambda host, port: DUAL_STACK,
    )
    assert status == 204 and tried == DUAL_STACK


def test_a_request_that_was_sent_is_never_sent_to_another_address() -> None:
    """A failure once connected (the request may have arrived) ends the call: a second address
    would receive the same signed alerts again."""
    tried: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(PeerError, match="ReadError"):
        deliver(
            "https://hooks.partner.example/a",
            SECRET,
            b"{}",
            [],
            transport=httpx.MockTransport(answer),
            resolver=lambda host, port: DUAL_STACK,
        )
    assert tried == DUAL_STACK[:1]


def test_no_address_taking_the_connection_is_a_peer_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(PeerError, match=r"hooks\.partner\.example:443 failed: ConnectError"):
        deliver(
            "https://hooks.partner.example/a",
            SECRET,
            b"{}",
            [],
            transport=httpx.MockTransport(answer),
            resolver=lambda host, port: DUAL_STACK,
        )


def test_the_deadline_transport_tells_a_refused_connection_from_other_failures() -> None:
    """What lets the next address be tried: a refused connection is httpx's ConnectError, not
    the TransportError every network failure was."""
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        pytest.raises(httpx.ConnectError),
        httpx.Client(transport=outgoing.DeadlineTransport(time.monotonic() + WAIT)) as client,
    ):
        client.get(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize(
    ("origin", "note", "field"),
    [
        ("http://10.0.0.5:8080", "VPN\x00 node", "note"),
        ("http://10.0.0.5:8080", "x" * 501, "note"),
        ("http://vn\x00node.internal:8443", None, "origin"),
        ("http://" + "a" * 300 + ".internal:8443", None, "origin"),
    ],
)
def test_an_allowance_a_store_cannot_keep_is_refused_naming_its_field(
    store: Store, origin: str, note: str | None, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        allow_peer(store, origin, note)
    assert caught.value.field == field, caught.value
    assert list_allowed_peers(store) == []
    assert allow_peer(store, "http://10.0.0.5:8080", "VN node") == "http://10.0.0.5:8080"

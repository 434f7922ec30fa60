"""Webhook deliveries: a receiver cannot make the node read an endless answer, and one
organization's unsendable URL does not cost the other organizations their alerts."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bigfish.errors import PeerError
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_access import webhooks
from bigfish.webhooks import deliver
from tests.api.helpers import Partnership, report
from tests.polling import WAIT
from tests.webhook_capture import capture_webhooks

BODY = 64 * 1024 * 1024  # what the receiver offers to send


class HugeAnswer:
    """A localhost receiver that answers every request with 200 and a 64 MiB body, counting the
    bytes the caller let it send before closing the connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.requests = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":", 1)[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests += 1
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BODY)
            chunk = b"x" * 65536
            try:
                while self.sent < BODY:
                    conn.sendall(chunk)
                    self.sent += len(chunk)
            except OSError:
                pass
        self.done.set()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def receiver() -> Iterator[HugeAnswer]:
    server = HugeAnswer()
    yield server
    server.close()


def test_a_delivery_never_reads_the_receivers_answer(receiver: HugeAnswer) -> None:
    origin = f"http://127.0.0.1:{receiver.port}"
    status = deliver(f"{origin}/hook", "s" * 64, b'{"alerts": []}', [origin])
    assert status == 200
    assert receiver.done.wait(60)
    assert receiver.requests == 1
    assert receiver.sent < BODY // 4  # the connection was closed, not drained


class Trickle:
    """A localhost receiver that answers one header byte at a time, each well within the read
    timeout, for as long as the caller stays (at most 30 s, then it gives up)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bytes = 0
        self.stop = threading.Event()
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while self.bytes < 150 and not self.stop.wait(0.2):
                    conn.sendall(b"a")
                    self.bytes += 1
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
        self.done.set()


def test_a_receiver_answering_a_byte_at_a_time_cannot_hold_a_delivery() -> None:
    """The read timeout (10 s) never fires on a byte every 0.2 s: the delivery's deadline does."""
    server = Trickle()
    origin = f"http://127.0.0.1:{server.port}"
    try:
        with pytest.raises(PeerError, match="failed"):
            deliver(f"{origin}/hook", "s" * 64, b"{}", [origin], deadline=1.0)
        assert server.bytes < 150  # cut off long before the receiver was done
    finally:
        server.stop.set()
        server.done.wait(WAIT)
        server.sock.close()


def test_an_unsendable_url_is_refused_when_registered(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    for url in ("https://hooks.example/\x7f", "https://hooks.exa\tmple/b"):
        answer = p.client.post("/api/v1/webhooks", json={"url": url}, headers=p.headers("B-admin"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"]["field"] == "url"


def test_one_unsendable_webhook_does_not_stop_the_others(
    sqlite_partnership: Partnership, caplog: pytest.LogCaptureFixture
) -> None:
    """B's webhook was stored before URLs were checked for httpx; C's still gets its alert."""
    p = sqlite_partnership
    with p.store.begin() as conn:
        ids = dict(conn.execute(sa.select(organizations.c.name, organizations.c.id)).all())
        for org, url in (("B", "https://hooks.example/\x7f"), ("C", "https://hooks.example/c")):
            conn.execute(
                webhooks.insert().values(
                    org_id=ids[org], url=url, secret="k" * 64, created_at=datetime.now(UTC)
                )
            )
    p.submit("B", [report("b1")])
    p.submit("C", [report("c1")])
    p.submit("A", [report("r1")], distribution="partnership", tlp="green")
    with p.store.connect() as conn:
        pk = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "r1")).scalar_one()
    caplog.set_level(logging.WARNING)
    captured = capture_webhooks(p.store, [pk])
    assert captured.delivered == 1
    assert [request.url.path for request in captured.requests] == ["/c"]
    assert "not delivered" in caplog.text and "k" * 64 not in caplog.text

"""A hostile TAXII peer on loopback, byte for byte: a real socket server whose discovery and
collection list are ordinary and whose objects endpoint answers whatever a test scripts (an
endless body, a body nested 100,000 deep, one byte at a time, pages that never end)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.polling import WAIT

#: (query of the objects request, connection, the peer) -> None: writes the whole answer.
Answer = Callable[[dict[str, str], socket.socket, "HostilePeer"], None]


def json_answer(body: Any, headers: dict[str, str] | None = None) -> bytes:
    """A complete 200 answer holding BODY as JSON."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/taxii+json;version=2.1\r\n"
        + head.encode()
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data)
        + data
    )


class HostilePeer:
    """Serves /taxii2/ and COLLECTIONS (one readable c1 unless given); ANSWER writes every
    objects answer.
    Counts the requests and the body bytes the objects answers got out (`sent`)."""

    def __init__(self, answer: Answer, collections: list[dict[str, Any]] | None = None) -> None:
        self.answer = answer
        self.collections = collections or [{"id": "c1", "can_read": True}]
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        #: path -> a whole raw answer served instead of the ordinary one
        self.overrides: dict[str, bytes] = {}
        self.objects_requests: list[dict[str, str]] = []
        self.sent = 0
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            target = data.split(b" ", 2)[1].decode()
            parts = urlsplit(target)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            try:
                if parts.path in self.overrides:
                    conn.sendall(self.overrides[parts.path])
                elif parts.path == "/taxii2/":
                    conn.sendall(json_answer({"api_roots": [f"{self.base}/taxii2/api/"]}))
                elif parts.path == "/taxii2/api/collections/":
                    conn.sendall(json_answer({"collections": self.collections}))
                elif parts.path.startswith("/taxii2/api/collections/") and parts.path.endswith(
                    "/objects/"
                ):
                    self.objects_requests.append(query)
                    self.answer(query, conn, self)
                else:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass  # the client hung up: what a bounded client does

    def send(self, conn: socket.socket, data: bytes) -> None:
        """Send DATA on CONN, counted in `sent`."""
        conn.sendall(data)
        self.sent += len(data)

    def close(self) -> None:
        """Stop serving. The listening socket is shut down before it is closed: that wakes the
        thread blocked in accept(), which would otherwise, woken later by a signal (a sampling
        profiler's, say), retry accept() on the same descriptor number, by then another peer's
        socket, and answer that peer's requests with its own address."""
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # not connected on some systems: close() still ends the accept
        self.sock.close()
        self._thread.join(timeout=WAIT)


@contextmanager
def hostile_peer(
    answer: Answer, collections: list[dict[str, Any]] | None = None
) -> Iterator[HostilePeer]:
    """A HostilePeer answering with ANSWER, closed afterwards."""
    peer = HostilePeer(answer, collections)
    try:
        yield peer
    finally:
        peer.close()

"""What `bigfish serve`'s HTTP protocol (BoundedH11) bounds, over real sockets on loopback: a
request body must arrive within BODY_TIMEOUT of its head and never pause for BODY_IDLE_TIMEOUT,
and one address holds at most so many connections; an answer, however slow, is never cut off,
and no way a connection ends keeps its place. The timeouts are patched small, so each test
takes about a second."""

from __future__ import annotations

import asyncio
import select
import socket
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bigfish.cli import serve
from bigfish.cli.serve import CONNECTIONS_PER_ADDRESS_VARIABLE, BoundedH11
from tests.interop.servers import uvicorn_in_thread
from tests.polling import WAIT
from tests.serve_capture import capture_serve

Server = Callable[..., AbstractContextManager[int]]


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """POST: reads the body (at /late, after 1 s), then (at /slow, after 1 s) answers its
    length. GET /stream and
    POST /stream: answer at once, without reading the body, in 4 pieces 0.4 s apart."""
    if scope["type"] != "http":
        return
    path, start = scope["path"], {"type": "http.response.start", "status": 200}
    if path == "/stream":
        await send(start)
        for n in range(4):
            await asyncio.sleep(0.4)
            await send({"type": "http.response.body", "body": b"piece%d;" % n, "more_body": True})
        await send({"type": "http.response.body", "body": b"end"})
        return
    if path == "/late":
        await asyncio.sleep(1.0)  # before it reads the body
    size, more = 0, scope["method"] == "POST"
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size, more = size + len(message.get("body", b"")), message.get("more_body", False)
    if path == "/slow":
        await asyncio.sleep(1.0)
    await send(start)
    await send({"type": "http.response.body", "body": b"%d" % size})


@pytest.fixture
def bounded_server(monkeypatch: pytest.MonkeyPatch) -> Server:
    """Start uvicorn as `bigfish serve` runs it (its protocol class) with the given limits."""

    @contextmanager
    def started(
        body: float = 0.5, idle: float = 10.0, head: float = 30.0, per_address: int = 50
    ) -> Iterator[int]:
        monkeypatch.setattr(serve, "BODY_TIMEOUT", body)
        monkeypatch.setattr(serve, "BODY_IDLE_TIMEOUT", idle)
        monkeypatch.setattr(serve, "HEAD_TIMEOUT", head)
        monkeypatch.setenv(CONNECTIONS_PER_ADDRESS_VARIABLE, str(per_address))
        with uvicorn_in_thread(
            _app, lifespan="off", http="bigfish.cli.serve:BoundedH11", timeout_keep_alive=60
        ) as port:
            yield port

    return started


def _connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    conn.settimeout(WAIT)
    return conn


def _read_to_end(conn: socket.socket) -> bytes | None:
    """Everything the server sends until it closes CONN; None if WAIT s pass without a byte."""
    answer = b""
    try:
        while piece := conn.recv(65536):
            answer += piece
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return answer


def _answer(conn: socket.socket, request: bytes) -> bytes:
    """Send REQUEST on CONN and read its answer (a short body with a Content-Length, or a
    chunked one), leaving the connection open."""
    conn.sendall(request)
    answer = b""
    while True:
        head, _, body = answer.partition(b"\r\n\r\n")
        if b"content-length: " in head.lower():
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            if len(body) >= length:
                return answer
        elif body.endswith(b"0\r\n\r\n"):
            return answer
        piece = conn.recv(65536)
        assert piece, answer  # the server closed the connection before it answered
        answer += piece


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def _post_head(path: str, length: int) -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path.encode(), length)


def test_a_body_sent_a_byte_at_a_time_is_answered_408_and_closed(bounded_server: Server) -> None:
    """uvicorn bounds no body: a client that sent its head, then a body byte every little
    while, held the connection and the handler awaiting the body for as long as it liked."""
    with bounded_server(body=0.5, idle=10.0) as port, _connect(port) as conn:
        conn.sendall(_post_head("/", 1000))
        sent = 0
        while sent < 1000 and not select.select([conn], [], [], 0.02)[0]:
            conn.sendall(b"x")  # 1000 bytes take 20 s: far beyond the 0.5 s allowed
            sent += 1
        answer = _read_to_end(conn)
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
    assert sent < 1000


def test_a_body_that_stops_is_answered_408_and_closed(bounded_server: Server) -> None:
    with bounded_server(body=100.0, idle=0.3) as port, _connect(port) as conn:
        conn.sendall(_post_head("/", 1000) + b"x" * 500)  # and never the rest
        answer = _read_to_end(conn)
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer


def test_a_whole_body_is_answered_however_long_the_answer_takes(bounded_server: Server) -> None:
    """The body's clock stops once the body is whole: /slow answers 1 s after reading it, twice
    on one kept-alive connection, and each request's body has its own time."""
    with bounded_server(body=0.5, idle=0.3, head=0.3) as port, httpx.Client(timeout=WAIT) as client:
        for _ in range(2):
            answer = client.post(f"http://127.0.0.1:{port}/slow", content=b"x" * 1_000_000)
            assert answer.status_code == 200 and answer.text == "1000000"


def test_a_client_waiting_to_be_asked_for_its_body_is_not_the_slow_one(
    bounded_server: Server,
) -> None:
    """With Expect: 100-continue the client sends its body once asked (uvicorn asks when the
    application first reads it): the time before is the server's."""
    with bounded_server(body=0.5, idle=0.3) as port, _connect(port) as conn:
        head = _post_head("/late", 3).replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n")
        conn.sendall(head)
        asked = b""
        while b"\r\n\r\n" not in asked:
            piece = conn.recv(65536)
            assert piece, asked  # closed while the client waited to be asked
            asked += piece
        assert asked.startswith(b"HTTP/1.1 100"), asked
        answer = _answer(conn, b"abc")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n1\r\n3\r\n0\r\n\r\n"), (
        answer
    )


def test_an_answer_streamed_slowly_is_not_cut_off(bounded_server: Server) -> None:
    """/stream answers over 1.6 s, beyond every (patched) timeout; the POST's body is not
    whole while it is answered, and its client is not the slow one."""
    with bounded_server(body=0.5, idle=0.3, head=0.3) as port:
        with _connect(port) as conn:
            answer = _answer(conn, b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200") and b"piece3;" in answer, answer
        with _connect(port) as conn:
            answer = _answer(conn, _post_head("/stream", 1000) + b"x" * 10)
            assert answer.startswith(b"HTTP/1.1 200") and b"piece3;" in answer, answer
            assert b"end" in answer


def test_a_connection_beyond_the_cap_is_refused_until_one_closes(bounded_server: Server) -> None:
    """uvicorn takes any number of connections from one address (until the process runs out
    of file descriptors). Loopback counts like any address."""
    with bounded_server(per_address=3) as port:
        held = [_connect(port) for _ in range(3)]
        try:
            for conn in held:
                assert _answer(conn, GET).startswith(b"HTTP/1.1 200")
            with _connect(port) as refused:
                answer = _read_to_end(refused)
            assert answer is not None and not answer.startswith(b"HTTP/1.1 200"), answer
            assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer
            # the server closes this one (its connection_lost runs before the client sees EOF)
            held[0].sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert (_read_to_end(held[0]) or b"").startswith(b"HTTP/1.1 200")
            with _connect(port) as again:  # the refused connection did not keep a place either
                assert _answer(again, GET).startswith(b"HTTP/1.1 200")
        finally:
            for conn in held:
                conn.close()


def _reset(conn: socket.socket) -> None:
    """Close CONN with a TCP reset rather than a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def test_no_way_a_connection_ends_keeps_its_place(bounded_server: Server) -> None:
    """Every end of a connection gives its place back, or the address is shut out for good."""
    with bounded_server(body=0.3, idle=0.3, head=0.3, per_address=2) as port:
        for _ in range(3):
            with _connect(port) as conn:  # answered, then closed by the client
                _answer(conn, GET)
            with _connect(port) as conn:  # a head that never ends: the server closes it
                conn.sendall(b"GET / HTTP/1.1\r\n")
                assert _read_to_end(conn) is not None
            with _connect(port) as conn:  # a body that never ends: the server closes it
                conn.sendall(_post_head("/", 10))
                assert _read_to_end(conn) is not None
            conn = _connect(port)  # reset in the middle of a body
            conn.sendall(_post_head("/", 10) + b"x")
            _reset(conn)
            conn = _connect(port)  # reset in the middle of a streamed answer
            conn.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.recv(10)
            _reset(conn)
            held = [_connect(port) for _ in range(3)]  # the third is refused
            # Its refusal shows the server took all three in (it takes them in order): closed
            # unread, they could be taken in only after the places were checked below.
            refused = _read_to_end(held[2])
            assert refused is not None and refused.startswith(b"HTTP/1.1 503"), refused
            for conn in held:
                conn.close()
        deadline = time.monotonic() + WAIT  # the server sees the last closes a moment later
        while "127.0.0.1" in BoundedH11.open_by_address and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "127.0.0.1" not in BoundedH11.open_by_address, BoundedH11.open_by_address
        with _connect(port) as one, _connect(port) as two:
            assert _answer(one, GET).startswith(b"HTTP/1.1 200")
            assert _answer(two, GET).startswith(b"HTTP/1.1 200")


def test_serve_takes_the_cap_to_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--max-connections-per-address` reaches the protocol of every worker process (uvicorn
    spawns them: through the environment), and serve runs that protocol."""
    from typer.testing import CliRunner

    from bigfish.cli import app

    ran = capture_serve(monkeypatch, tmp_path)
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(app, [*db, "serve", "--max-connections-per-address", "7"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert ran["cap"] == 7 and ran["http"] == "bigfish.cli.serve:BoundedH11", ran
    assert ran["closed"] == 1  # the application made to migrate: its store's connections go

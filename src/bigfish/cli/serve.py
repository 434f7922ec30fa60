"""`bigfish serve`: the API, TAXII and the web application with uvicorn."""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import socket
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import h11
import typer
from uvicorn.protocols.http.h11_impl import H11Protocol

from bigfish.cli._app import DATA_DIR_VARIABLE, DATABASE_URL_VARIABLE, OPTIONS, app, fail
from bigfish.errors import BigfishError

#: Seconds a client has to send a whole request line and headers, from connecting or from the
#: end of its previous answer. uvicorn has no such limit: a client that sends a byte a minute
#: (slowloris) held a connection, and its file descriptor, for ever.
HEAD_TIMEOUT = 30.0

#: Seconds a client has to send a whole request body, from the end of its request head. 300 s
#: lets the largest body the API takes (32 MiB) arrive at 112 KiB/s (0.9 Mbit/s), an old ADSL
#: uplink; the API's usual bodies are a few kilobytes. uvicorn has no such limit: a client that
#: sent its head and then a body byte now and then held the connection, and the request handler
#: awaiting the body, for ever.
BODY_TIMEOUT = 300.0

#: Seconds a request body may pause without a byte arriving (nginx's client_body_timeout): a
#: client that has stopped sending is let go well before BODY_TIMEOUT.
BODY_IDLE_TIMEOUT = 30.0

#: Connections one client address may hold open at once on one server process (each of
#: `--workers` counts its own); the next is answered 503 and closed. 0 is no limit.
MAX_CONNECTIONS_PER_ADDRESS = 50

#: How `bigfish serve --max-connections-per-address` reaches its worker processes.
CONNECTIONS_PER_ADDRESS_VARIABLE = "BIGFISH_MAX_CONNECTIONS_PER_ADDRESS"

_TOO_MANY_CONNECTIONS = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 40\r\nconnection: close\r\n\r\ntoo many connections from this address\r\n"
)


def connections_per_address() -> int:
    """The cap on one address's open connections in this process (0: none)."""
    return int(os.environ.get(CONNECTIONS_PER_ADDRESS_VARIABLE, MAX_CONNECTIONS_PER_ADDRESS))


class BoundedH11(H11Protocol):
    """uvicorn's h11 protocol with the bounds uvicorn lacks, on each connection: its request
    head must be whole within HEAD_TIMEOUT seconds and its request body within BODY_TIMEOUT of
    the head (pausing at most BODY_IDLE_TIMEOUT), or the connection is closed (408 if nothing
    was answered yet); and one client address holds at most connections_per_address() at once.
    A request being answered is never cut off. Idle kept-alive connections are uvicorn's own
    timeout_keep_alive (5 s)."""

    #: Open connections of this process by client address; an address leaves at zero.
    open_by_address: ClassVar[Counter[str]] = Counter()

    _head_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _body_cycle: object = None  # the request whose body the timer watches
    _body_deadline = 0.0
    _body_last_byte = 0.0
    _counted_address: str | None = None

    # -- connections per address

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if self.client is not None:
            address = self.client[0]
            self.open_by_address[address] += 1
            self._counted_address = address
            cap = connections_per_address()
            if cap and self.open_by_address[address] > cap:
                self.transport.write(_TOO_MANY_CONNECTIONS)
                self.transport.close()
                return
        self._arm_head_timer()

    def _release_address(self) -> None:
        address, self._counted_address = self._counted_address, None
        if address is not None:
            self.open_by_address[address] -= 1
            if self.open_by_address[address] <= 0:
                del self.open_by_address[address]

    def connection_lost(self, exc: Exception | None) -> None:
        self._release_address()
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    # -- request head

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _head_timed_out(self) -> None:
        # IDLE: no whole request head since the timer was armed (h11 leaves IDLE at one)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a pipelined request: watch its body
        if not self.transport.is_closing():
            self._arm_head_timer()
            self._watch_body()

    # -- request body

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.SEND_BODY:
            self._body_last_byte = self.loop.time()
        super().data_received(data)
        self._watch_body()

    def _watch_body(self) -> None:
        """Start the body clock at a new request's head; stop it once the body is whole."""
        if self.conn.their_state is not h11.SEND_BODY:
            if self._body_timer is not None:
                self._body_timer.cancel()
                self._body_timer = None
            return
        if self._body_cycle is self.cycle:
            return
        self._body_cycle = self.cycle
        now = self.loop.time()
        self._body_deadline = now + BODY_TIMEOUT
        self._body_last_byte = now
        self._arm_body_timer(now)

    def _arm_body_timer(self, now: float) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
        due = min(self._body_deadline, self._body_last_byte + BODY_IDLE_TIMEOUT)
        self._body_timer = self.loop.call_later(max(due - now, 0.0), self._body_timed_out)

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        now = self.loop.time()
        if (
            self.conn.our_state is h11.SEND_BODY
            or self.flow.read_paused
            or self.cycle.waiting_for_100_continue
        ):
            # The server's turn: an answer is being sent, or the application has not taken
            # the body read so far, or not asked for it (Expect: 100-continue). The client is
            # not slow; give it its idle time after.
            self._body_last_byte = now
            self._body_deadline = max(self._body_deadline, now + BODY_IDLE_TIMEOUT)
        elif now >= min(self._body_deadline, self._body_last_byte + BODY_IDLE_TIMEOUT):
            self._close_slow_body()
            return
        self._arm_body_timer(now)

    def _close_slow_body(self) -> None:
        if self.conn.our_state is h11.SEND_RESPONSE:  # nothing answered yet: say why
            self.cycle.disconnected = True  # the application's own answer goes nowhere now
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"34"),
                (b"connection", b"close"),
            ]
            for event in (
                h11.Response(status_code=408, headers=headers, reason=b"Request Timeout"),
                h11.Data(data=b"the request body came too slowly\r\n"),
                h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (each keeps its own rate limits)."
    ),
    rate_limit: int = typer.Option(
        6000, "--rate-limit", min=0, help="Requests per minute per key and process; 0 is off."
    ),
    public_check: bool = typer.Option(
        False,
        "--public-check",
        help="Also answer anyone, without a key, at GET /api/v1/check whether a number or link"
        " was reported (only what partners marked TLP:CLEAR for the partnership).",
    ),
    max_connections_per_address: int = typer.Option(
        MAX_CONNECTIONS_PER_ADDRESS,
        "--max-connections-per-address",
        min=0,
        help="Connections one client address may hold open at once, per process; the next is"
        " answered 503 and closed. 0 is no limit (behind a reverse proxy, all clients are its"
        " address: raise it or cap at the proxy).",
    ),
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs), TAXII 2.1 (/taxii2/) and the web application.

    A client that has not sent a whole request head within 30 seconds, or a whole body within
    300 seconds of its head (or pauses it for 30), is disconnected; one address holds at most
    --max-connections-per-address connections per process. Put a reverse proxy in front for TLS.

    Example: bigfish --db sqlite:///./bigfish.db serve --port 8000 --workers 2
    """
    run_server(
        host=host,
        port=port,
        workers=workers,
        rate_limit=rate_limit,
        public_check=public_check,
        max_connections_per_address=max_connections_per_address,
    )


def run_server(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    rate_limit: int = 6000,
    public_check: bool = False,
    max_connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS,
) -> None:
    """What `bigfish serve` does, callable from Python with plain defaults (`bigfish demo`):
    the command's own defaults are typer's option objects, not values."""
    settings = {
        DATABASE_URL_VARIABLE: OPTIONS.db_url,
        DATA_DIR_VARIABLE: str(OPTIONS.data_dir.resolve()),
        "BIGFISH_RATE_LIMIT": str(rate_limit),
        "BIGFISH_PUBLIC_CHECK": "1" if public_check else "0",
        CONNECTIONS_PER_ADDRESS_VARIABLE: str(max_connections_per_address),
    }
    with _environment(settings):
        _check_and_serve(host, port, workers)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """VALUES in the environment while serving (the worker processes read them there), and
    the environment as it was afterwards: run in-process (CliRunner, `bigfish demo` from
    Python), serve's database and data directory were left behind, and the next command's
    --db and --data-dir defaults read them."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check_and_serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    from bigfish.api.server import app_from_environment

    # The workers warm the page figures, not this one.
    with _environment({"BIGFISH_WARM_FIGURES": "0"}):
        try:  # create and migrate the store once, before the workers start; load the node key
            checked = app_from_environment()
        except BigfishError as exc:  # a data directory without this node's key, say
            raise fail(exc) from None
    checked.state.store.close()  # each worker opens its own: this one's connections go
    # The libraries loaded so far are a few hundred thousand long-lived objects: keep them out
    # of the cyclic collector's full passes, which otherwise cost 160-200 ms and land on
    # whichever request triggers one.
    gc.freeze()
    shown = f"[{host}]" if ":" in host else host
    # Bound here, before "serving on" is said: uvicorn bound after it, so an address not of this
    # machine or a port in use printed "serving on" and then uvicorn's log line and ours.
    with _listen(host, port) as listening:
        bound = port or listening.getsockname()[1]
        typer.echo(f"serving on http://{shown}:{bound} (Ctrl-C to stop)")  # uvicorn logs warnings
        sys.stdout.flush()
        try:
            uvicorn.run(
                "bigfish.api.server:app_from_environment",
                factory=True,
                host=host,
                port=port,
                fd=listening.fileno(),  # uvicorn serves (and its workers inherit) this socket
                workers=workers,
                log_level="warning",
                access_log=False,
                http="bigfish.cli.serve:BoundedH11",  # an import path: each worker loads it
                # no WebSocket routes; an upgraded connection would leave BoundedH11's count
                ws="none",
            )
        except SystemExit as end:
            if end.code in (0, None):
                raise
            raise _not_served(shown, bound) from None


#: Connections the kernel queues for the server before it accepts them (uvicorn's default).
_BACKLOG = 2048


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on HOST:PORT as uvicorn would open it, or the command's one-line
    error naming the address and why (a host not of this machine, a port in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # uvicorn's socket from fd is not IPPROTO_TCP to asyncio, which then leaves Nagle on;
        # Linux gives every accepted connection its listening socket's TCP_NODELAY
        listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listening.bind((host, port))
        listening.listen(_BACKLOG)
    except OSError as exc:
        listening.close()
        shown = f"[{host}]" if ":" in host else host
        raise fail(f"could not serve on {shown}:{port}: {_reason(exc)}") from None
    listening.set_inheritable(True)
    return listening


def _reason(exc: OSError) -> str:
    """Why a bind failed, in words, with what to do."""
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use; choose another --port or stop what listens there"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "the address is not one of this machine's; give a --host of this machine"
    if exc.errno == errno.EACCES:
        return "permission denied; choose a --port of 1024 or more"
    return f"{exc.strerror or exc}; check --host and --port"


def _not_served(shown_host: str, port: int) -> typer.Exit:
    """The error when uvicorn could not start once the socket was bound (it logged why above,
    and exited 3 with one worker, 1 with several)."""
    return fail(f"could not serve on {shown_host}:{port} (the reason is above)")

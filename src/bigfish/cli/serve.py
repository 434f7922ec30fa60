"""`bigfish serve`: the API, TAXII and the web application with uvicorn."""

from __future__ import annotations

import asyncio
import gc
import os
import sys

import h11
import typer
from uvicorn.protocols.http.h11_impl import H11Protocol

from bigfish.cli._app import OPTIONS, app, fail
from bigfish.errors import BigfishError

#: Seconds a client has to send a whole request line and headers, from connecting or from the
#: end of its previous answer. uvicorn has no such limit: a client that sends a byte a minute
#: (slowloris) held a connection, and its file descriptor, for ever.
HEAD_TIMEOUT = 30.0


class HeadTimedH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not whole within
    HEAD_TIMEOUT seconds. A request being answered, or its body being read, is not cut off."""

    _head_timer: asyncio.TimerHandle | None = None

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _head_timed_out(self) -> None:
        # IDLE: no whole request head since the timer was armed (h11 leaves IDLE at one)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()


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
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs), TAXII 2.1 (/taxii2/) and the web application.

    A client that has not sent a whole request head within 30 seconds is disconnected; put a
    reverse proxy in front for TLS and to bound slow request bodies.

    Example: bigfish --db sqlite:///./bigfish.db serve --port 8000 --workers 2
    """
    import uvicorn

    os.environ["BIGFISH_DATABASE_URL"] = OPTIONS.db_url
    os.environ["BIGFISH_DATA_DIR"] = str(OPTIONS.data_dir.resolve())
    os.environ["BIGFISH_RATE_LIMIT"] = str(rate_limit)
    os.environ["BIGFISH_PUBLIC_CHECK"] = "1" if public_check else "0"
    from bigfish.api.server import app_from_environment

    warm = os.environ.get("BIGFISH_WARM_FIGURES", "1")
    os.environ["BIGFISH_WARM_FIGURES"] = "0"  # the workers warm the page figures, not this one
    try:  # create and migrate the store once, before the workers start; load the node key
        app_from_environment()
    except BigfishError as exc:  # a data directory without this node's key, say
        raise fail(str(exc)) from None
    os.environ["BIGFISH_WARM_FIGURES"] = warm
    # The libraries loaded so far are a few hundred thousand long-lived objects: keep them out
    # of the cyclic collector's full passes, which otherwise cost 160-200 ms and land on
    # whichever request triggers one.
    gc.freeze()
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"serving on http://{shown}:{port} (Ctrl-C to stop)")  # uvicorn logs warnings only
    sys.stdout.flush()
    uvicorn.run(
        "bigfish.api.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http="bigfish.cli.serve:HeadTimedH11",  # an import path: each worker process loads it
    )

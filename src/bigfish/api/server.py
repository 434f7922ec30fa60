"""The app factory uvicorn calls in each worker process, configured from the environment."""

from __future__ import annotations

import gc
import os
import socket
from pathlib import Path

from fastapi import FastAPI

from bigfish.api.app import ApiSettings, create_app
from bigfish.fx import node_rates
from bigfish.store import DEFAULT_URL, Store, open_store

_OPEN_FILES = Path("/proc/self/fd")


def _bound_but_not_connected(sock: socket.socket) -> bool:
    if sock.getsockname()[1] == 0:
        return False
    try:
        sock.getpeername()
    except OSError:
        return True  # a server's socket: uvicorn's workers call the factory before listen()
    return False


def send_responses_without_delay() -> int:
    """Set TCP_NODELAY on the TCP sockets this process has bound to serve on (bound, not
    connected); returns how many.

    uvicorn with several workers binds the listening socket itself, with protocol number 0, and
    asyncio sets TCP_NODELAY only on connections whose protocol is IPPROTO_TCP. Without it,
    Nagle's algorithm holds each response's body until the client acknowledges its headers, which
    a client delays by up to 40 ms (measured: 44 ms per sequential request with two workers, under
    1 ms with one). Linux copies the option from a listening socket to every connection it
    accepts. Elsewhere (no /proc) nothing changes."""
    if not _OPEN_FILES.is_dir():
        return 0
    changed = 0
    for name in os.listdir(_OPEN_FILES):
        try:
            sock = socket.socket(fileno=int(name))
        except (OSError, ValueError):
            continue  # not a socket (or closed since the listing)
        try:
            if (
                sock.family in (socket.AF_INET, socket.AF_INET6)
                and sock.type == socket.SOCK_STREAM
                and _bound_but_not_connected(sock)
            ):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
        except OSError:
            pass
        finally:
            sock.detach()  # the descriptor stays open: it is uvicorn's
    return changed


def app_from_environment() -> FastAPI:
    """`create_app` for BIGFISH_DATABASE_URL with BIGFISH_RATE_LIMIT (requests/minute/key) and
    the data directory BIGFISH_DATA_DIR; reports submitted through the API are linked in the
    background unless BIGFISH_LINK_SUBMITTED is 0; BIGFISH_PUBLIC_CHECK=1 serves the public
    check (`GET /api/v1/check`, no key); unless BIGFISH_WARM_FIGURES is 0, the web
    pages' figures of every organization with a web user are prepared in the background.
    A BIGFISH_RATES table that cannot be used is refused here (`bigfish.fx.RatesError`, naming
    its file, line and field), so `bigfish serve` does not start with it.

    The start-up objects (libraries, the application) are frozen out of the cyclic collector's
    full passes here, in every worker: uvicorn starts its workers with multiprocessing's spawn,
    so the freeze `bigfish serve` does before starting them reaches only a single in-process
    worker. Measured in-process with the audit log on: one full collection per ~10,000 lookups,
    a 180 ms pause for whichever requests are open, and none once frozen."""
    node_rates()  # a bad BIGFISH_RATES stops the start (RatesError), not each submission
    send_responses_without_delay()
    store = open_store(os.environ.get("BIGFISH_DATABASE_URL", DEFAULT_URL))
    rate = int(os.environ.get("BIGFISH_RATE_LIMIT", "6000"))
    app = create_app(
        store,
        ApiSettings(
            rate_limit_per_minute=rate,
            rate_limit_burst=max(rate // 10, 1),
            link_submitted=os.environ.get("BIGFISH_LINK_SUBMITTED", "1") != "0",
            public_check=os.environ.get("BIGFISH_PUBLIC_CHECK", "0") == "1",
        ),
        data_dir=Path(os.environ.get("BIGFISH_DATA_DIR", "./bigfish-data")),
    )
    if os.environ.get("BIGFISH_WARM_FIGURES", "1") != "0":
        _warm_web_figures(store)
    gc.freeze()
    return app


def _warm_web_figures(store: Store) -> None:
    """Start preparing the web pages' figures for every organization with a web user
    (`bigfish.web.data.warm_figures`), when the web application is installed."""
    try:
        from bigfish.web.data import warm_figures
    except ImportError:
        return
    warm_figures(store)

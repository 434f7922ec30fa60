"""The app factory uvicorn calls in each worker process, configured from the environment."""

from __future__ import annotations

import gc
import os
import socket
from pathlib import Path

from fastapi import FastAPI

from bigfish.api.app import ApiSettings, create_app
from bigfish.errors import ConfigError
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


def _setting(name: str) -> str | None:
    """Variable NAME without surrounding spaces, or None when it is not set or empty (`bigfish
    serve` and tests set a variable to "" for "not set")."""
    value = os.environ.get(name, "").strip()
    return value or None


def _rate_limit(name: str, default: int) -> int:
    """Variable NAME as requests per minute per key and process: a whole number >= 0, 0
    turning the limit off (ConfigError naming NAME and its value otherwise; DEFAULT unset)."""
    value = _setting(name)
    if value is None:
        return default
    try:
        rate = int(value)
    except ValueError:
        rate = -1
    if rate < 0:
        raise ConfigError(
            f"{name}={os.environ[name]!r}: give a whole number >= 0 of requests per minute per "
            f"API key and server process (0 turns the limit off; unset: {default})"
        )
    return rate


def _switch(name: str, default: bool) -> bool:
    """Variable NAME as a switch: 1/true/yes/on turn it on, 0/false/no/off off, in any case
    (ConfigError naming NAME and its value otherwise, which were taken for DEFAULT:
    BIGFISH_PUBLIC_CHECK=true left the check off)."""
    value = _setting(name)
    if value is None:
        return default
    word = value.lower()
    if word not in _ON and word not in _OFF:
        raise ConfigError(
            f"{name}={os.environ[name]!r}: give 0 or 1 (1 turns it on, 0 off; true/false, "
            f"yes/no and on/off are read the same; unset: {int(default)})"
        )
    return word in _ON


_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def app_from_environment() -> FastAPI:
    """`create_app` for BIGFISH_DATABASE_URL with BIGFISH_RATE_LIMIT (requests/minute/key) and
    the data directory BIGFISH_DATA_DIR; reports submitted through the API are linked in the
    background unless BIGFISH_LINK_SUBMITTED is 0; BIGFISH_PUBLIC_CHECK=1 serves the public
    check (`GET /api/v1/check`, no key); unless BIGFISH_WARM_FIGURES is 0, the web
    pages' figures of every organization with a web user are prepared in the background.
    A BIGFISH_RATES table that cannot be used is refused here (`bigfish.fx.RatesError`, naming
    its file, line and field), so `bigfish serve` does not start with it; so is a rate limit
    that is not a whole number >= 0 (0: no limit) or a switch set to neither 0 nor 1
    (ConfigError naming the variable and its value; empty is unset), before the store opens.

    The start-up objects (libraries, the application) are frozen out of the cyclic collector's
    full passes here, in every worker: uvicorn starts its workers with multiprocessing's spawn,
    so the freeze `bigfish serve` does before starting them reaches only a single in-process
    worker. Measured in-process with the audit log on: one full collection per ~10,000 lookups,
    a 180 ms pause for whichever requests are open, and none once frozen."""
    node_rates()  # a bad BIGFISH_RATES stops the start (RatesError), not each submission
    rate = _rate_limit("BIGFISH_RATE_LIMIT", 6000)
    link_submitted = _switch("BIGFISH_LINK_SUBMITTED", True)
    public_check = _switch("BIGFISH_PUBLIC_CHECK", False)
    warm_figures = _switch("BIGFISH_WARM_FIGURES", True)
    send_responses_without_delay()
    store = open_store(os.environ.get("BIGFISH_DATABASE_URL", DEFAULT_URL))
    app = create_app(
        store,
        ApiSettings(
            rate_limit_per_minute=rate,
            rate_limit_burst=max(rate // 10, 1),
            link_submitted=link_submitted,
            public_check=public_check,
        ),
        data_dir=Path(os.environ.get("BIGFISH_DATA_DIR", "./bigfish-data")),
    )
    if warm_figures:
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

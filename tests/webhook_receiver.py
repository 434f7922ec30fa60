"""Webhook receivers that are real HTTP servers on loopback (allowed peers), for tests of
deliveries that must not wait for one another: a receiver keeps each request's report ids and
whether its signature holds, and, given HOLD_UNTIL, holds each answer until it is set (WAIT at
most, a safety net that only a receiver waited for reaches)."""

from __future__ import annotations

import contextlib
import functools
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bigfish import webhooks
from bigfish.alerts import delivery
from bigfish.store import Store
from tests.polling import WAIT  # seconds a slow receiver holds an answer at most

__all__ = [
    "WAIT",
    "Receiver",
    "hook_up",
    "patient_deliveries",
    "release_when",
    "serve",
    "serving",
]


@dataclass
class Receiver:
    """A webhook receiver: keeps each request's (signature ok, report ids); when HOLD_UNTIL is
    given, holds each answer until it is set (WAIT at most), noting whether it was."""

    hold_until: threading.Event | None = None
    secret: str = ""
    got: list[list[str]] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)
    waited: list[bool] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def take(self, headers: dict[str, str], body: bytes) -> None:
        ids = [a["report"]["report_id"] for a in json.loads(body)["alerts"]]
        mac = hmac.new(
            self.secret.encode(), headers["x-bigfish-timestamp"].encode() + b"." + body, "sha256"
        )
        with self.changed:
            self.got.append(ids)
            self.signed.append(headers["x-bigfish-signature"] == "sha256=" + mac.hexdigest())
            self.changed.notify_all()
        if self.hold_until is not None:
            self.holding.set()
            self.waited.append(self.hold_until.wait(WAIT))

    def has(self, *report_ids: str) -> bool:
        """Whether REPORT_IDS have all come (WAIT at most)."""
        with self.changed:
            return self.changed.wait_for(
                lambda: set(report_ids) <= {i for ids in self.got for i in ids}, WAIT
            )

    def ids(self) -> list[str]:
        return sorted(i for ids in self.got for i in ids)


def serve(receiver: Receiver) -> ThreadingHTTPServer:
    """RECEIVER listening on 127.0.0.1 (a free port), answering 204; shut it down after."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.take({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def serving(*receivers: Receiver) -> Iterator[list[str]]:
    """RECEIVERS served on loopback (serve): their origins, http://127.0.0.1:PORT, in order. On
    the way out, the answers a receiver holds are released and the servers shut down."""
    servers = [serve(receiver) for receiver in receivers]
    try:
        yield [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    finally:
        for receiver in receivers:
            if receiver.hold_until is not None:
                receiver.hold_until.set()
        for server in servers:
            server.shutdown()
            server.server_close()


def hook_up(store: Store, org_id: int, receiver: Receiver, origin: str, path: str = "/hook") -> int:
    """ORG_ID's webhook at ORIGIN + PATH, ORIGIN allowed as a peer (a loopback receiver's), its
    secret given to RECEIVER; the webhook's id."""
    webhooks.allow_peer(store, origin, "a test receiver")
    hook, receiver.secret = webhooks.add_webhook(store, org_id, f"{origin}{path}")
    return hook.id


def release_when(slow: Receiver, fast: Receiver, *report_ids: str) -> threading.Thread:
    """SLOW's answers are held until FAST has REPORT_IDS' alerts (WAIT at most): the thread
    that sets SLOW's hold then, started."""
    hold = slow.hold_until
    assert hold is not None

    def watch() -> None:
        if fast.has(*report_ids):
            hold.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def patient_deliveries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliveries wait WAIT seconds for an answer, in all: production gives up after 10 s
    without one (30 s in all), and a held receiver is released only once another has had its
    alerts, which on a loaded machine can take longer than that. Only the limits change."""
    guarded = webhooks.guarded_request

    def patient(*args: Any, **kwargs: Any) -> Any:
        return guarded(*args, **{**kwargs, "timeout": WAIT})

    monkeypatch.setattr(webhooks, "guarded_request", patient)
    monkeypatch.setattr(delivery, "deliver", functools.partial(webhooks.deliver, deadline=WAIT))

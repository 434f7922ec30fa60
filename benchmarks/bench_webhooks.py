"""Webhook delivery figures: `python benchmarks/bench_webhooks.py [--live 2] [--dead 2]
[--reports 10] [--module PATH]`.

Organizations H0, H1, … each hold one phone number and listen on one webhook on loopback: the
first `--live` answer 204 at once, the next `--dead` accept the connection and never answer
(as a receiver that hangs does; `bigfish.webhooks.deliver` gives up on it after its read
timeout). Organization A then reports the number `--reports` times (each report alerts every
holder), and `deliver_alerts` sends those alerts, as an API submission or `bigfish ingest` does.
Prints the wall time of the deliveries, their counts, and the deliveries and largest body each
live receiver got. `--module` times another version of `bigfish/alerts/delivery.py` (the one
before a change, say: `git show HEAD~1:src/bigfish/alerts/delivery.py > /tmp/old.py`).
Setup is not timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from bigfish.alerts import delivery
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema import reports
from bigfish.webhooks import add_webhook, allow_peer

PHONE = "+66812345678"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


class _Receiver(BaseHTTPRequestHandler):
    bodies: list[int]

    def do_POST(self) -> None:
        self.bodies.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _live() -> tuple[str, list[int], Callable[[], None]]:
    """A receiver answering 204: its origin, the sizes of the bodies it got, and its stop."""
    bodies: list[int] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", bodies, stop


def _dead() -> tuple[str, Callable[[], None]]:
    """A port whose connections the kernel accepts and nobody ever answers."""
    sock = socket.create_server(("127.0.0.1", 0), backlog=64)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", sock.close


def _node(tmp: Path, origins: Sequence[str], count: int) -> tuple[Store, list[int]]:
    """A node where one holder per origin listens there; A's COUNT new reports' pks."""
    store = open_store(f"sqlite:///{tmp / 'bench.db'}")
    add_org(store, "A", country="TH")
    for i, origin in enumerate(origins):
        holder = add_org(store, f"H{i}", country="TH")
        _ingest(store, tmp, f"H{i}", 1)
        allow_peer(store, origin)
        add_webhook(store, holder.id, f"{origin}/hook")
    _ingest(store, tmp, "A", count)
    with store.connect() as conn:
        pks = conn.execute(
            sa.select(reports.c.id).where(reports.c.report_id.like("A-%")).order_by(reports.c.id)
        ).scalars()
        return store, [int(pk) for pk in pks]


def _ingest(store: Store, tmp: Path, org: str, count: int) -> None:
    path = tmp / f"{org}.csv"
    rows = [f"{org}-{i},2025-03-01,TH,{PHONE}" for i in range(count)]
    path.write_text("report_id,reported_at,country,phones\n" + "\n".join(rows) + "\n", "utf-8")
    ingest_file(store, path, org=org, marking=SHARED, classify=False)


def _module(path: str | None) -> ModuleType:
    if path is None:
        return delivery
    spec = importlib.util.spec_from_file_location("bench_delivery", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--live", type=int, default=2)
    parser.add_argument("--dead", type=int, default=2)
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--module", help="a delivery.py to time instead of bigfish's")
    args = parser.parse_args()
    module = _module(args.module)
    live = [_live() for _ in range(args.live)]
    dead = [_dead() for _ in range(args.dead)]
    with tempfile.TemporaryDirectory() as tmp:
        origins = [origin for origin, _, _ in live] + [origin for origin, _ in dead]
        store, pks = _node(Path(tmp), origins, args.reports)
        start = time.perf_counter()
        done = module.deliver_alerts(store, pks)
        took = time.perf_counter() - start
        store.close()
    print(f"module {module.__file__}")
    print(f"{args.live} live + {args.dead} dead webhooks, {len(pks)} reports: {took:.2f} s")
    print(f"delivered {done.delivered}, failed {done.failed}")
    for problem in done.problems:
        print(f"  {problem}")
    for origin, bodies, stop in live:
        print(f"{origin}: {len(bodies)} deliveries, largest body {max(bodies, default=0):,} bytes")
        stop()
    for _, close in dead:
        close()


if __name__ == "__main__":
    main()

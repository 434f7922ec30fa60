"""Review (helper 121): a `sync pull` killed outright (SIGKILL: no `finally`, no end written)
leaves a run's row that counts what it did up to then: the pages it committed, written in each
page's own transaction, and the webhook deliveries their alerts made, written as each was
done; `finished_at` NULL says the run did not end.

The pull runs in a process of its own against a real TAXII peer on loopback (`hostile_peer`),
which serves page 1 and holds page 2 until the process is killed; the webhook receiver is a
real HTTP server on loopback. Before, the row's deliveries were written only when the run
ended, so a killed pull's row said 0 of the delivery its committed page made."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import add_webhook, allow_peer
from tests.interop.builders import ingest_json, sample_reports
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_partial import _shared
from tests.webhook_receiver import WAIT, Receiver, serve

#: The pull, in a process of its own: the store's URL and the peer's discovery URL as arguments.
PULL = """
import sys
from bigfish.interop.sync import pull
from bigfish.store import open_store
pull(open_store(sys.argv[1]), sys.argv[2], "key")
"""


class _FirstPageThenHeld:
    """A peer's objects: report 1 on page 1 (`more`, `next` 1); page 2 is held until RELEASE
    is set (the test kills the pull meanwhile; a safety net of 3 WAIT, longer than the test
    waits for anything), then report 2, the last."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        if not query.get("next"):
            body: Any = {"more": True, "next": "1", "objects": [_shared(1)]}
        else:
            self.release.wait(3 * WAIT)
            body = {"more": False, "objects": [_shared(2)]}
        conn.sendall(json_answer(body))


@dataclass
class Node:
    """The pulling node: LOCAL holds the phone the peer's reports name and listens on
    RECEIVER's webhook."""

    store: Store
    url: str
    receiver: Receiver


@pytest.fixture
def node(store: Store, store_url: str, tmp_path: Path) -> Iterator[Node]:
    receiver = Receiver()
    server = serve(receiver)
    try:
        local = add_org(store, "LOCAL", country="TH")
        ingest_json(store, tmp_path, "LOCAL", sample_reports("local", "TH", 1), Marking())
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        allow_peer(store, origin, "a test receiver")
        receiver.secret = add_webhook(store, local.id, f"{origin}/hook")[1]
        yield Node(store, store_url, receiver)
    finally:
        server.shutdown()
        server.server_close()


def _run_row(store: Store) -> dict[str, Any]:
    with store.connect() as conn:
        return dict(conn.execute(sa.select(sync_runs)).mappings().one())


def _eventually(condition: Callable[[], bool]) -> bool:
    """Whether CONDITION holds within WAIT seconds (a safety net: it holds at once but for
    the old code)."""
    ends = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > ends:
            return False
        time.sleep(0.02)
    return True


def _pulled(store: Store) -> list[str]:
    with store.connect() as conn:
        held = conn.execute(sa.select(reports.c.report_id).order_by(reports.c.report_id))
        return [str(r) for r in held.scalars() if not str(r).startswith("local-")]


def test_a_killed_pull_leaves_a_row_counting_its_committed_page_and_deliveries(
    node: Node,
) -> None:
    pages = _FirstPageThenHeld()
    with hostile_peer(pages) as peer:
        allow_peer(node.store, peer.base, "peer on loopback")
        process = subprocess.Popen(
            [sys.executable, "-c", PULL, node.url, f"{peer.base}/taxii2/"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            # page 2 asked for: page 1 is committed and its alerts handed over
            assert _eventually(lambda: any(q.get("next") for q in peer.objects_requests))
            assert node.receiver.has("r1")
            delivered = _eventually(lambda: _run_row(node.store)["webhooks"] == 1)
            process.send_signal(signal.SIGKILL)
            process.wait(WAIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(WAIT)
            pages.release.set()
            stderr = process.stderr.read().decode() if process.stderr else ""
            if process.stderr:
                process.stderr.close()
    assert process.returncode == -signal.SIGKILL, stderr
    run = _run_row(node.store)
    assert _pulled(node.store) == ["r1"]  # page 1 committed; page 2 never came
    assert node.receiver.got == [["r1"]] and all(node.receiver.signed)
    assert (run["received"], run["stored"], run["rejected"]) == (1, 1, 0)
    assert delivered, f"the killed run's row counts no delivery: {run}"
    assert (run["webhooks"], run["webhooks_failed"]) == (1, 0)
    assert run["finished_at"] is None and run["error"] is None  # it did not end

"""Review (helper 121): a `sync pull` killed outright (SIGKILL: no `finally`, no end written)
leaves a run's row that counts what it did up to then: the pages it committed, written in each
page's own transaction, and the webhook deliveries their alerts made, written as each was
done; `finished_at` NULL says the run did not end, and the next pull of that peer says so in
its `error` (`DID_NOT_FINISH`), then takes up from the page after the last committed.

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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.interop import sync
from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import reports
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import add_webhook, allow_peer
from tests.interop.builders import ingest_json, sample_reports
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_partial import _shared
from tests.polling import eventually
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


def _run_row(store: Store, run_id: int = 1) -> dict[str, Any]:
    with store.connect() as conn:
        found = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == run_id))
        return dict(found.mappings().one())


def _pulled(store: Store) -> list[str]:
    with store.connect() as conn:
        held = conn.execute(sa.select(reports.c.report_id).order_by(reports.c.report_id))
        return [str(r) for r in held.scalars() if not str(r).startswith("local-")]


def test_a_killed_pull_leaves_a_row_counting_its_committed_page_and_deliveries(
    node: Node,
) -> None:
    pages = _FirstPageThenHeld()
    with node.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_runs)).scalar_one() == 0
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
            assert eventually(lambda: any(q.get("next") for q in peer.objects_requests), WAIT)
            assert node.receiver.has("r1")
            delivered = eventually(lambda: _run_row(node.store)["webhooks"] == 1, WAIT)
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
        again = sync.pull(node.store, f"{peer.base}/taxii2/", "key")
    assert (again.received, again.new, again.webhooks) == (1, 1, 1)  # page 2 only
    assert _pulled(node.store) == ["r1", "r2"]
    killed = _run_row(node.store)
    assert killed == run | {"error": sync.DID_NOT_FINISH}  # its counts as they were, undated
    second = _run_row(node.store, again.run_id)
    assert second["finished_at"] is not None and second["error"] is None
    assert (second["received"], second["webhooks"]) == (1, 1)


def test_a_pull_says_of_its_peers_unended_runs_that_they_did_not_finish(node: Node) -> None:
    """Earlier runs of the same peer that never ended (killed) get DID_NOT_FINISH, undated;
    another peer's, and runs that ended, keep theirs. A run that was in fact still going (a
    second process pulling the same peer marked it meanwhile) writes its own end over it."""
    pages = _FirstPageThenHeld()
    pages.release.set()
    with hostile_peer(pages) as peer:
        allow_peer(node.store, peer.base, "peer on loopback")
        url = f"{peer.base}/taxii2/"
        started = datetime.now(UTC)
        with node.store.begin() as conn:
            for peer_url in (url, "https://other.example/taxii2/"):
                conn.execute(sync_runs.insert().values(peer=peer_url, started_at=started))
            conn.execute(
                sync_runs.insert().values(
                    peer=url, started_at=started, finished_at=started, error="a peer error"
                )
            )

        def marked_meanwhile(received: int) -> None:
            with node.store.begin() as conn:  # what another pull of the peer does as it begins
                conn.execute(
                    sync_runs.update().where(sync_runs.c.id == 4).values(error=sync.DID_NOT_FINISH)
                )

        done = sync.pull(node.store, url, "key", progress=marked_meanwhile)
    assert done.run_id == 4 and done.received == 2
    rows = [_run_row(node.store, n) for n in (1, 2, 3, 4)]
    assert [(r["finished_at"] is None, r["error"]) for r in rows[:3]] == [
        (True, sync.DID_NOT_FINISH),
        (True, None),
        (False, "a peer error"),
    ]
    assert rows[3]["finished_at"] is not None and rows[3]["error"] is None


class _InterruptedQueue:
    """A webhook queue whose wait for its deliveries a second Ctrl-C interrupts."""

    def close(self) -> None:
        raise KeyboardInterrupt


def test_a_run_interrupted_while_its_deliveries_go_keeps_those_counted(node: Node) -> None:
    """Ctrl-C, then a second one while the pull waits for its deliveries: the run is dated with
    its error, and its row keeps the deliveries written as they were done (here 2 delivered,
    1 failed) instead of the 0 its result could count; before, the end wrote 0 over them."""
    run = sync._Run(node.store, "https://peer.example/taxii2/")
    with node.store.begin() as conn:  # what its delivery threads wrote as each turn was done
        conn.execute(
            sync_runs.update().where(sync_runs.c.id == run.id).values(webhooks=2, webhooks_failed=1)
        )
    run._queue = _InterruptedQueue()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        run.fail(KeyboardInterrupt(), "https://peer.example/taxii2/", 1)
    row = _run_row(node.store, run.id)
    assert (row["webhooks"], row["webhooks_failed"]) == (2, 1)
    assert row["finished_at"] is not None and row["error"] == "KeyboardInterrupt: "

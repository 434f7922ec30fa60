"""Review (helper 116): a `sync pull` hands each committed page's alerts to one queue for the
whole pull and does not wait for them page by page: a webhook receiver that holds its answer
(as one answering just before each deadline does) delays no other organization's alerts, nor
the pull's next pages; its own alerts wait for it and go out in the end, counted in the run.

The receivers are real HTTP servers on loopback (allowed peers), and so is the TAXII peer; the
slow receiver holds every request until the fast one has every page's alerts, or until WAIT, a
safety net that only the old code reached: it waited for the slow receiver after each page."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.errors import PeerError
from bigfish.interop.sync import PullFailed, SyncResult, pull
from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import allow_peer
from tests.interop.builders import ingest_json, sample_reports
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_partial import GARBAGE, _shared
from tests.webhook_receiver import (
    WAIT,
    Receiver,
    hook_up,
    patient_deliveries,
    release_when,
    serving,
)

PAGES = ["r1", "r2", "r3"]  # the peer's reports, one a page


@dataclass
class Node:
    """The pulling node: SLOW-BANK's webhook holds every answer until FAST-BANK's has every
    page's alerts; both organizations hold the phone the peer's reports name."""

    store: Store
    slow: Receiver
    fast: Receiver


@pytest.fixture
def node(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    patient_deliveries(monkeypatch)
    fast = Receiver()
    slow = Receiver(hold_until=threading.Event())
    with serving(slow, fast) as origins:
        for org, receiver, origin in (
            ("SLOW-BANK", slow, origins[0]),
            ("FAST-BANK", fast, origins[1]),
        ):
            made = add_org(store, org, country="TH")
            ingest_json(store, tmp_path, org, sample_reports(org.lower(), "TH", 1), Marking())
            hook_up(store, made.id, receiver, origin)
        yield Node(store, slow, fast)


class _Pages:
    """A peer's objects: report N on page N (`next` N), PAGES of them; when FAIL_AFTER, the
    next page, and every answer after it (a pull asks twice: its token, then again from the
    start), is GARBAGE."""

    def __init__(self, pages: int, *, fail_after: bool = False) -> None:
        self.pages = pages
        self.fail_after = fail_after
        self.failing = False

    def __call__(self, query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
        n = int(query.get("next") or 0) + 1
        self.failing = self.failing or n > self.pages
        if self.failing:
            conn.sendall(json_answer(GARBAGE))
            return
        more = n < self.pages or self.fail_after
        body: Any = {"more": more, "next": str(n), "objects": [_shared(n)]}
        conn.sendall(json_answer(body))


def _release_once_fast_has(node: Node, *report_ids: str) -> threading.Thread:
    """The slow receiver's answers are held until the fast one has REPORT_IDS' alerts."""
    return release_when(node.slow, node.fast, *report_ids)


def _assert_counted(node: Node, result: SyncResult, pages: list[str]) -> dict[str, Any]:
    """Each organization got each of PAGES' alerts once, signed; RESULT and its run's row
    count every delivery, none failed; the row."""
    assert node.slow.waited and all(node.slow.waited)  # FAST-BANK had every page meanwhile
    assert node.fast.ids() == pages  # each once
    # SLOW-BANK's later pages' alerts came while it held the first: they waited, together.
    assert node.slow.got == [pages[:1], pages[1:]]
    assert all(node.slow.signed) and all(node.fast.signed)
    delivered = len(node.slow.got) + len(node.fast.got)
    assert (result.webhooks, result.webhooks_failed, result.webhook_problems) == (delivered, 0, ())
    with node.store.connect() as conn:
        row = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == result.run_id))
        run = dict(row.mappings().one())
    assert (run["webhooks"], run["webhooks_failed"]) == (delivered, 0)
    assert run["finished_at"] is not None
    return run


def test_a_slow_receiver_delays_no_other_webhook_of_a_pull(node: Node) -> None:
    """Before: each committed page waited for its deliveries, so FAST-BANK got page 2's alerts
    only once SLOW-BANK answered page 1's (here after WAIT; up to 30 s a page in production)."""
    watcher = _release_once_fast_has(node, *PAGES)
    with hostile_peer(_Pages(len(PAGES))) as peer:
        allow_peer(node.store, peer.base, "peer on loopback")
        result = pull(node.store, f"{peer.base}/taxii2/", "key")
    watcher.join(WAIT)
    assert (result.new, result.received) == (len(PAGES), len(PAGES))
    run = _assert_counted(node, result, PAGES)
    assert run["error"] is None


def test_a_pull_failing_part_way_delivers_and_counts_its_committed_pages(node: Node) -> None:
    """Pages 1 and 2 committed, then the peer answers garbage: the error comes once their
    alerts are sent, SLOW-BANK's included, and counts them, as the run's row does."""
    committed = PAGES[:2]
    watcher = _release_once_fast_has(node, *committed)
    with hostile_peer(_Pages(len(committed), fail_after=True)) as peer:
        allow_peer(node.store, peer.base, "peer on loopback")
        with pytest.raises(PeerError, match="did not answer JSON") as failed:
            pull(node.store, f"{peer.base}/taxii2/", "key")
    watcher.join(WAIT)
    assert isinstance(failed.value, PullFailed)
    result = failed.value.result
    assert result.new == len(committed)
    run = _assert_counted(node, result, committed)
    assert "did not answer JSON" in run["error"]

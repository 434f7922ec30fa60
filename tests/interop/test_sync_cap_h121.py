"""Review (helper 121): the alerts a `sync pull` drops for a webhook that is busy while too
many wait for it (`bigfish.alerts.delivery.MAX_WAITING_ALERTS`, here 1) count in the pull's
result and in its run's row as failed deliveries, with the reason naming the webhook by id; the
other webhook, never busy (the pull goes on only once it has a page's alert), gets every
page's alerts.

The receivers and the TAXII peer are real servers on loopback. SLOW-BANK's receiver holds its
first delivery (page 1's alert) until the pull has handed over its last page: the pull's
progress, called once a page's alerts are handed over, waits for that hold on page 1 and
releases it after page 4, so pages 2 and 3's alerts are dropped, page 4's goes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.alerts import delivery
from bigfish.interop.sync import pull
from bigfish.models import Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_interop import sync_runs
from bigfish.webhooks import allow_peer
from tests.interop.builders import ingest_json, sample_reports
from tests.interop.hostile import hostile_peer
from tests.interop.test_review_h116 import Node, _Pages
from tests.webhook_receiver import WAIT, Receiver, hook_up, patient_deliveries, serving

PAGES = ["r1", "r2", "r3", "r4"]  # the peer's reports, one a page


@pytest.fixture
def node(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Node, int]]:
    """The pulling node, and SLOW-BANK's webhook id."""
    patient_deliveries(monkeypatch)
    fast = Receiver()
    slow = Receiver(hold_until=threading.Event())
    hooks = {}
    with serving(slow, fast) as origins:
        for org, receiver, origin in (
            ("SLOW-BANK", slow, origins[0]),
            ("FAST-BANK", fast, origins[1]),
        ):
            made = add_org(store, org, country="TH")
            ingest_json(store, tmp_path, org, sample_reports(org.lower(), "TH", 1), Marking())
            hooks[org] = hook_up(store, made.id, receiver, origin)
        yield Node(store, slow, fast), hooks["SLOW-BANK"]


def test_alerts_dropped_for_a_busy_webhook_count_in_the_pull_and_its_run(
    node: tuple[Node, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    pulling, slow_hook = node
    monkeypatch.setattr(delivery, "MAX_WAITING_ALERTS", 1)
    hold = pulling.slow.hold_until
    assert hold is not None

    def progress(received: int) -> None:  # page RECEIVED's alerts are handed over
        # FAST-BANK is never busy: its receiver has each page's alert before the next page
        # comes (on a loaded machine two pages' alerts could wait for it, and one be dropped).
        assert pulling.fast.has(PAGES[received - 1])
        if received == 1:
            assert pulling.slow.holding.wait(WAIT)  # SLOW-BANK holds page 1's delivery
        if received == len(PAGES):
            hold.set()

    with hostile_peer(_Pages(len(PAGES))) as peer:
        allow_peer(pulling.store, peer.base, "peer on loopback")
        result = pull(pulling.store, f"{peer.base}/taxii2/", "key", progress=progress)
    assert result.new == len(PAGES)
    assert pulling.fast.ids() == PAGES
    assert pulling.slow.got == [["r1"], ["r4"]] and all(pulling.slow.waited)
    delivered = len(pulling.slow.got) + len(pulling.fast.got)
    assert result.webhook_alerts_dropped == 2
    assert (result.webhooks, result.webhooks_failed) == (delivered, 1)
    assert len(result.webhook_problems) == 1
    assert f"webhook {slow_hook}" in result.webhook_problems[0]
    assert "organization SLOW-BANK" in result.webhook_problems[0]
    with pulling.store.connect() as conn:
        run = conn.execute(sa.select(sync_runs).where(sync_runs.c.id == result.run_id))
        row = dict(run.mappings().one())
    assert (row["webhooks"], row["webhooks_failed"]) == (delivered, 1)
    assert row["finished_at"] is not None and row["error"] is None

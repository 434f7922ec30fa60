"""Review (helper 111): a webhook receiver that holds its answer (as one answering just before
each deadline does) delays no other organization's alerts, and its own alerts wait for it.

The receivers are real HTTP servers on loopback (allowed peers); the slow one holds every
request until the fast one has every alert, or until WAIT, a safety net that only the old code
reached: it waited for the slow receiver before the next round's deliveries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.alerts import Deliveries, WebhookDispatcher, delivery, send_ingest_webhooks
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.intake.conftest import csv_text, row
from tests.webhook_receiver import (
    WAIT,
    Receiver,
    hook_up,
    patient_deliveries,
    release_when,
    serving,
)

PHONE = "081-234-5678"  # held by B and C, reported by A
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
ALL = ["a0", "a1", "a2"]


@dataclass
class Node:
    """A reports PHONE; B's webhook is SLOW (it holds every answer until C has every alert),
    C's is FAST."""

    store: Store
    folder: Path
    slow: Receiver
    fast: Receiver

    def ingest(self, org: str, *report_ids: str) -> int:
        """ORG's reports REPORT_IDS of PHONE, in one run; the run's id."""
        path = self.folder / f"{org}-{report_ids[0]}.csv"
        path.write_text(csv_text([row(r, phones=PHONE) for r in report_ids]), encoding="utf-8")
        result = ingest_file(self.store, path, org=org, marking=SHARED, classify=False)
        assert result.rejected == 0
        return result.run_id

    def pks(self, org: str) -> list[int]:
        with self.store.connect() as conn:
            found = conn.execute(
                sa.select(reports.c.id)
                .join(organizations, organizations.c.id == reports.c.org_id)
                .where(organizations.c.name == org)
                .order_by(reports.c.report_id)
            ).scalars()
            return [int(pk) for pk in found]


@pytest.fixture
def node(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    patient_deliveries(monkeypatch)
    fast = Receiver()
    slow = Receiver(hold_until=threading.Event())
    with serving(slow, fast) as origins:
        orgs = {org: add_org(store, org, country="TH") for org in ("A", "B", "C")}
        for org, receiver, origin in (("B", slow, origins[0]), ("C", fast, origins[1])):
            hook_up(store, orgs[org].id, receiver, origin)
        made = Node(store, tmp_path, slow, fast)
        made.ingest("B", "b1")
        made.ingest("C", "c1")
        yield made


def _release_once_fast_has_all(node: Node) -> threading.Thread:
    """The slow receiver's answers are held until the fast one has every alert."""
    return release_when(node.slow, node.fast, *ALL)


def test_a_slow_receiver_delays_no_other_webhook_of_the_api_dispatcher(node: Node) -> None:
    """Before: each round waited for every delivery; the slow receiver held both dispatcher
    threads and the third submission's alerts reached C only once it answered."""
    node.ingest("A", *ALL)
    a0, a1, a2 = node.pks("A")
    watcher = _release_once_fast_has_all(node)
    dispatcher = WebhookDispatcher(node.store)
    try:
        dispatcher([a0])
        assert node.slow.holding.wait(WAIT)  # B's receiver holds its first delivery
        dispatcher([a1])
        assert node.fast.has("a1")
        dispatcher([a2])
        watcher.join(WAIT)
    finally:
        dispatcher.close()
    assert node.slow.waited and all(node.slow.waited)  # C had all three while B held a0
    assert sorted(i for ids in node.fast.got for i in ids) == ALL  # each once
    # B's alerts that came while it was busy waited for it, and went out together.
    assert node.slow.got == [["a0"], ["a1", "a2"]]
    assert all(node.slow.signed) and all(node.fast.signed)


def test_a_slow_receiver_delays_no_other_webhook_of_an_ingest(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish ingest` sends a run's alerts a round (RUN_BATCH reports) at a time; before,
    each round waited for the slow receiver, and C got the next round's alerts only after it."""
    monkeypatch.setattr(delivery, "RUN_BATCH", 1)
    run_id = node.ingest("A", *ALL)
    watcher = _release_once_fast_has_all(node)
    done = send_ingest_webhooks(node.store, run_id)
    watcher.join(WAIT)
    assert node.slow.waited and all(node.slow.waited)
    assert sorted(i for ids in node.fast.got for i in ids) == ALL
    assert node.slow.got == [["a0"], ["a1", "a2"]]
    assert done == Deliveries(delivered=len(node.slow.got) + len(node.fast.got), failed=0)
    assert all(node.slow.signed) and all(node.fast.signed)

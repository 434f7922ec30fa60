"""`WebhookQueue.add_ingest_run` hands an ingest run's alerts over as one source and tells what
the deliveries of its alerts did once none of them waits: a delivery that carried several
sources' alerts (a busy webhook's waiting alerts go out together) counts in each, alerts
dropped because too many waited count failed in their own source, and a run that alerts no
webhook is told at once. What `bigfish ingest` prints for each file. On both backends."""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field

import pytest

from bigfish.alerts import Deliveries, WebhookQueue
from bigfish.intake import ingest_file
from tests.alerts.test_waiting_alerts_rechecked import (
    OTHER,
    PHONE,
    SHARED,
    Node,
    node,  # noqa: F401  (fixture)
)
from tests.intake.conftest import csv_text, row
from tests.polling import WAIT


@dataclass
class HoldsFirst:
    """Holds its first delivery until RELEASE is set and answers it 204, the next ones ANSWER;
    keeps every delivery's report ids."""

    answer: int = 204
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    got: list[list[str]] = field(default_factory=list)

    def __call__(self, url: str, secret: str, body: bytes, peers: list[str]) -> int:
        self.got.append([a["report"]["report_id"] for a in json.loads(body)["alerts"]])
        if len(self.got) > 1:
            return self.answer
        self.holding.set()
        assert self.release.wait(WAIT), "the test never released the receiver"
        return 204


@dataclass
class Told:
    """What SETTLED was told, by source, and on which threads."""

    counts: dict[Hashable, Deliveries] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, source: Hashable, done: Deliveries) -> None:
        with self.lock:
            assert source not in self.counts, "told twice"
            self.counts[source] = done


def _run(at: Node, name: str, phone: str) -> int:
    """A's file NAME.csv of one report NAME mentioning PHONE, ingested: its run's id."""
    path = at.folder / f"{name}.csv"
    path.write_text(csv_text([row(name, phones=phone)]), encoding="utf-8")
    return ingest_file(at.store, path, org="A", marking=SHARED, classify=False).run_id


def test_a_delivery_of_several_files_alerts_counts_in_each(node: Node) -> None:  # noqa: F811
    receiver, told = HoldsFirst(answer=503), Told()
    queue = WebhookQueue(node.store, receiver, settled=told)
    try:
        queue.add_ingest_run(_run(node, "a0", PHONE), 0)
        assert receiver.holding.wait(WAIT)
        queue.add_ingest_run(_run(node, "a1", PHONE), 1)
        queue.add_ingest_run(_run(node, "a2", PHONE), 2)
        assert told.counts == {}  # all three wait for B's receiver
    finally:
        receiver.release.set()
        done = queue.close()
    assert receiver.got == [["a0"], ["a1", "a2"]]  # a1 and a2 waited together
    assert (done.delivered, done.failed) == (1, 1)
    answered = ("organization B: https://hooks.b.example:443 answered 503",)
    assert told.counts == {
        0: Deliveries(1, 0),
        1: Deliveries(0, 1, answered),
        2: Deliveries(0, 1, answered),
    }


def test_alerts_dropped_for_a_busy_webhook_fail_in_their_own_file(
    node: Node,  # noqa: F811
) -> None:
    receiver, told = HoldsFirst(), Told()
    queue = WebhookQueue(node.store, receiver, settled=told, max_waiting=1)
    try:
        queue.add_ingest_run(_run(node, "a0", PHONE), "first")
        assert receiver.holding.wait(WAIT)
        queue.add_ingest_run(_run(node, "a1", PHONE), "second")
        queue.add_ingest_run(_run(node, "a2", PHONE), "third")  # a1, the oldest waiting, dropped
    finally:
        receiver.release.set()
        queue.close()
    assert receiver.got == [["a0"], ["a2"]]
    (dropped,) = told.counts["second"].problems
    assert "alerts dropped, not sent" in dropped
    assert told.counts == {
        "first": Deliveries(1, 0),
        "second": Deliveries(0, 1, (dropped,), 1),
        "third": Deliveries(1, 0),
    }


def test_a_file_that_alerts_no_webhook_is_told_at_once(node: Node) -> None:  # noqa: F811
    receiver, told = HoldsFirst(), Told()
    queue = WebhookQueue(node.store, receiver, settled=told)
    try:
        queue.add_ingest_run(_run(node, "a0", PHONE), 0)
        assert receiver.holding.wait(WAIT)
        queue.add_ingest_run(_run(node, "a1", OTHER), 1)  # nobody holds OTHER
        assert told.counts == {1: Deliveries()}  # told while a0's delivery still goes on
    finally:
        receiver.release.set()
        queue.close()
    assert told.counts == {1: Deliveries(), 0: Deliveries(1, 0)}


def test_a_source_is_handed_over_once(node: Node) -> None:  # noqa: F811
    queue = WebhookQueue(node.store, HoldsFirst())
    try:
        queue.add_ingest_run(_run(node, "a0", OTHER), 0)
        with pytest.raises(ValueError, match="handed over already"):
            queue.add_ingest_run(_run(node, "a1", OTHER), 0)
    finally:
        queue.close()

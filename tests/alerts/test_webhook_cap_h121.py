"""Review (helper 121): what waits for a busy webhook is bounded. A receiver that holds its
answer (as one answering just before each deadline does) while round after round of alerts is
handed over gets, once it answers, the rounds' newest alerts up to the cap; the oldest beyond
it are dropped for that webhook only, counted as failed deliveries with the reason and in
`Deliveries.dropped`, and one warning names the webhook by id, never its URL or secret, and
says `GET /api/v1/alerts` still serves them. The round just handed over is never dropped.

The receivers are real HTTP servers on loopback (allowed peers). Before, every alert handed
over waited, without limit: the held receiver got all of them in its next delivery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.alerts import Deliveries, WebhookQueue
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.intake.conftest import csv_text, row
from tests.webhook_receiver import WAIT, Receiver, hook_up, patient_deliveries, serving

PHONE = "081-234-5678"  # held by B and C, reported by A
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
ALL = [f"a{i}" for i in range(6)]


@dataclass
class Node:
    """A reports PHONE (ALL); B's webhook is SLOW (it holds every answer until told), C's is
    FAST; B's webhook id and its URL's path and secret, which no log may show."""

    store: Store
    slow: Receiver
    fast: Receiver
    slow_hook: int
    slow_path: str

    def pks(self) -> dict[str, int]:
        with self.store.connect() as conn:
            found = conn.execute(
                sa.select(reports.c.report_id, reports.c.id)
                .join(organizations, organizations.c.id == reports.c.org_id)
                .where(organizations.c.name == "A")
            )
            return {str(r): int(pk) for r, pk in found}


def _ingest(store: Store, folder: Path, org: str, *report_ids: str) -> None:
    path = folder / f"{org}.csv"
    path.write_text(csv_text([row(r, phones=PHONE) for r in report_ids]), encoding="utf-8")
    assert ingest_file(store, path, org=org, marking=SHARED, classify=False).rejected == 0


@pytest.fixture
def node(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Node]:
    patient_deliveries(monkeypatch)
    fast = Receiver()
    slow = Receiver(hold_until=threading.Event())
    with serving(slow, fast) as origins:
        hooks = {}
        for org, receiver, origin in (("B", slow, origins[0]), ("C", fast, origins[1])):
            made = add_org(store, org, country="TH")
            hooks[org] = hook_up(store, made.id, receiver, origin, f"/hook-{org}-path")
            _ingest(store, tmp_path, org, f"{org.lower()}1")
        add_org(store, "A", country="TH")
        _ingest(store, tmp_path, "A", *ALL)
        yield Node(store, slow, fast, hooks["B"], "/hook-B-path")


def _hand_over_while_held(
    node: Node, queue: WebhookQueue, first: list[str], *rounds: list[str]
) -> Deliveries:
    """FIRST's alerts, which B's receiver holds; then ROUNDS, once C has each; then B answers.
    What QUEUE counted once everything is sent."""
    pks = node.pks()
    hold = node.slow.hold_until
    assert hold is not None
    try:
        queue.add([pks[r] for r in first])
        assert node.slow.holding.wait(WAIT)  # B's receiver holds its first delivery
        for ids in rounds:
            queue.add([pks[r] for r in ids])
            assert node.fast.has(*ids)
    finally:
        hold.set()
        done = queue.close()
    return done


def test_alerts_beyond_the_cap_drop_the_oldest_of_a_busy_webhook_only(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    """B holds a0; a1…a5 come one round each while it does, two may wait: a1, a2 and a3 are
    dropped (counted: one failed delivery, 3 alerts), a4 and a5 go once it answers. C, never
    busy, gets everything."""
    caplog.set_level(logging.WARNING, logger="bigfish.alerts.delivery")
    problems: list[str] = []
    queue = WebhookQueue(node.store, problem=problems.append, max_waiting=2)
    done = _hand_over_while_held(node, queue, ["a0"], *[[r] for r in ALL[1:]])
    assert node.slow.got == [["a0"], ["a4", "a5"]]
    assert all(node.slow.waited) and all(node.slow.signed)
    assert node.fast.ids() == ALL
    named = f"webhook {node.slow_hook}"
    assert done.dropped == 3
    assert (done.delivered, done.failed) == (len(node.slow.got) + len(node.fast.got), 1)
    assert len(done.problems) == 1 and named in done.problems[0]
    assert "organization B" in done.problems[0] and "GET /api/v1/alerts" in done.problems[0]
    assert problems == list(done.problems)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once for the busy spell, not once per drop
    assert named in warnings[0] and "GET /api/v1/alerts" in warnings[0]
    for said in [*warnings, *done.problems]:
        assert node.slow.secret not in said and node.slow_path not in said


def test_the_round_just_handed_over_is_never_dropped(node: Node) -> None:
    """B holds a0; a1 waits, then a round of a2…a5, more than the cap of one: a1 is dropped,
    the whole round goes. A round handed to an idle webhook goes whole too, cap or not."""
    queue = WebhookQueue(node.store, max_waiting=1)
    done = _hand_over_while_held(node, queue, ["a0"], ["a1"], ALL[2:])
    assert node.slow.got == [["a0"], ALL[2:]]
    assert (done.dropped, done.failed) == (1, 1)
    node.slow.got.clear()
    idle = WebhookQueue(node.store, max_waiting=1)
    idle.add(list(node.pks().values()))
    assert idle.close() == Deliveries(delivered=2, failed=0)
    assert node.slow.got == [ALL]


def test_a_cap_below_one_is_refused(node: Node) -> None:
    with pytest.raises(ValueError, match="max_waiting"):
        WebhookQueue(node.store, max_waiting=0)

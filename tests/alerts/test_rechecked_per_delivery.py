"""A webhook's turn of more than MAX_ALERTS_PER_DELIVERY alerts goes out as several deliveries,
one after another: each delivery's alerts are checked again just before it is sent, not all of
them once when the turn starts. Otherwise an alert of the turn's last delivery went out after
its report was re-marked away from the holder while the receiver took its time over the first
(up to 30 s a delivery): security-tests 11, "takes effect on the next request". On both
backends; one alert a delivery here stands for 1,000."""

from __future__ import annotations

import pytest

from bigfish.alerts import Deliveries, WebhookQueue, delivery
from bigfish.models import TLP, Distribution, Marking
from bigfish.reports import remark_report
from tests.alerts.test_waiting_alerts_rechecked import (
    PHONE,
    Node,
    node,  # noqa: F401  (fixture)
)
from tests.alerts.test_waiting_alerts_rechecked import Receiver as HoldsFirst
from tests.polling import WAIT

RED = Marking(TLP.RED, Distribution.ORGANIZATION)


def _one_turn(at: Node, change: str | None) -> tuple[list[list[str]], Deliveries]:
    """A's a0, a1 and a2 go to B's webhook in one turn, one alert a delivery; while B's
    receiver holds the first, A re-marks CHANGE (if any) red. What B got, and the count."""
    pks = [at.report("A", f"a{i}", PHONE) for i in range(3)]
    receiver = HoldsFirst()
    queue = WebhookQueue(at.store, receiver)
    try:
        queue.add(pks)
        assert receiver.holding.wait(WAIT)
        if change is not None:
            remark_report(at.store, at.analyst("A"), "A", change, RED)
    finally:
        receiver.release.set()
        done = queue.close()
    return receiver.got, done


def test_an_alert_re_marked_during_the_turns_first_delivery_is_not_sent(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "MAX_ALERTS_PER_DELIVERY", 1)
    got, done = _one_turn(node, "a2")
    assert got == [["a0"], ["a1"]]
    assert (done.delivered, done.failed) == (2, 0)  # what was not sent is not counted


def test_a_turn_whose_alerts_all_stand_sends_every_delivery(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "MAX_ALERTS_PER_DELIVERY", 2)
    got, done = _one_turn(node, None)
    assert got == [["a0", "a1"], ["a2"]]
    assert (done.delivered, done.failed) == (2, 0)

"""Webhook deliveries (`bigfish.alerts.delivery`): a receiver that never answers does not hold
up the others, a holder's alerts go out in signed deliveries of at most
MAX_ALERTS_PER_DELIVERY alerts each, and the API's dispatcher sends what waited for a dead
receiver together, the other receivers getting theirs meanwhile. On both backends; the
receivers are in memory (`tests.webhook_capture`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bigfish.alerts import Deliveries, WebhookDispatcher, deliver_alerts, delivery
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.webhooks import add_webhook
from tests.intake.conftest import csv_text, row
from tests.polling import WAIT
from tests.webhook_capture import catch_webhooks

PHONE = "081-234-5678"  # +66812345678, held by B and C
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


@dataclass
class Node:
    """B and C hold PHONE; A reports it next."""

    store: Store
    folder: Path

    def report(self, org: str, *report_ids: str) -> list[int]:
        """ORG's reports REPORT_IDS of PHONE, shared with the partnership; their pks."""
        path = self.folder / f"{org}-{report_ids[0]}.csv"
        path.write_text(csv_text([row(r, phones=PHONE) for r in report_ids]), encoding="utf-8")
        result = ingest_file(self.store, path, org=org, marking=SHARED, classify=False)
        assert result.rejected == 0
        with self.store.connect() as conn:
            pks = conn.execute(
                sa.select(reports.c.id)
                .join(organizations, organizations.c.id == reports.c.org_id)
                .where(organizations.c.name == org, reports.c.report_id.in_(report_ids))
                .order_by(reports.c.id)
            ).scalars()
            return [int(pk) for pk in pks]

    def hook(self, org: str, url: str) -> str:
        """Add URL as ORG's webhook; its secret."""
        with self.store.connect() as conn:
            org_id = conn.execute(
                sa.select(organizations.c.id).where(organizations.c.name == org)
            ).scalar_one()
        return add_webhook(self.store, int(org_id), url)[1]


@pytest.fixture
def node(store: Store, tmp_path: Path) -> Iterator[Node]:
    for org in ("A", "B", "C"):
        add_org(store, org, country="TH")
    node = Node(store, tmp_path)
    node.report("B", "b1")
    node.report("C", "c1")
    yield node


class _Counter:
    """Counts calls from any thread; REACHED is set at the TARGET-th."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.calls = 0
        self.reached = threading.Event()
        self._lock = threading.Lock()

    def count(self) -> int:
        with self._lock:
            self.calls += 1
            if self.calls >= self.target:
                self.reached.set()
            return self.calls


def _host(request: httpx.Request) -> str:
    return request.headers["Host"]


def _alert_ids(request: httpx.Request) -> list[str]:
    return [a["id"] for a in json.loads(request.content)["alerts"]]


def _signed_with(secret: str, request: httpx.Request) -> bool:
    timestamp = request.headers["X-Bigfish-Timestamp"]
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256)
    return request.headers["X-Bigfish-Signature"] == "sha256=" + mac.hexdigest()


def test_webhooks_that_never_answer_do_not_hold_up_the_others(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two dead receivers are waited for at once (one deadline, not two), and the live
    ones get their deliveries while the dead ones are still waited for."""
    for org in ("B", "C"):  # each organization's dead webhook comes first
        node.hook(org, f"https://dead.{org.lower()}.example/hook")
        node.hook(org, f"https://live.{org.lower()}.example/hook")
    both_dead_waiting = threading.Barrier(2)
    live = _Counter(2)
    live_before_dead: list[bool] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if _host(request).startswith("live."):
            live.count()
            return httpx.Response(204)
        both_dead_waiting.wait(WAIT)  # broken (the delivery raises) if sent one after the other
        live_before_dead.append(live.reached.wait(WAIT))
        raise httpx.ReadTimeout("no answer", request=request)

    caught = catch_webhooks(monkeypatch, answer)
    done = deliver_alerts(node.store, node.report("A", "a1"))
    assert live_before_dead == [True, True]
    assert sorted(_host(r) for r in caught.requests) == [
        "dead.b.example",
        "dead.c.example",
        "live.b.example",
        "live.c.example",
    ]
    assert done == Deliveries(
        delivered=2,
        failed=2,
        problems=(
            "organization B: webhook delivery to https://dead.b.example:443 failed: "
            "no answer within 10 s",
            "organization C: webhook delivery to https://dead.c.example:443 failed: "
            "no answer within 10 s",
        ),
    )


def test_problems_come_by_organization_then_webhook_not_as_deliveries_end(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in ("https://b1.example/h", "https://b2.example/h"):
        node.hook("B", url)
    node.hook("C", "https://c1.example/h")
    ended: list[str] = []
    later = {"b1.example": "b2.example", "b2.example": "c1.example", "c1.example": ""}
    answered = {host: threading.Event() for host in later}

    def answer(request: httpx.Request) -> httpx.Response:
        host = _host(request)
        if later[host]:  # b1 waits for b2, b2 for c1: they end in the reverse order
            answered[later[host]].wait(WAIT)
        ended.append(host)
        answered[host].set()
        if host == "b2.example":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(503 if host == "b1.example" else 500)

    catch_webhooks(monkeypatch, answer)
    done = deliver_alerts(node.store, node.report("A", "a1"))
    assert ended == ["c1.example", "b2.example", "b1.example"]
    assert done == Deliveries(
        delivered=0,
        failed=3,
        problems=(
            "organization B: https://b1.example:443 answered 503",
            "organization B: webhook delivery to https://b2.example:443 failed: ConnectError",
            "organization C: https://c1.example:443 answered 500",
        ),
    )


def test_a_holders_alerts_go_out_in_signed_deliveries_of_at_most_max(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five alerts, at most two a delivery: three deliveries, each signed and counted, the
    alerts in order and each once; a delivery the receiver refuses is one failed of three."""
    monkeypatch.setattr(delivery, "MAX_ALERTS_PER_DELIVERY", 2)
    secret = node.hook("B", "https://hooks.b.example/h")
    pks = node.report("A", *(f"a{i}" for i in range(5)))
    caught = catch_webhooks(monkeypatch)
    done = deliver_alerts(node.store, pks)
    assert done == Deliveries(delivered=3, failed=0, problems=())
    assert [len(_alert_ids(r)) for r in caught.requests] == [2, 2, 1]
    assert all(_signed_with(secret, r) for r in caught.requests)
    sent = [alert for r in caught.requests for alert in _alert_ids(r)]
    assert sent == [f"{pk}-{sent[0].split('-')[1]}" for pk in pks]

    refused = iter([httpx.Response(204), httpx.Response(413), httpx.Response(204)])
    caught = catch_webhooks(monkeypatch, lambda request: next(refused))
    done = deliver_alerts(node.store, pks)
    assert done == Deliveries(
        delivered=2,
        failed=1,
        problems=("organization B: https://hooks.b.example:443 answered 413",),
    )
    assert [len(_alert_ids(r)) for r in caught.requests] == [2, 2, 1]


def test_a_webhook_that_gave_no_answer_is_sent_no_more_of_the_call(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its other deliveries are counted failed, not sent: one deadline per webhook, not three."""
    monkeypatch.setattr(delivery, "MAX_ALERTS_PER_DELIVERY", 2)
    node.hook("B", "https://dead.b.example/h")
    node.hook("C", "https://live.c.example/h")

    def answer(request: httpx.Request) -> httpx.Response:
        if _host(request).startswith("dead."):
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(204)

    caught = catch_webhooks(monkeypatch, answer)
    done = deliver_alerts(node.store, node.report("A", *(f"a{i}" for i in range(5))))
    assert sorted(_host(r) for r in caught.requests) == ["dead.b.example"] + ["live.c.example"] * 3
    assert done == Deliveries(
        delivered=3,
        failed=3,
        problems=(
            "organization B: webhook delivery to https://dead.b.example:443 failed: "
            "no answer within 10 s",
        ),
    )


def test_reports_waiting_behind_a_dead_webhook_go_out_together(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While B's dead receiver holds the first submission's delivery, five more submissions
    come: C gets them meanwhile, and they cost B's receiver one more wait, not five."""
    node.hook("B", "https://dead.b.example/h")
    node.hook("C", "https://live.c.example/h")
    pks = node.report("A", *(f"a{i}" for i in range(6)))
    live_has_all = _Counter(6)
    waiting = threading.Semaphore(0)
    released: list[bool] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if _host(request).startswith("live."):
            for _ in _alert_ids(request):
                live_has_all.count()
            return httpx.Response(204)
        waiting.release()
        released.append(live_has_all.reached.wait(WAIT))
        raise httpx.ReadTimeout("no answer", request=request)

    caught = catch_webhooks(monkeypatch, answer)
    dispatcher = WebhookDispatcher(node.store)
    try:
        dispatcher(pks[:1])
        assert waiting.acquire(timeout=WAIT)  # held by the dead receiver
        for pk in pks[1:]:
            dispatcher([pk])
    finally:
        dispatcher.close()
    assert released == [True, True]  # C had every alert while B's receiver held the first
    dead = [r for r in caught.requests if _host(r).startswith("dead.")]
    assert [len(_alert_ids(r)) for r in dead] == [1, 5]
    live = [
        alert for r in caught.requests if _host(r).startswith("live.") for alert in _alert_ids(r)
    ]
    assert sorted(live) == sorted(alert for r in dead for alert in _alert_ids(r))
    assert len(live) == len(set(live)) == 6

"""Alerts that wait for a webhook still busy with earlier deliveries are checked again when their
turn comes: a report re-marked, changed to drop the value, or deleted meanwhile, or a holder
removed from the report's group, sends nothing the holder may no longer see (spec
security-tests 11: it takes effect on the next request). On both backends."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.accounts import Principal
from bigfish.alerts import WebhookQueue
from bigfish.intake import ingest_file
from bigfish.memberships import create_group, remove_member
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import delete_report, remark_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.webhooks import add_webhook
from tests.intake.conftest import csv_text, row
from tests.polling import WAIT

PHONE = "081-234-5678"
OTHER = "081-999-0000"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


@dataclass
class Receiver:
    """Holds its first delivery until RELEASE is set; keeps every delivery's report ids."""

    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    got: list[list[str]] = field(default_factory=list)

    def __call__(self, url: str, secret: str, body: bytes, peers: list[str]) -> int:
        self.got.append([a["report"]["report_id"] for a in json.loads(body)["alerts"]])
        if len(self.got) == 1:
            self.holding.set()
            assert self.release.wait(WAIT), "the test never released the receiver"
        return 204


@dataclass
class Node:
    store: Store
    folder: Path

    def report(self, org: str, report_id: str, phones: str, marking: Marking = SHARED) -> int:
        path = self.folder / f"{org}-{report_id}.csv"
        path.write_text(csv_text([row(report_id, phones=phones)]), encoding="utf-8")
        result = ingest_file(self.store, path, org=org, marking=marking, classify=False)
        assert result.stored + result.updated == 1
        with self.store.connect() as conn:
            return int(
                conn.execute(
                    sa.select(reports.c.id)
                    .join(organizations, organizations.c.id == reports.c.org_id)
                    .where(organizations.c.name == org, reports.c.report_id == report_id)
                ).scalar_one()
            )

    def org_id(self, name: str) -> int:
        with self.store.connect() as conn:
            return int(
                conn.execute(
                    sa.select(organizations.c.id).where(organizations.c.name == name)
                ).scalar_one()
            )

    def analyst(self, name: str) -> Viewer:
        return Viewer(self.org_id(name), name, ApiRole.ADMIN)

    def admin(self, name: str) -> Principal:
        return Principal(f"key:{name}", self.org_id(name), name, ApiRole.ADMIN, False, frozenset())


@pytest.fixture
def node(store: Store, tmp_path: Path) -> Iterator[Node]:
    for org in ("A", "B"):
        add_org(store, org, country="TH")
    made = Node(store, tmp_path)
    made.report("B", "b1", PHONE)  # B holds PHONE
    add_webhook(store, made.org_id("B"), "https://hooks.b.example/in")
    yield made


def _while_busy(node: Node, second: Marking, change: Callable[[], None]) -> list[list[str]]:
    """A's a0 goes to B's webhook, which holds it; A's a1 (marked SECOND) waits meanwhile, then
    CHANGE happens before the receiver answers. What B's receiver got."""
    receiver = Receiver()
    queue = WebhookQueue(node.store, receiver)
    try:
        queue.add([node.report("A", "a0", PHONE)])
        assert receiver.holding.wait(WAIT)
        queue.add([node.report("A", "a1", PHONE, second)])
        change()
    finally:
        receiver.release.set()
        queue.close()
    return receiver.got


def test_a_waiting_alert_of_a_report_re_marked_away_from_the_holder_is_not_sent(
    node: Node,
) -> None:
    red = Marking(TLP.RED, Distribution.ORGANIZATION)
    got = _while_busy(
        node, SHARED, lambda: remark_report(node.store, node.analyst("A"), "A", "a1", red)
    )
    assert got == [["a0"]]


def test_a_waiting_alert_of_a_report_deleted_or_changed_is_not_sent(node: Node) -> None:
    def change() -> None:
        delete_report(node.store, node.analyst("A"), "A", "a1")

    assert _while_busy(node, SHARED, change) == [["a0"]]


def test_a_waiting_alert_of_a_report_replaced_without_the_value_is_not_sent(node: Node) -> None:
    def change() -> None:
        node.report("A", "a1", OTHER)  # sent again, now without PHONE

    assert _while_busy(node, SHARED, change) == [["a0"]]


def test_a_waiting_alert_still_visible_is_sent(node: Node) -> None:
    amber = Marking(TLP.AMBER, Distribution.PARTNERSHIP)
    got = _while_busy(
        node, SHARED, lambda: remark_report(node.store, node.analyst("A"), "A", "a1", amber)
    )
    assert got == [["a0"], ["a1"]]


def test_a_waiting_alert_of_a_group_the_holder_left_is_not_sent(node: Node) -> None:
    group = create_group(node.store, node.admin("A"), "mekong", ["B"])
    in_group = Marking(TLP.AMBER, Distribution.GROUP, group=group.name)
    got = _while_busy(
        node, in_group, lambda: remove_member(node.store, node.admin("A"), "mekong", "B")
    )
    assert got == [["a0"]]

"""Incremental = rebuild, as a property (helper-124's review).

Two stores take the same random small sequence of ingests (new reports and reports sent again,
changed or not), deletions, pins and warning-list changes. After each link step one runs the
incremental update (`update_networks`), the other a full rebuild (`rebuild_networks`); the
networks each shows the operator (ids, members, statistics, explanations, history) must be the
same. Pins and warning-list changes take effect at the next `bigfish link` (docs/warninglists.md),
so a step that changes them is followed by a rebuild in both stores. A link step may come days
after the one before (growth and aging), always at midnight UTC, as the update ages networks
once a day.

The data stay small enough (at most five reports of one organization, or the hub test off) that
the statistical hub test, which an update runs over the affected networks only (a documented
difference at the margin), cannot stop anything.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bigfish.fx import Rates, reference_rates
from bigfish.linking import (
    HubPolicy,
    get_network,
    list_networks,
    load_warning_lists,
    pin_value,
    rebuild_networks,
    update_networks,
)
from bigfish.linking.warninglists import WarningLists
from bigfish.models import ApiRole
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_linking import network_events, networks
from tests.linking.conftest import jsonl_ingest, report
from tests.linking.kept_stores import kept_store, made_once

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()

#: Values the reports draw from: four phones that link, a bank hotline on the shipped
#: hotlines-th list, a scammer's page (it links by its URL and by its domain).
VALUES = (
    ("phone", "+66811111111"),
    ("phone", "+66822222222"),
    ("phone", "+66833333333"),
    ("phone", "+66844444444"),
    ("phone", "+6628888888"),
    ("url", "https://invest-gold88.com/pay"),
)
#: An operator's own list naming one of the phones (a warning-list change).
OWN_LIST = {
    "name": "ours",
    "type": "exact",
    "kinds": ["phone"],
    "list": ["+66833333333"],
}

LOSSES = st.sampled_from(
    [None, ("100", "THB"), ("2500", "THB"), ("40", "USD"), ("700", "NPR"), ("9000", "NPR")]
)


@dataclass(frozen=True)
class Send:
    """Ingest report REPORT_ID (new, or sent again) mentioning VALUES."""

    report_id: str
    values: tuple[int, ...]
    loss: tuple[str, str] | None
    day: int
    month: int
    country: str


@dataclass(frozen=True)
class Delete:
    report_id: str


@dataclass(frozen=True)
class Pin:
    value: int
    link: bool


@dataclass(frozen=True)
class Lists:
    own: bool  # the operator's list on (or off again)


@dataclass(frozen=True)
class Link:
    """Link DAYS after the last link step: an update in one store, a rebuild in the other."""

    days: int = 0


Step = Send | Delete | Pin | Lists | Link


def _steps(report_ids: int) -> st.SearchStrategy[list[Step]]:
    ids = st.sampled_from([f"r{i}" for i in range(report_ids)])
    send = st.builds(
        Send,
        ids,
        st.lists(st.integers(0, len(VALUES) - 1), min_size=0, max_size=3, unique=True).map(
            lambda v: tuple(sorted(v))
        ),
        LOSSES,
        st.integers(1, 28),
        st.integers(1, 2),
        st.sampled_from(["TH", "VN"]),
    )
    step = st.one_of(
        send,
        send,
        send,
        st.builds(Delete, ids),
        st.builds(Pin, st.integers(0, len(VALUES) - 1), st.booleans()),
        st.builds(Lists, st.booleans()),
        st.just(Link()),
        st.builds(Link, st.integers(0, 12)),
    )
    return st.lists(step, min_size=1, max_size=14)


@dataclass
class _Node:
    """One store of the pair, and what it was sent."""

    store: Store
    ingest: Any
    held: set[str]


@contextmanager
def _pair(migrated: Path, source: Path) -> Iterator[tuple[_Node, _Node]]:
    """Two copies of SOURCE, in the worker's kept stores (`kept_store`, beside MIGRATED)."""
    with tempfile.TemporaryDirectory(prefix="h124-") as tmp:
        nodes = []
        for name in ("update", "rebuild"):
            folder = Path(tmp) / name
            folder.mkdir()
            store = kept_store(migrated.parent / "h124-kept" / name / "bigfish.db", source)
            nodes.append(_Node(store, jsonl_ingest(folder), set()))
        try:
            yield nodes[0], nodes[1]
        finally:
            for node in nodes:
                node.store.close()


def _delete(store: Store, report_id: str) -> None:
    with store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == "th-aoc")
        ).scalar_one()
    analyst = Viewer(org_id=org_id, org_name="th-aoc", role=ApiRole.ANALYST)
    delete_report(store, analyst, "th-aoc", report_id)


def _row(step: Send) -> dict[str, Any]:
    amount, currency = step.loss if step.loss is not None else (None, "THB")
    return report(
        step.report_id,
        *(VALUES[v] for v in step.values),
        country=step.country,
        day=step.day,
        month=step.month,
        loss=amount,
        currency=currency,
    )


def _view(store: Store, now: datetime) -> dict[str, Any]:
    """Everything the operator is shown of the networks, and the ids' statuses and history."""
    shown = {}
    for n in list_networks(store, OP, now=now, limit=1000).networks:
        doc = get_network(store, OP, n.id, now=now).to_json()
        doc["events"] = [(e["kind"], e["other_ids"]) for e in doc["events"]]
        doc["listed"] = n.to_json()
        shown[n.id] = doc
    with store.connect() as conn:
        status = {
            int(r.id): (r.status, r.merged_into)
            for r in conn.execute(
                sa.select(networks.c.id, networks.c.status, networks.c.merged_into)
            )
        }
        history = sorted(
            (r.network_id, r.kind, tuple(r.other_ids or ()))
            for r in conn.execute(sa.select(network_events))
        )
    return {"networks": shown, "status": status, "history": history}


def _run(
    migrated: Path,
    steps: list[Step],
    policy: HubPolicy,
    lists: dict[bool, WarningLists],
    label: str,
    rates: Rates | None = None,
) -> None:
    """STEPS on an incrementally updated store and a rebuilt one, both rebuilt first (on no
    report, at NOW: the same for every sequence of a test, LABEL, so run once a worker)."""

    def first(store: Store) -> None:
        rebuild_networks(store, now=NOW, rates=rates, policy=policy, warning_lists=lists[False])

    with _pair(migrated, made_once(migrated, f"h124-{label}", first)) as (incremental, full):
        own, now = False, NOW
        for number, step in enumerate([*steps, Link()]):
            relist = False
            for node in (incremental, full):
                if isinstance(step, Send):
                    node.ingest(node.store, "th-aoc", [_row(step)])
                    node.held.add(step.report_id)
                elif isinstance(step, Delete) and step.report_id in node.held:
                    _delete(node.store, step.report_id)
                    node.held.discard(step.report_id)
                elif isinstance(step, Pin):
                    kind, value = VALUES[step.value]
                    pin_value(node.store, kind, value, link=step.link)
                    relist = True
                elif isinstance(step, Lists):
                    relist = step.own != own
            if isinstance(step, Lists):
                own = step.own
            if relist:  # takes effect at the next `bigfish link` (a rebuild)
                for node in (incremental, full):
                    rebuild_networks(
                        node.store, now=now, rates=rates, policy=policy, warning_lists=lists[own]
                    )
            if isinstance(step, Link):
                now += timedelta(days=step.days)
                for link, node in ((update_networks, incremental), (rebuild_networks, full)):
                    link(node.store, now=now, rates=rates, policy=policy, warning_lists=lists[own])
                assert _view(incremental.store, now) == _view(full.store, now), (
                    f"after step {number}"
                )


@pytest.fixture(scope="module")
def warning_lists(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, WarningLists]:
    import json

    folder = tmp_path_factory.mktemp("lists")
    (folder / "ours.json").write_text(json.dumps(OWN_LIST), encoding="utf-8")
    return {False: load_warning_lists([]), True: load_warning_lists([folder])}


#: Found by this test: the update recorded the pin's stop with one report and never counted
#: again, so the network explained "pin, 1 report" where a rebuild said 2 (fixed in detail.py).
PINNED_THEN_GROWN: list[Step] = [
    Pin(0, link=False),
    Send("r0", (0, 1), None, 1, 1, "TH"),
    Link(),
    Send("r4", (0, 1), None, 1, 1, "TH"),
]

#: Found by review: reports dated after the run that linked them (growth 0 then) never entered
#: the growth of the untouched network in later updates (fixed in aging.py).
DATED_AFTER_THE_RUN: list[Step] = [
    Send("r0", (0,), None, 10, 2, "TH"),
    Send("r1", (0,), None, 10, 2, "TH"),
    Link(),
    Link(12),
]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps(5))
@example(steps=PINNED_THEN_GROWN)
@example(steps=DATED_AFTER_THE_RUN)
def test_an_update_shows_what_a_rebuild_shows(
    _migrated_sqlite: Path, warning_lists: dict[bool, WarningLists], steps: list[Step]
) -> None:
    """Every defence on; five reports cannot make the three groups the hub test needs."""
    _run(_migrated_sqlite, steps, HubPolicy(), warning_lists, "defended")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps(8))
def test_an_update_shows_what_a_rebuild_shows_with_more_reports(
    _migrated_sqlite: Path, warning_lists: dict[bool, WarningLists], steps: list[Step]
) -> None:
    """Eight reports, the statistical hub test off (lists and pins still apply)."""
    _run(_migrated_sqlite, steps, HubPolicy(statistical=False), warning_lists, "more")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps(5))
def test_an_update_at_the_operators_rates_shows_what_a_rebuild_shows(
    _migrated_sqlite: Path, warning_lists: dict[bool, WarningLists], steps: list[Step]
) -> None:
    """Losses counted at the operator's table (the reference rates) rather than as stored."""
    _run(_migrated_sqlite, steps, HubPolicy(), warning_lists, "rates", reference_rates())

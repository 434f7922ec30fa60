"""A partner re-sending a report unchanged (a cumulative export, each day) does not rewrite it:
its updated_at and mentions stay as they were, so no alert is served or webhook sent again and
a link run finds no work; a report that did change is rewritten as before. Through what
`bigfish ingest` calls (`ingest_file`, then `send_ingest_webhooks`) and POST /api/v1/reports, on
both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.alerts import list_alerts, send_ingest_webhooks
from bigfish.intake import ingest_file
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import remark_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import mentions, organizations, reports
from bigfish.webhooks import add_webhook
from tests.api.helpers import Partnership, build_partnership, report
from tests.intake.conftest import csv_text, row
from tests.webhook_capture import CapturedWebhooks, catch_webhooks

PHONE = "081-234-5678"  # B holds it; +66812345678
CANONICAL = "+66812345678"
SHARED = Marking(tlp=TLP.GREEN, distribution=Distribution.PARTNERSHIP)


@dataclass
class Node:
    """A node where B holds PHONE (shared) and has a webhook; A ingests next."""

    store: Store
    b_id: int
    folder: Path
    caught: CapturedWebhooks

    def ingest(self, rows: list[dict[str, str]], marking: Marking = SHARED) -> dict[str, int]:
        """A's file of ROWS ingested, then its webhooks sent, as `bigfish ingest` does (the
        library calls: each CLI run in this process would keep its connections); its counts."""
        path = self.folder / "a.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        done = ingest_file(self.store, path, org="A", marking=marking)
        sent = send_ingest_webhooks(self.store, done.run_id)
        return {
            "received": done.received,
            "stored": done.stored,
            "updated": done.updated,
            "rejected": done.rejected,
            "webhooks": sent.delivered,
        }

    def b_alerts(self, since: datetime) -> list[str]:
        """The report_ids of B's alerts dated after SINCE."""
        page = list_alerts(self.store, Viewer(org_id=self.b_id, org_name="B"), since=since)
        return [a.report_id for a in page.alerts]


@pytest.fixture
def node(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    caught = catch_webhooks(monkeypatch)
    b = add_org(store, "B", country="TH", sector="bank")
    add_org(store, "A", country="TH", sector="anti_scam_centre")
    held = tmp_path / "b.csv"
    held.write_text(csv_text([row("b1", phones=PHONE)]), "utf-8")
    ingest_file(store, held, org="B", marking=SHARED)
    add_webhook(store, b.id, "https://hooks.b.example/bigfish")
    return Node(store, b.id, tmp_path, caught)


def _rows_of(store: Store) -> dict[str, tuple[Any, ...]]:
    """Each report_id's (updated_at, created_at, content_digest)."""
    with store.connect() as conn:
        found = conn.execute(
            sa.select(
                reports.c.report_id,
                reports.c.updated_at,
                reports.c.created_at,
                reports.c.content_digest,
            )
        )
        return {str(r[0]): tuple(r[1:]) for r in found}


def _mention_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every mention with its physical row (SQLite's rowid, PostgreSQL's xmin): a mention
    deleted and inserted again, even the same, is another row."""
    physical = "rowid" if store.engine.dialect.name == "sqlite" else "xmin::text"
    with store.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(
                    mentions.c.report_pk,
                    mentions.c.identifier_id,
                    mentions.c.source,
                    sa.literal_column(physical).label("physical"),
                )
            )
        )


def _file(n: int = 5) -> list[dict[str, str]]:
    return [row(f"a{i}", phones=PHONE, narrative=f"report {i}") for i in range(n)]


def test_re_ingesting_the_same_file_changes_nothing_and_alerts_nobody_again(node: Node) -> None:
    caught = node.caught
    first = node.ingest(_file())
    assert (first["stored"], first["webhooks"]) == (5, 1)
    before, held = _rows_of(node.store), _mention_rows(node.store)
    after_first = datetime.now(UTC)
    assert node.b_alerts(after_first) == []
    again = node.ingest(_file())
    assert (again["received"], again["stored"], again["updated"], again["rejected"]) == (
        5,
        0,
        5,
        0,
    )
    assert again["webhooks"] == 0 and len(caught.requests) == 1
    assert _rows_of(node.store) == before
    assert _mention_rows(node.store) == held
    assert node.b_alerts(after_first) == []
    assert all(digest is not None and len(digest) == 64 for _, _, digest in before.values())


def test_a_file_with_one_report_changed_rewrites_that_one_alone(node: Node) -> None:
    caught = node.caught
    node.ingest(_file())
    before = _rows_of(node.store)
    after_first = datetime.now(UTC)
    changed = _file()
    changed[2] = changed[2] | {"loss_amount": "16000"}
    counts = node.ingest(changed)
    assert (counts["stored"], counts["updated"], counts["webhooks"]) == (0, 5, 1)
    after = _rows_of(node.store)
    moved = sorted(k for k in after if after[k] != before[k])
    assert moved == ["a2"]
    assert after["a2"][0] > before["a2"][0] and after["a2"][2] != before["a2"][2]
    assert node.b_alerts(after_first) == ["a2"]
    (sent,) = [json.loads(r.content)["alerts"] for r in caught.requests[1:]]
    assert [a["report"]["report_id"] for a in sent] == ["a2"]


@pytest.mark.parametrize(
    ("change", "marking"),
    [
        ({"phones": f"{PHONE};081-999-0000"}, SHARED),  # a new phone
        ({"narrative": "corrected"}, SHARED),
        ({}, Marking(tlp=TLP.AMBER, distribution=Distribution.PARTNERSHIP)),  # re-marked
    ],
    ids=["phone", "narrative", "tlp"],
)
def test_a_changed_report_is_rewritten(
    node: Node, change: dict[str, str], marking: Marking
) -> None:
    node.ingest([row("a1", phones=PHONE)])
    (before,) = _rows_of(node.store)["a1"][:1]
    counts = node.ingest([row("a1", phones=PHONE) | change], marking)
    assert counts["updated"] == 1
    updated_at, _, digest = _rows_of(node.store)["a1"]
    assert updated_at > before and digest is not None


def test_a_duplicate_later_in_the_same_file_is_still_refused(node: Node, tmp_path: Path) -> None:
    node.ingest([row("a1", phones=PHONE)])
    before = _rows_of(node.store)
    path = tmp_path / "dup.csv"
    # a1 unchanged in the first batch, then a changed copy of it in a later one
    path.write_text(
        csv_text([row("a1", phones=PHONE), row("a2"), row("a1", narrative="other")]), "utf-8"
    )
    done = ingest_file(node.store, path, org="A", marking=SHARED, batch_size=1)
    assert (done.stored, done.updated, done.rejected) == (1, 1, 1)
    assert _rows_of(node.store)["a1"] == before["a1"]


def test_a_row_from_before_the_digest_is_rewritten_once_and_gets_one(node: Node) -> None:
    node.ingest([row("a1", phones=PHONE)])
    with node.store.begin() as conn:
        conn.execute(reports.update().values(content_digest=None))
    before = _rows_of(node.store)["a1"]
    node.ingest([row("a1", phones=PHONE)])
    once = _rows_of(node.store)["a1"]
    assert once[0] > before[0] and once[2] is not None
    node.ingest([row("a1", phones=PHONE)])
    assert _rows_of(node.store)["a1"] == once


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    yield from build_partnership(store)


def _api_alerts(p: Partnership, who: str, since: datetime) -> list[str]:
    answer = p.client.get(
        "/api/v1/alerts", params={"since": since.isoformat()}, headers=p.headers(who)
    )
    assert answer.status_code == 200, answer.text
    return [a["report"]["report_id"] for a in answer.json()["alerts"]]


def test_posting_the_same_reports_again_changes_nothing_and_hands_off_nothing(
    partnership: Partnership,
) -> None:
    p = partnership
    handed: list[list[int]] = []
    p.client.app.state.on_reports = lambda pks: handed.append(sorted(pks))  # type: ignore[attr-defined]
    p.submit("B", [report("b-old", phone=CANONICAL)], distribution="partnership", tlp="green")
    sent = [report(f"a{i}", phone=CANONICAL, narrative=f"n{i}") for i in range(3)]
    first = p.submit("A", sent, distribution="partnership", tlp="green")
    assert (first["stored"], len(handed)) == (3, 2)
    before, held = _rows_of(p.store), _mention_rows(p.store)
    after_first = datetime.now(UTC)
    again = p.submit("A", sent, distribution="partnership", tlp="green")
    assert (again["received"], again["stored"], again["updated"], again["rejected"]) == (
        3,
        0,
        3,
        [],
    )
    assert len(handed) == 2  # nothing written, nothing handed to the webhooks
    assert _rows_of(p.store) == before and _mention_rows(p.store) == held
    assert _api_alerts(p, "B", after_first) == []
    sent[1] = sent[1] | {"loss_amount": "99.00"}
    p.submit("A", sent, distribution="partnership", tlp="green")
    with p.store.connect() as conn:
        a1 = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "a1")).scalar()
    assert handed[2:] == [[a1]]
    assert _api_alerts(p, "B", after_first) == ["a1"]


def test_a_re_marked_report_sent_again_as_it_was_takes_the_sent_marking(node: Node) -> None:
    """The digest held was the report's as sent; a re-marking (PATCH) changed the report
    since, so the same report sent again differs from what is held and is rewritten."""
    node.ingest([row("a1", phones=PHONE)])
    wider = Marking(tlp=TLP.CLEAR, distribution=Distribution.PARTNERSHIP)
    remark_report(
        node.store,
        Viewer(org_id=_org_id(node.store, "A"), org_name="A", role=ApiRole.ANALYST),
        "A",
        "a1",
        wider,
    )
    remarked = _rows_of(node.store)["a1"]
    node.ingest([row("a1", phones=PHONE)])
    with node.store.connect() as conn:
        held = conn.execute(
            sa.select(reports.c.tlp, reports.c.distribution).where(reports.c.report_id == "a1")
        ).one()
    assert tuple(held) == (SHARED.tlp.value, SHARED.distribution.value)
    assert _rows_of(node.store)["a1"][0] > remarked[0]


def _org_id(store: Store, name: str) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(
                sa.select(organizations.c.id).where(organizations.c.name == name)
            ).scalar_one()
        )


def test_re_marking_a_report_with_the_marking_it_has_changes_nothing(node: Node) -> None:
    node.ingest([row("a1", phones=PHONE)])
    before = _rows_of(node.store)["a1"]
    analyst = Viewer(org_id=_org_id(node.store, "A"), org_name="A", role=ApiRole.ANALYST)
    remark_report(node.store, analyst, "A", "a1", SHARED)
    assert _rows_of(node.store)["a1"] == before  # no stamp: no reader sees a change
    node.ingest([row("a1", phones=PHONE)])
    assert _rows_of(node.store)["a1"] == before  # still its digest: not rewritten


def test_a_report_sent_again_unchanged_by_an_overlapping_run_is_pushed_once(
    node: Node, tmp_path: Path
) -> None:
    """Two ingest runs of one organization that overlap: the report the first wrote still
    reaches the webhooks once (it was pushed by neither when runs were told by ingest_run)."""
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(csv_text([row("a1", phones=PHONE, narrative="one")]), "utf-8")
    second.write_text(csv_text([row("a1", phones=PHONE, narrative="one")]), "utf-8")
    run_one = ingest_file(node.store, first, org="A", marking=SHARED)
    # The second run begins after a1 was written, and finds it unchanged, before the first
    # run's webhooks go out (another process; or a1 in the first run's first batch of many).
    run_two = ingest_file(node.store, second, org="A", marking=SHARED)
    assert (run_one.stored, run_two.updated) == (1, 1)
    sent = send_ingest_webhooks(node.store, run_one.run_id).delivered
    sent += send_ingest_webhooks(node.store, run_two.run_id).delivered
    assert (sent, len(node.caught.requests)) == (1, 1)

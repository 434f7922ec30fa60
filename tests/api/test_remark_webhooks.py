"""A report re-marked (PATCH) to a wider audience pushes the alerts it raises, as a poll does.

Alerts are dated by `updated_at`, which a re-marking moves: a poll from before the PATCH serves
the alerts the report now raises. The PATCH hands the report to the webhooks as a submission
does, and delivery decides who may see it now: a holder the re-marking showed it to gets its
alert; a holder that no longer may see it gets nothing; one that still may gets it again (at
least once, as the poll serves it again). A PATCH that changes nothing hands off nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.alerts import send_webhooks
from bigfish.store.schema import organizations
from bigfish.webhooks import add_webhook
from tests.api.helpers import Partnership, report
from tests.webhook_capture import CapturedWebhooks, catch_webhooks

VALUE = "+66811110001"  # held by B (and C), then reported by A


def _hook(p: Partnership, who: str) -> None:
    with p.store.connect() as conn:
        org_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == who)
        ).scalar_one()
    add_webhook(p.store, int(org_id), f"https://hooks.example/{who}")


def _handing_off(
    p: Partnership, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[list[int]], CapturedWebhooks]:
    """The app's dispatcher replaced by one that sends at once, on the request's thread (no
    waiting in the test), through the production delivery; the report pks handed off and the
    webhooks caught."""
    caught = catch_webhooks(monkeypatch)
    handed: list[list[int]] = []

    def send_now(pks: Sequence[int]) -> None:
        handed.append(sorted(pks))
        send_webhooks(p.store, pks)

    p.client.app.state.on_reports = send_now  # type: ignore[attr-defined]
    return handed, caught


def _poll(p: Partnership, who: str, **params: str) -> dict[str, Any]:
    answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    polled: dict[str, Any] = answer.json()
    return polled


def _remark(p: Partnership, report_id: str, **marking: str) -> dict[str, Any]:
    answer = p.client.patch(f"/api/v1/reports/A/{report_id}", json=marking, headers=p.headers("A"))
    assert answer.status_code == 200, answer.text
    remarked: dict[str, Any] = answer.json()
    return remarked


def _received(caught: CapturedWebhooks, start: int = 0) -> dict[str, list[tuple[str, str, str]]]:
    """The alerts each webhook received from request START on: (id, report_id, value)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for request in caught.requests[start:]:
        found.setdefault(request.url.path, []).extend(
            (a["id"], a["report"]["report_id"], a["identifier"]["canonical"])
            for a in json.loads(request.content)["alerts"]
        )
    return found


def test_a_report_re_marked_to_the_partnership_reaches_the_holders_webhook(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = partnership
    _hook(p, "A")
    _hook(p, "B")
    handed, caught = _handing_off(p, monkeypatch)
    p.submit("B", [report("b-old", phone=VALUE)], distribution="partnership", tlp="green")
    p.submit("A", [report("a-now", phone=VALUE)])  # organization only: B may not see it
    assert "/B" not in _received(caught)  # B is not alerted
    before_patch = _poll(p, "B")
    assert before_patch["alerts"] == []
    already = len(caught.requests)
    remarked = _remark(p, "a-now", distribution="partnership")
    assert remarked["distribution"] == "partnership"
    pushed = _received(caught, already)
    polled = _poll(p, "B", since=before_patch["as_of"])["alerts"]
    assert [(a["id"], a["report"]["report_id"], a["identifier"]["canonical"]) for a in polled] == [
        (polled[0]["id"], "a-now", VALUE)
    ]
    assert pushed.get("/B") == [(polled[0]["id"], "a-now", VALUE)]
    # A's report is its only holding of the value, stamped anew: A's poll serves B's report
    # again, and A's webhook gets it again too (at least once, same id).
    again = _poll(p, "A", since=before_patch["as_of"])["alerts"]
    assert [(a["id"], a["report"]["report_id"]) for a in again] == [
        (a, r) for a, r, _ in pushed["/A"]
    ]
    assert [r for _, r, _ in pushed["/A"]] == ["b-old"]
    assert len(handed) == 3  # two submissions and the PATCH


def test_a_narrowing_re_mark_alerts_only_who_still_may_see_the_report(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Narrowing raises no new alert; it is handed off all the same (delivery decides who may
    see the report now): B, shut out, gets nothing; C, in the group it is narrowed to, gets its
    alert again, as its poll serves it again."""
    p = partnership
    _hook(p, "B")
    _hook(p, "C")
    handed, caught = _handing_off(p, monkeypatch)
    p.submit("B", [report("b-old", phone=VALUE)])
    p.submit("C", [report("c-old", phone=VALUE)])
    p.submit("A", [report("a-now", phone=VALUE)], distribution="partnership", tlp="green")
    first = _received(caught)
    assert sorted(first) == ["/B", "/C"]
    before_patch = _poll(p, "C")["as_of"]
    already = len(caught.requests)
    _remark(p, "a-now", distribution="group", group="mekong")
    assert len(handed) == 4
    pushed = _received(caught, already)
    assert "/B" not in pushed
    assert _poll(p, "B", since=before_patch)["alerts"] == []
    polled = _poll(p, "C", since=before_patch)["alerts"]
    assert pushed == {"/C": first["/C"]}
    assert [a["id"] for a in polled] == [a for a, _, _ in first["/C"]]
    _remark(p, "a-now", distribution="organization")
    assert len(handed) == 5
    assert caught.requests[already + 1 :] == []  # nobody else may see it: nothing sent


def test_a_re_mark_that_changes_nothing_hands_off_nothing(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = partnership
    _hook(p, "B")
    handed, caught = _handing_off(p, monkeypatch)
    p.submit("B", [report("b-old", phone=VALUE)])
    p.submit("A", [report("a-now", phone=VALUE)], distribution="partnership", tlp="green")
    assert len(handed) == 2 and "/B" in _received(caught)
    already = len(caught.requests)
    _remark(p, "a-now", distribution="partnership", tlp="green")
    _remark(p, "a-now")  # nothing asked: the marking stays
    assert len(handed) == 2
    assert caught.requests[already:] == []

"""An organization that reports a value another organization reported earlier is alerted then.

An alert is dated when the pair came to be as it is: the later of the other organization's
report and the caller's first report of the value, each as last stored (`updated_at`). A poll
with `since` set to the last poll sees an alert on a value the caller has just reported, however
old the other report; pages in that order neither skip nor repeat an alert while reports arrive;
and the caller's webhook gets those alerts when its report arrives, signed like the others, never
for a hidden report or shared infrastructure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.alerts import paging
from bigfish.store.schema import reports
from tests.api.helpers import Partnership, report
from tests.webhook_capture import capture_webhooks

OLD = "+66811110001"  # B reported it first
NEW = "+66811110002"
HOTLINE = "02-888-8888"  # hotlines-th.json: a bank's published number (shared infrastructure)


def _alerts(p: Partnership, who: str, **params: str) -> list[dict[str, Any]]:
    answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    alerts: list[dict[str, Any]] = answer.json()["alerts"]
    return alerts


def _seen(p: Partnership, who: str, **params: str) -> list[tuple[str, str]]:
    return [
        (a["report"]["report_id"], a["identifier"]["canonical"]) for a in _alerts(p, who, **params)
    ]


def _pk(p: Partnership, org_report_id: str) -> int:
    with p.store.connect() as conn:
        return int(
            conn.execute(
                sa.select(reports.c.id).where(reports.c.report_id == org_report_id)
            ).scalar_one()
        )


def _shared(p: Partnership, who: str, reports_: list[dict[str, Any]]) -> None:
    p.submit(who, reports_, distribution="partnership", tlp="green")


def test_a_since_poll_sees_a_value_another_organization_reported_earlier(
    partnership: Partnership,
) -> None:
    p = partnership
    _shared(p, "B", [report("b-old", phone=OLD)])
    p.submit("A", [report("a-first", phone=NEW)])
    last_poll = datetime.now(UTC)
    assert _seen(p, "A", since=last_poll.isoformat()) == []
    p.submit("A", [report("a-now", phone=OLD)])
    polled = _alerts(p, "A", since=last_poll.isoformat())
    assert [(a["report"]["report_id"], a["identifier"]["canonical"]) for a in polled] == [
        ("b-old", OLD)
    ]
    # Dated when A came to hold the value, after the poll; B's report keeps its own date.
    assert datetime.fromisoformat(polled[0]["created_at"]) > last_poll
    assert polled[0]["report"]["reported_at"].startswith("2025-11-02T10:00:00")
    assert _seen(p, "A", since=datetime.now(UTC).isoformat()) == []


def test_re_submitting_a_changed_report_serves_its_alerts_again_with_their_ids(
    partnership: Partnership,
) -> None:
    """An alert is dated by the reports as they now are (`updated_at`): a report re-submitted
    changed, the other organization's or the holder's own, serves its alerts again, later, same
    id; re-submitted as it was, it is not rewritten and serves nothing again."""
    p = partnership
    _shared(p, "B", [report("b-old", phone=OLD)])
    p.submit("A", [report("a-now", phone=OLD)])
    first = _alerts(p, "A")
    after_first = datetime.now(UTC)
    assert _seen(p, "A", since=after_first.isoformat()) == []  # nothing changed
    _shared(p, "B", [report("b-old", phone=OLD)])  # sent again unchanged
    p.submit("A", [report("a-now", phone=OLD)])
    assert _seen(p, "A", since=after_first.isoformat()) == []
    _shared(p, "B", [report("b-old", phone=OLD, narrative="corrected")])  # an update
    again = _alerts(p, "A", since=after_first.isoformat())
    assert [a["id"] for a in again] == [a["id"] for a in first]
    assert datetime.fromisoformat(again[0]["created_at"]) > after_first
    after_again = datetime.now(UTC)
    p.submit("A", [report("a-now", phone=OLD, narrative="corrected")])  # A's only holding
    assert [a["id"] for a in _alerts(p, "A", since=after_again.isoformat())] == [
        a["id"] for a in first
    ]
    assert [a["id"] for a in _alerts(p, "A")] == [a["id"] for a in first]


def _pages(p: Partnership, who: str, limit: int, between: list[Any] | None = None) -> list[str]:
    """Every alert id of WHO, LIMIT a page; before page i, BETWEEN[i]() runs if given."""
    seen: list[str] = []
    cursor = None
    for i in range(100):
        if between and i < len(between):
            between[i]()
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers(who)).json()
        seen += [a["id"] for a in answer["alerts"]]
        dates = [a["created_at"] for a in answer["alerts"]]
        assert dates == sorted(dates)
        cursor = answer["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the pages never end")


def _phones(n: int) -> list[str]:
    return [f"+6682000{i:04d}" for i in range(n)]


def test_pages_over_old_and_newly_held_alerts_have_no_gap_or_repeat(
    partnership: Partnership,
) -> None:
    p = partnership
    phones = _phones(6)
    _shared(p, "B", [report(f"b1-{i}", phone=v) for i, v in enumerate(phones)])
    p.submit("A", [report("a1", phone=phones[0]), report("a2", phone=phones[1])])
    _shared(p, "B", [report(f"b2-{i}", phone=v) for i, v in enumerate(phones[:3])])
    p.submit("A", [report("a3", phone=phones[2]), report("a4", phone=phones[3])])
    _shared(p, "B", [report(f"b3-{i}", phone=v) for i, v in enumerate(phones)])
    listed = _alerts(p, "A", limit="1000")
    # Dated by a1 and a2 | by their reports | by a3 and a4 | by their reports.
    assert [a["report"]["report_id"] for a in listed] == [
        *("b1-0", "b1-1"),
        *("b2-0", "b2-1"),
        *("b1-2", "b1-3", "b2-2"),
        *("b3-0", "b3-1", "b3-2", "b3-3"),
    ]
    everything = [a["id"] for a in listed]
    for limit in (1, 2, 5):
        assert _pages(p, "A", limit) == everything, limit


def test_pages_skip_nothing_while_reports_arrive(partnership: Partnership) -> None:
    """Between pages A comes to hold a value B reported long before, and B reports again:
    both alerts come after the pages already read, none is skipped or read twice."""
    p = partnership
    phones = _phones(8)
    _shared(p, "B", [report("b0", phone=phones[7])])
    _shared(p, "B", [report(f"b1-{i}", phone=v) for i, v in enumerate(phones[:7])])
    p.submit("A", [report(f"a1-{i}", phone=v) for i, v in enumerate(phones[:4])])
    arrivals = [
        lambda: None,
        lambda: p.submit("A", [report("a-late", phone=phones[7])]),  # b0 is older than b1-*
        lambda: _shared(p, "B", [report("b-late", phone=phones[0])]),
    ]
    seen = _pages(p, "A", 2, between=arrivals)
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(a["id"] for a in _alerts(p, "A", limit="1000"))
    assert len(seen) == 6  # b1-0..3, b0 (held late), b-late


@pytest.mark.parametrize(("own_part", "window", "windows"), [(1, 1, 1), (2, 1, 0), (500, 4, 4)])
def test_the_first_to_report_is_alerted_on_a_value_it_comes_to_hold_later(
    partnership: Partnership,
    monkeypatch: pytest.MonkeyPatch,
    own_part: int,
    window: int,
    windows: int,
) -> None:
    """A reports before any other organization, then, in the middle of its later reports,
    comes to hold a value B reported after A's first: alerted when A came to hold it, though
    A's reports older than B's first are not read for such alerts. C comes to hold, in the
    middle of its reports, a value A reported long before C's first."""
    monkeypatch.setattr(paging, "OWN_PART", own_part)
    monkeypatch.setattr(paging, "WINDOW_PER_ROW", window)
    monkeypatch.setattr(paging, "WINDOWS", windows)
    p = partnership
    phones, later = _phones(14), "+66811110005"
    early, a_own, c_own = phones[:6], phones[6:11], phones[11:]
    marks = [datetime.now(UTC)]
    _shared(p, "A", [report(f"a0-{i}", phone=v) for i, v in enumerate(early[:3])])
    marks.append(datetime.now(UTC))
    _shared(p, "A", [report(f"a0-{i}", phone=v) for i, v in enumerate(early[3:], 3)])
    marks.append(datetime.now(UTC))
    _shared(p, "B", [report("b1", phones=[later, early[0]])])
    marks.append(datetime.now(UTC))
    _shared(p, "A", [report(f"a1-{i}", phone=v) for i, v in enumerate(a_own[:3])])
    _shared(p, "A", [report("a1-3", phone=later)])
    marks.append(datetime.now(UTC))
    _shared(p, "A", [report(f"a1-{i}", phone=v) for i, v in enumerate(a_own[3:], 4)])
    _shared(p, "C", [report(f"c-{i}", phone=v) for i, v in enumerate(c_own[:2])])
    _shared(p, "C", [report("c-3", phone=early[2])])
    marks.append(datetime.now(UTC))
    _shared(p, "C", [report("c-4", phone=later)])
    _shared(p, "C", [report("c-5", phone=c_own[2])])
    marks.append(datetime.now(UTC))
    expected = {
        "A": [("b1", early[0]), ("b1", later), ("c-3", early[2]), ("c-4", later)],
        "B": [("a0-0", early[0]), ("a1-3", later), ("c-4", later)],
        "C": [("a0-2", early[2]), ("b1", later), ("a1-3", later)],
    }
    for who, pairs in expected.items():
        listed = _alerts(p, who, limit="1000")
        assert _seen(p, who, limit="1000") == pairs, who
        for limit in (1, 2):
            assert _pages(p, who, limit) == [a["id"] for a in listed], (who, limit)
        for since in marks + [datetime.fromisoformat(a["created_at"]) for a in listed]:
            assert _seen(p, who, since=since.isoformat()) == [
                pair
                for pair, a in zip(pairs, listed, strict=True)
                if datetime.fromisoformat(a["created_at"]) > since
            ], (who, since)


def _hook(p: Partnership, who: str) -> str:
    answer = p.client.post(
        "/api/v1/webhooks",
        json={"url": f"https://hooks.example/{who}"},
        headers=p.headers(f"{who}-admin"),
    )
    assert answer.status_code == 201, answer.text
    secret: str = answer.json()["secret"]
    return secret


def test_the_new_holder_gets_a_signed_webhook(partnership: Partnership) -> None:
    p = partnership
    secret = _hook(p, "A")
    _shared(p, "B", [report("b-old", phone=OLD)])
    p.submit("A", [report("a-now", phone=OLD)])  # organization only: B does not see it
    received = capture_webhooks(p.store, [_pk(p, "a-now")]).requests
    assert [r.url.path for r in received] == ["/A"]
    request = received[0]
    timestamp = request.headers["X-Bigfish-Timestamp"]
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256)
    assert request.headers["X-Bigfish-Signature"] == "sha256=" + mac.hexdigest()
    body = json.loads(request.content)["alerts"]
    assert [(a["report"]["report_id"], a["identifier"]["canonical"]) for a in body] == [
        ("b-old", OLD)
    ]
    listed = _alerts(p, "A")
    assert [a["id"] for a in body] == [a["id"] for a in listed]
    assert body[0]["created_at"] == listed[0]["created_at"]
    # A second report of the value is not a new holding, nor then the first one again (the
    # second, stamped before, holds the value).
    p.submit("A", [report("a-again", phone=OLD)])
    assert capture_webhooks(p.store, [_pk(p, "a-again")]).requests == []
    p.submit("A", [report("a-now", phone=OLD, narrative="x")])
    assert capture_webhooks(p.store, [_pk(p, "a-now")]).requests == []


def test_the_holder_and_the_new_holder_both_get_theirs(partnership: Partnership) -> None:
    p = partnership
    _hook(p, "A")
    _hook(p, "B")
    _shared(p, "B", [report("b-old", phone=OLD)])
    _shared(p, "A", [report("a-now", phone=OLD)])
    received = capture_webhooks(p.store, [_pk(p, "a-now")]).requests
    bodies = {r.url.path: json.loads(r.content)["alerts"] for r in received}
    assert {
        path: [a["report"]["report_id"] for a in alerts] for path, alerts in bodies.items()
    } == {
        "/A": ["b-old"],
        "/B": ["a-now"],
    }


def test_hidden_reports_and_shared_infrastructure_raise_nothing_for_the_new_holder(
    partnership: Partnership,
) -> None:
    p = partnership
    _hook(p, "A")
    scammer, red, private = OLD, "+66811110003", "+66811110004"
    _shared(p, "B", [report("b-hotline", phone=HOTLINE), report("b-scammer", phone=scammer)])
    p.submit("B", [report("b-red", phone=red)], distribution="partnership", tlp="red")
    p.submit("B", [report("b-private", phone=private)])
    mine = [report(f"a-{i}", phone=v) for i, v in enumerate((HOTLINE, scammer, red, private))]
    p.submit("A", mine)
    received = capture_webhooks(p.store, [_pk(p, f"a-{i}") for i in range(4)]).requests
    assert len(received) == 1
    body = json.loads(received[0].content)["alerts"]
    assert [a["report"]["report_id"] for a in body] == ["b-scammer"]
    assert _seen(p, "A") == [("b-scammer", scammer)]


def test_a_deletion_or_a_group_removal_ends_a_newly_held_alert_at_once(
    partnership: Partnership,
) -> None:
    p = partnership
    p.submit("A", [report("a-grp", phone=OLD)], distribution="group", group="mekong")
    _shared(p, "B", [report("b-old", phone=NEW)])
    p.submit("C", [report("c-now", phone=OLD), report("c-new", phone=NEW)])
    assert sorted(_seen(p, "C")) == [("a-grp", OLD), ("b-old", NEW)]
    gone = p.client.delete("/api/v1/reports/C/c-new", headers=p.headers("C"))
    assert gone.status_code == 204, gone.text
    assert _seen(p, "C") == [("a-grp", OLD)]
    left = p.client.delete("/api/v1/groups/mekong/members/C", headers=p.headers("A-admin"))
    assert left.status_code == 200, left.text
    assert _seen(p, "C") == []

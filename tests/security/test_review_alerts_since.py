"""Alerts: `since` is an instant whatever its offset, one alert per report and value however often
the report mentions it, and a TLP:RED or organization-only report of another organization never
raises one (review checks; they held)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tests.api.helpers import Partnership, report

PHONE = "+66812345678"


def _ids(p: Partnership, who: str, **params: str) -> list[str]:
    answer = p.client.get("/api/v1/alerts", params=params, headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    return [a["report"]["report_id"] for a in answer.json()["alerts"]]


def test_since_is_an_instant_in_any_offset(partnership: Partnership) -> None:
    p = partnership
    p.submit("B", [report("b1")])
    before = datetime.now(UTC) - timedelta(hours=1)
    p.submit("A", [report("a1")], distribution="partnership", tlp="green")
    after = datetime.now(UTC) + timedelta(hours=1)
    bangkok, lima = timezone(timedelta(hours=7)), timezone(timedelta(hours=-5))
    assert _ids(p, "B", since=before.astimezone(bangkok).isoformat()) == ["a1"]
    assert _ids(p, "B", since=before.astimezone(lima).isoformat()) == ["a1"]
    assert _ids(p, "B", since=after.astimezone(bangkok).isoformat()) == []
    assert _ids(p, "B", since=after.astimezone(lima).isoformat()) == []
    bad = p.client.get("/api/v1/alerts", params={"since": "yesterday"}, headers=p.headers("B"))
    assert bad.status_code in (400, 422)


def test_one_alert_per_report_and_value(partnership: Partnership) -> None:
    p = partnership
    p.submit("B", [report("b1")])
    twice = report("a1", narrative=f"they called from {PHONE} and again from 081-234-5678")
    p.submit("A", [twice], distribution="partnership", tlp="green")
    assert _ids(p, "B") == ["a1"]


def test_hidden_reports_raise_no_alert(partnership: Partnership) -> None:
    p = partnership
    p.submit("B", [report("b1")])
    p.submit("C", [report("c1")])
    p.submit("A", [report("own")])
    p.submit("A", [report("red")], distribution="partnership", tlp="red")
    p.submit("A", [report("grp")], distribution="group", group="mekong", tlp="red")
    assert _ids(p, "B") == []
    assert _ids(p, "C") == ["grp"]  # TLP:RED reaches its group's members (policy.py)


def test_an_organization_removed_from_the_group_loses_its_alerts_at_once(
    partnership: Partnership,
) -> None:
    p = partnership
    p.submit("C", [report("c1")])
    p.submit("A", [report("grp")], distribution="group", group="mekong", tlp="amber")
    assert _ids(p, "C") == ["grp"]
    left = p.client.delete("/api/v1/groups/mekong/members/C", headers=p.headers("A-admin"))
    assert left.status_code == 200, left.text
    assert _ids(p, "C") == []

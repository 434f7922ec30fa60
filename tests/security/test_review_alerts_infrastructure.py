"""Alerts and webhooks stay silent on shared infrastructure (a bank's hotline, a platform).

Victims quote their bank's published hotline in unrelated reports: an alert on it would go to
every organization that holds it, and its webhook would carry another organization's report for
no reason. A value on a warning list, pinned as not linking, or stopped by the linking raises no
alert, before and after the linking has run; a scammer's own number still does.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.alerts import holders_to_alert, list_alerts
from bigfish.linking import pin_value
from bigfish.organizations import list_orgs
from bigfish.sharing.policy import Viewer
from bigfish.store.schema import identifiers
from bigfish.store.schema_linking import stopped_values
from tests.api.helpers import Partnership, report

HOTLINE = "02-888-8888"  # hotlines-th.json: a Thai bank's published service number
SCAMMER = "+66812345678"


def _alerted(p: Partnership, who: str) -> list[str]:
    answer = p.client.get("/api/v1/alerts", headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    return [a["identifier"]["canonical"] for a in answer.json()["alerts"]]


def _org_id(p: Partnership, name: str) -> int:
    return next(o.id for o in list_orgs(p.store) if o.name == name)


def test_a_warning_listed_hotline_raises_no_alert_before_linking(partnership: Partnership) -> None:
    p = partnership
    a = [report("a1", phone=HOTLINE), report("a2", phone=SCAMMER)]
    p.submit("A", a, distribution="partnership", tlp="green")
    p.submit("B", [report("b1", phone=HOTLINE), report("b2", phone=SCAMMER)])
    assert _alerted(p, "B") == [SCAMMER]
    pks = _report_pks(p, "a1", "a2")
    pushed = holders_to_alert(p.store, pks)
    assert [x.canonical for x in pushed[_org_id(p, "B")]] == [SCAMMER]


def test_a_value_pinned_or_stopped_by_the_linking_raises_no_alert(
    partnership: Partnership,
) -> None:
    p = partnership
    pinned, stopped = "+66899990001", "+66899990002"
    a = [report("a1", phone=pinned), report("a2", phone=stopped), report("a3", phone=SCAMMER)]
    p.submit("A", a, distribution="partnership", tlp="green")
    p.submit("B", [report(f"b{i}", phone=v) for i, v in enumerate((pinned, stopped, SCAMMER))])
    assert sorted(_alerted(p, "B")) == sorted([pinned, stopped, SCAMMER])
    pin_value(p.store, "phone", pinned, link=False)
    with p.store.begin() as conn:
        ident = conn.execute(
            sa.select(identifiers.c.id).where(identifiers.c.canonical == stopped)
        ).scalar_one()
        conn.execute(
            stopped_values.insert().values(
                identifier_id=ident, reason="hub_degree", detail="test", report_count=900
            )
        )
    assert _alerted(p, "B") == [SCAMMER]
    pushed = holders_to_alert(p.store, _report_pks(p, "a1", "a2", "a3"))
    assert [x.canonical for x in pushed[_org_id(p, "B")]] == [SCAMMER]


def test_an_operator_pin_as_linking_overrides_the_warning_list(partnership: Partnership) -> None:
    p = partnership
    p.submit("A", [report("a1", phone=HOTLINE)], distribution="partnership", tlp="green")
    p.submit("B", [report("b1", phone=HOTLINE)])
    assert _alerted(p, "B") == []
    pin_value(p.store, "phone", HOTLINE, link=True, country="TH")
    assert _alerted(p, "B") == ["+6628888888"]


def test_pages_skip_infrastructure_without_losing_an_alert(partnership: Partnership) -> None:
    """Pages of one alert each: the hotline's alerts fall out, every other alert comes once."""
    p = partnership
    mine = [report(f"b{i}", phone=f"+6689999{i:04d}") for i in range(4)]
    p.submit("B", [*mine, report("bh", phone=HOTLINE)])
    theirs = []
    for i in range(4):
        theirs += [report(f"h{i}", phone=HOTLINE), report(f"a{i}", phone=f"+6689999{i:04d}")]
    p.submit("A", theirs, distribution="partnership", tlp="green")
    viewer = Viewer(_org_id(p, "B"), "B")
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = list_alerts(p.store, viewer, cursor=cursor, limit=1)
        seen += [a.report_id for a in page.alerts]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["a0", "a1", "a2", "a3"]
    later = list_alerts(p.store, viewer, since=datetime(2999, 1, 1, tzinfo=UTC))
    assert later.alerts == () and later.next_cursor is None


def _report_pks(p: Partnership, *report_ids: str) -> list[int]:
    from bigfish.store.schema import reports

    with p.store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.id).where(reports.c.report_id.in_(report_ids))
        ).all()
    return sorted(int(r.id) for r in rows)


def test_holders_can_be_limited_to_those_with_a_webhook(partnership: Partnership) -> None:
    """Delivery looks only for the organizations with a webhook; each gets what it would have
    got from the search for every holder, and an empty set looks for no one."""
    p = partnership
    shared = {"distribution": "partnership", "tlp": "green"}
    p.submit("B", [report("b1", phone=SCAMMER)], **shared)
    p.submit("C", [report("c1", phone=SCAMMER)], **shared)
    p.submit("A", [report("a1", phone=SCAMMER)], **shared)
    pks = _report_pks(p, "a1")
    a, b, c = (_org_id(p, name) for name in "ABC")
    everyone = holders_to_alert(p.store, pks)
    assert set(everyone) == {a, b, c}  # A newly holds what B and C reported before
    assert len(everyone[a]) == 2
    for only in ({a}, {b}, {b, c}):
        assert holders_to_alert(p.store, pks, only) == {o: everyone[o] for o in only}
    assert holders_to_alert(p.store, pks, set()) == {}

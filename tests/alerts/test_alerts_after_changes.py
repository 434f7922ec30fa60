"""A client that polls its alerts from the last page's `as_of` is served the alerts a change of a
report makes: another organization's report replaced to add a value the client holds, or
re-marked so that the client now sees it, and the client's own old report replaced to add a
value another organization reported before.

Alerts are dated by the reports' `updated_at`, which every change stamps: such an alert is dated
after every `as_of` served before the change. Before, they were dated by `created_at`, which a
change keeps, so they were dated before the client's `as_of` and never served to it. An alert a
change serves again keeps its id; an alert nothing changed is not served again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.alerts import holders_to_alert
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.api.helpers import Partnership, build_partnership, report

HELD, OTHER, LATER = "+66811120001", "+66811120002", "+66811120003"


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A (the client), B, C and the group mekong (A, C) on each backend."""
    yield from build_partnership(store)


def _shared(p: Partnership, who: str, *reports_: dict[str, Any]) -> None:
    p.submit(who, list(reports_), distribution="partnership", tlp="green")


class Poller:
    """A's client: follows `next_cursor` to the end, then polls from the last page's `as_of`;
    SERVED: every alert served, in order, as (report_id, canonical, id, created_at)."""

    def __init__(self, p: Partnership, limit: int = 2) -> None:
        self.p, self.limit = p, limit
        self.as_of: str | None = None
        self.served: list[tuple[str, str, str, datetime]] = []

    def poll(self) -> list[tuple[str, str, str, datetime]]:
        """Every page from the kept `as_of`; what they served."""
        found: list[tuple[str, str, str, datetime]] = []
        cursor: str | None = None
        while True:
            params = {"limit": str(self.limit)}
            params |= {"since": self.as_of} if self.as_of is not None else {}
            params |= {"cursor": cursor} if cursor is not None else {}
            answer = self.p.client.get("/api/v1/alerts", params=params, headers=self.p.headers("A"))
            assert answer.status_code == 200, answer.text
            body = answer.json()
            found += [
                (
                    a["report"]["report_id"],
                    a["identifier"]["canonical"],
                    a["id"],
                    datetime.fromisoformat(a["created_at"]),
                )
                for a in body["alerts"]
            ]
            cursor = body["next_cursor"]
            if cursor is None:
                if body["as_of"] is not None:
                    self.as_of = body["as_of"]
                self.served += found
                return found


def _pairs(served: list[tuple[str, str, str, datetime]]) -> list[tuple[str, str]]:
    return [(report_id, canonical) for report_id, canonical, _, _ in served]


def _pk(p: Partnership, report_id: str) -> int:
    with p.store.connect() as conn:
        found = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == report_id))
        return int(found.scalar_one())


def test_another_organizations_report_replaced_with_a_value_held_is_served(
    partnership: Partnership,
) -> None:
    """(a) b0 mentioned nothing A holds; B replaces it to add HELD: the alert is served by the
    poll from `as_of`, and again (same id, later date) when B replaces b0 once more."""
    p = partnership
    p.submit("A", [report("a0", phone=HELD)])
    _shared(p, "B", report("b0", phone=OTHER), report("b1", phone=HELD))
    client = Poller(p)
    assert _pairs(client.poll()) == [("b1", HELD)]
    assert client.poll() == []  # nothing changed: nothing served again
    _shared(p, "B", report("b0", phones=[OTHER, HELD]))
    new = client.poll()
    assert _pairs(new) == [("b0", HELD)]
    assert client.poll() == []
    _shared(p, "B", report("b0", phones=[OTHER, HELD], narrative="corrected"))
    again = client.poll()
    assert _pairs(again) == [("b0", HELD)]
    assert again[0][2] == new[0][2] and again[0][3] > new[0][3]  # the same alert, later


def test_another_organizations_report_re_marked_to_be_seen_is_served(
    partnership: Partnership,
) -> None:
    """(b) b0, B's own (distribution organization), mentions HELD; B re-marks it to the
    partnership: A now sees it, and the poll from `as_of` serves its alert."""
    p = partnership
    p.submit("A", [report("a0", phone=HELD)])
    p.submit("B", [report("b0", phone=HELD)])  # organization only: A does not see it
    _shared(p, "B", report("b1", phone=HELD))
    client = Poller(p)
    assert _pairs(client.poll()) == [("b1", HELD)]
    answer = p.client.patch(
        "/api/v1/reports/B/b0",
        json={"distribution": "partnership", "tlp": "green"},
        headers=p.headers("B"),
    )
    assert answer.status_code == 200, answer.text
    assert _pairs(client.poll()) == [("b0", HELD)]
    assert client.poll() == []


def test_the_clients_own_old_report_replaced_with_a_value_reported_before_is_served(
    partnership: Partnership,
) -> None:
    """(c) B reported LATER; A's old report a0 is replaced to add it: A came to hold it then,
    and the poll from `as_of` serves B's alert. Its webhook gets it too, dated alike."""
    p = partnership
    p.submit("A", [report("a0", phone=HELD)])
    _shared(p, "B", report("b0", phone=LATER), report("b1", phone=HELD))
    client = Poller(p)
    assert _pairs(client.poll()) == [("b1", HELD)]
    p.submit("A", [report("a0", phones=[HELD, LATER])])
    polled = client.poll()
    # b1's alert again too: a0 was A's only report of HELD, and it changed.
    assert sorted(_pairs(polled)) == [("b0", LATER), ("b1", HELD)]
    assert client.poll() == []
    pushed = holders_to_alert(p.store, [_pk(p, "a0")])
    with p.store.connect() as conn:
        a_org = conn.execute(sa.select(reports.c.org_id).where(reports.c.report_id == "a0"))
        org_id = int(a_org.scalar_one())
    assert sorted((a.id, a.created_at) for a in pushed.get(org_id, [])) == sorted(
        (alert_id, at) for _, _, alert_id, at in polled
    )


def test_ids_stay_and_nothing_unchanged_is_served_again_across_changes(
    partnership: Partnership,
) -> None:
    """Changes to one report serve again that report's alerts alone, with their ids; a poll
    after nothing changed serves nothing."""
    p = partnership
    p.submit("A", [report("a0", phones=[HELD, OTHER])])
    _shared(p, "B", report("b0", phone=HELD), report("b1", phone=OTHER))
    _shared(p, "C", report("c0", phone=HELD))
    client = Poller(p, limit=1)
    first = client.poll()
    assert sorted(_pairs(first)) == [("b0", HELD), ("b1", OTHER), ("c0", HELD)]
    ids = {(r, v): i for r, v, i, _ in first}
    assert client.poll() == []
    _shared(p, "B", report("b1", phones=[OTHER, LATER]))  # LATER: A does not hold it
    again = client.poll()
    assert [((r, v), i) for r, v, i, _ in again] == [(("b1", OTHER), ids["b1", OTHER])]
    assert client.poll() == []
    listed = p.client.get("/api/v1/alerts", headers=p.headers("A")).json()["alerts"]
    assert sorted(a["id"] for a in listed) == sorted(ids.values())

"""An organization that joins a sharing group is served the group's reports it could not see
before, by an alert poller and a TAXII client that go on from where they were.

Alerts are dated, and TAXII objects added, by the reports' `updated_at`. A join makes the
group's reports of other organizations visible to the new member, but their dates are old:
its poller (`since` = the `as_of` it kept) and its TAXII client (`added_after` = the newest
date_added it was served) were past them and never got them. So a join stamps them
(`bigfish.memberships.add_member`): the other members are served them again (the same alert
ids), and a link run re-reads them and changes no network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bigfish.accounts import Principal, authenticate_key
from bigfish.linking import list_networks, rebuild_networks, update_networks
from bigfish.memberships import add_member
from bigfish.sharing import Viewer
from bigfish.store.schema import reports
from bigfish.store.schema_linking import network_events, networks
from tests.api.helpers import Partnership, report

HELD = "+66811130001"
NOW = datetime(2025, 12, 1, tzinfo=UTC)
OP = Viewer.node_operator()


class Poller:
    """WHO's alert client: every page, then the next poll from the last page's `as_of`."""

    def __init__(self, p: Partnership, who: str) -> None:
        self.p, self.who = p, who
        self.as_of: str | None = None

    def poll(self) -> list[tuple[str, str, str]]:
        """(report_id, canonical, alert id) of every alert served from the kept `as_of`."""
        found: list[tuple[str, str, str]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "2"}
            params |= {"since": self.as_of} if self.as_of is not None else {}
            params |= {"cursor": cursor} if cursor is not None else {}
            answer = self.p.client.get(
                "/api/v1/alerts", params=params, headers=self.p.headers(self.who)
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            found += [
                (a["report"]["report_id"], a["identifier"]["canonical"], a["id"])
                for a in body["alerts"]
            ]
            cursor = body["next_cursor"]
            if cursor is None:
                if body["as_of"] is not None:
                    self.as_of = body["as_of"]
                return found


class Taxii:
    """WHO's TAXII client: pulls a collection by title, `next` after `next`, from ADDED_AFTER,
    and keeps the newest X-TAXII-Date-Added-Last it was served there."""

    def __init__(self, p: Partnership, who: str) -> None:
        self.p, self.who = p, who
        self.added_after: dict[str, str] = {}

    def pull(self, title: str, added_after: str | None = None) -> list[tuple[str, str]]:
        """(kind, report_id) of the reports served, kind "report" or "revoked"."""
        headers = self.p.headers(self.who)
        listing = self.p.client.get("/taxii2/api/collections/", headers=headers)
        assert listing.status_code == 200, listing.text
        [found] = [c for c in listing.json()["collections"] if c["title"] == title]
        url = f"/taxii2/api/collections/{found['id']}/objects/"
        since = added_after if added_after is not None else self.added_after.get(title)
        served: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            params = {"limit": "3"}
            params |= {"added_after": since} if since is not None else {}
            params |= {"next": token} if token is not None else {}
            answer = self.p.client.get(url, params=params, headers=headers)
            assert answer.status_code == 200, answer.text
            last = answer.headers.get("X-TAXII-Date-Added-Last")
            if last is not None:  # one format (microseconds, Z): text order is time order
                self.added_after[title] = max(last, self.added_after.get(title, last))
            body: dict[str, Any] = answer.json()
            for obj in body.get("objects", []):
                if obj["type"] == "report":
                    kind = "revoked" if obj.get("revoked") else "report"
                    served.append((kind, str(obj["name"]).rsplit("/", 1)[1]))
            token = body.get("next")
            if not body["more"]:
                return served


def _join(p: Partnership, org: str) -> None:
    answer = p.client.post(
        "/api/v1/groups/mekong/members", json={"org": org}, headers=p.headers("A-admin")
    )
    assert answer.status_code == 200, answer.text


def _leave(p: Partnership, org: str) -> None:
    answer = p.client.delete(f"/api/v1/groups/mekong/members/{org}", headers=p.headers("A-admin"))
    assert answer.status_code == 200, answer.text


def _seed(p: Partnership) -> None:
    """B and C hold HELD; A reports it to mekong (a1: A and C), then to the partnership (a0):
    whatever B is served of a0 is dated after a1."""
    p.submit("B", [report("b0", phone=HELD)])
    p.submit("C", [report("c0", phone=HELD)])
    p.submit("A", [report("a1", phone=HELD)], distribution="group", group="mekong", tlp="green")
    p.submit("A", [report("a0", phone=HELD)], distribution="partnership", tlp="green")


def _updated_at(p: Partnership, report_id: str) -> datetime:
    with p.store.connect() as conn:
        found = conn.execute(
            sa.select(reports.c.updated_at).where(reports.c.report_id == report_id)
        ).scalar_one()
    assert isinstance(found, datetime)
    return found


def test_joining_a_group_serves_its_alerts_to_a_poller_from_its_as_of(
    partnership: Partnership,
) -> None:
    """B polled to the end before the join (a0 only: a1 is mekong's); after it, the poll from
    the kept `as_of` serves a1's alert. C, a member all along, is served a1 again, same id."""
    p = partnership
    _seed(p)
    b, c = Poller(p, "B"), Poller(p, "C")
    assert [(r, v) for r, v, _ in b.poll()] == [("a0", HELD)]
    assert b.poll() == []
    before = {r: alert for r, _, alert in c.poll()}
    assert sorted(before) == ["a0", "a1"]
    digest = _digest(p, "a1")
    _join(p, "B")
    assert [(r, v) for r, v, _ in b.poll()] == [("a1", HELD)]
    assert b.poll() == []
    assert [(r, alert) for r, _, alert in c.poll()] == [("a1", before["a1"])]
    assert _digest(p, "a1") == digest  # dated anew, content as it was


def _digest(p: Partnership, report_id: str) -> Any:
    with p.store.connect() as conn:
        return conn.execute(
            sa.select(reports.c.content_digest).where(reports.c.report_id == report_id)
        ).scalar_one()


def test_joining_a_group_serves_its_reports_to_a_taxii_client_from_its_added_after(
    partnership: Partnership,
) -> None:
    """B's client keeps the newest date_added it was served (the partnership collection's a0)
    and pulls from it; after the join it reads mekong's collection too and is served a1."""
    p = partnership
    _seed(p)
    b = Taxii(p, "B")
    assert b.pull("Partnership") == [("report", "a0")]
    kept = b.added_after["Partnership"]
    old = _updated_at(p, "a1")
    _join(p, "B")
    assert b.pull("Group mekong", added_after=kept) == [("report", "a1")]
    assert _updated_at(p, "a1") > old
    assert b.pull("Partnership") == []


def test_rejoining_a_group_serves_its_reports_again_from_the_groups_added_after(
    partnership: Partnership,
) -> None:
    """B pulled mekong's collection as a member, left (served a1 revoked), joined again: its
    pull of mekong's collection from the added_after it kept there serves a1 once more."""
    p = partnership
    _seed(p)
    b = Taxii(p, "B")
    assert b.pull("Partnership") == [("report", "a0")]
    _join(p, "B")
    assert b.pull("Group mekong") == [("report", "a1")]
    _leave(p, "B")
    assert b.pull("Partnership") == [("revoked", "a1")]
    _join(p, "B")
    assert b.pull("Group mekong") == [("report", "a1")]
    assert b.pull("Partnership") == []


def _networks(p: Partnership) -> list[tuple[int, tuple[str, ...]]]:
    page = list_networks(p.store, OP, now=NOW)
    return sorted((n.id, tuple(sorted(r.report_id for r in n.reports))) for n in page.networks)


def _rows(p: Partnership) -> tuple[list[tuple[Any, ...]], int]:
    with p.store.connect() as conn:
        rows = conn.execute(
            sa.select(
                networks.c.id, networks.c.status, networks.c.merged_into, networks.c.report_count
            ).order_by(networks.c.id)
        ).all()
        events = conn.execute(sa.select(sa.func.count()).select_from(network_events)).scalar()
    return [tuple(r) for r in rows], int(events or 0)


def test_a_link_run_after_a_join_re_reads_the_groups_reports_and_changes_no_network(
    partnership: Partnership,
) -> None:
    """The join dates a1 anew: the next run re-reads it with its network (the four reports)
    and every network keeps its id and its members; no network event is recorded."""
    p = partnership
    _seed(p)
    rebuild_networks(p.store, now=NOW)
    networks_before, rows_before = _networks(p), _rows(p)
    assert networks_before and networks_before[0][1] == ("a0", "a1", "b0", "c0")
    _join(p, "B")
    summary = update_networks(p.store, now=NOW)
    assert (summary.reports_considered, summary.networks_touched) == (4, 1)
    assert (summary.created, summary.merged, summary.split, summary.dissolved) == (0, 0, 0, 0)
    assert _networks(p) == networks_before
    assert _rows(p) == rows_before


def test_joining_a_group_takes_the_writers_lock_before_anything_else(
    partnership: Partnership,
) -> None:
    """A join stamps reports, so it announces itself first (`announce_writer`): a reader
    bounded by the newest stamp waits for it and never passes a stamp it has not committed."""
    p = partnership
    _seed(p)
    admin = _admin(p)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(p.store.engine, "before_cursor_execute", record)
    try:
        add_member(p.store, admin, "mekong", "B")
    finally:
        sa.event.remove(p.store.engine, "before_cursor_execute", record)
    if p.store.dialect == "postgresql":
        assert "pg_advisory_xact_lock_shared" in statements[0], statements[:3]
    else:  # the one write lock, taken by a write that changes nothing
        assert statements[0].startswith("UPDATE link_state"), statements[:3]


def _admin(p: Partnership) -> Principal:
    with p.store.connect() as conn:
        admin = authenticate_key(conn, p.keys["A-admin"])
    assert admin is not None
    return admin

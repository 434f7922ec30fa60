"""Class 3: a report B cannot see never groups B's reports. B's reports that only someone
else's report links are shown as separate networks (`bigfish.linking.parts`), each under an id
that looks like any network's; B's other figures count them so."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.linking.detail import get_network
from bigfish.linking.service import rebuild_networks
from bigfish.linking.views import list_networks
from bigfish.reporting.stats import key_figures
from bigfish.sharing import Viewer
from bigfish.store.schema_linking import networks
from bigfish.web import data
from tests.api.helpers import Partnership, report

P1, P2 = "+66811111111", "+66822222222"


def _glued(p: Partnership) -> None:
    """B holds two pairs of reports (one phone per pair); only A's private report mentions
    both phones."""
    p.submit("B", [report("b1", phone=P1), report("b2", phone=P1)])
    p.submit("B", [report("b3", phone=P2), report("b4", phone=P2)])
    p.submit("A", [report("glue", phones=[P1, P2])])
    rebuild_networks(p.store)


def _listed(p: Partnership, who: str) -> list[dict[str, Any]]:
    answer = p.client.get("/api/v1/networks", headers=p.headers(who))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["networks"]
    return found


def _ids(doc: dict[str, Any]) -> list[str]:
    return sorted(r["report_id"] for r in doc["reports"])


def test_class03_a_hidden_report_does_not_join_what_b_sees(partnership: Partnership) -> None:
    p = partnership
    _glued(p)
    with p.store.connect() as conn:
        [(whole,)] = conn.execute(sa.select(networks.c.id).where(networks.c.status == "active"))
    operator = get_network(p.store, Viewer.node_operator(), whole)
    assert operator.summary.stats.report_count == 5  # one network: the glue links the pairs
    seen = _listed(p, "B")
    assert sorted(_ids(n) for n in seen) == [["b1", "b2"], ["b3", "b4"]]
    by_reports = {tuple(_ids(n)): n["id"] for n in seen}
    assert by_reports[("b1", "b2")] == whole  # the part with the first report keeps the id
    part = by_reports[("b3", "b4")]
    assert isinstance(part, int) and part > whole  # an id like any other network's
    assert all(n["report_count"] == 2 and n["organizations"] == ["B"] for n in seen)
    # Each lists its own identifiers only: the other part's phone would tell the hidden link
    # (the list read them by the network cut, found by the review of this change).
    phones = {tuple(_ids(n)): [i["canonical"] for i in n["identifiers"]] for n in seen}
    assert phones == {("b1", "b2"): [P1], ("b3", "b4"): [P2]}
    # Each opens as itself, with only its own links; the part id is stable.
    opened = p.client.get(f"/api/v1/networks/{part}", headers=p.headers("B")).json()
    assert _ids(opened["summary"] if "summary" in opened else opened) == ["b3", "b4"]
    assert [n["id"] for n in _listed(p, "B")] == [n["id"] for n in seen]
    odd = p.client.get("/api/v1/networks", params={"cursor": "²"}, headers=p.headers("B"))
    assert odd.status_code in (400, 422)  # a digit to str.isdigit, not to int (it was a 500)
    # A lookup names the part holding the value's reports.
    looked = p.client.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": P2, "country": "TH"},
        headers=p.headers("B"),
    ).json()
    assert looked["networks"] == [part] and looked["report_count"] == 2
    # The operator is shown the network whole; the part id leads there.
    via_part = get_network(p.store, Viewer.node_operator(), part)
    assert via_part.summary.id == whole and via_part.redirected_from == part
    # A sees one report of it: no network; C sees nothing.
    assert _listed(p, "A") == [] and _listed(p, "C") == []


def test_class03_the_parts_join_once_b_may_see_the_link(partnership: Partnership) -> None:
    p = partnership
    _glued(p)
    part = max(n["id"] for n in _listed(p, "B"))
    p.submit("A", [report("glue", phones=[P1, P2])], distribution="partnership", tlp="green")
    rebuild_networks(p.store)
    [one] = _listed(p, "B")
    assert _ids(one) == ["b1", "b2", "b3", "b4", "glue"]
    # A part id is no network's to anyone else, nor leads to one: who else was given it would
    # tell that someone sees the network in parts (found by a review of this change).
    for who in ("B", "A"):
        again = p.client.get(f"/api/v1/networks/{part}", headers=p.headers(who))
        assert again.status_code == 404, who
    operator = get_network(p.store, Viewer.node_operator(), part)
    assert operator.redirected_from == part and operator.summary.stats.report_count == 5


def test_class03_web_figures_count_the_parts(partnership: Partnership) -> None:
    p = partnership
    _glued(p)
    b = _viewer(p, "B")
    stats = data.network_stats(p.store, b)
    assert sorted(s.report_count for s in stats.values()) == [2, 2]
    assert data.overview_figures(p.store, b).network_count == 2
    assert key_figures(p.store, b).network_count == 2  # the statistics report counts so too
    assert data.since_yesterday(p.store, b).networks_touched == 2


def test_class03_a_part_waits_for_a_link_run_rather_than_showing_joined(
    partnership: Partnership,
) -> None:
    """A part id is given out under the link runs' lock, without waiting for it: while a run
    holds it, a part that has no id yet is left out (never shown joined to the other part)."""
    from bigfish.linking.state import lock_linking

    p = partnership
    _glued(p)
    b = _viewer(p, "B")
    with p.store.begin() as conn:
        lock_linking(conn)  # a link run in progress (SQLite: the API could not audit meanwhile)
        held = list_networks(p.store, b).to_json()["networks"]
    assert [_ids(n) for n in held] == [["b1", "b2"]]
    after = list_networks(p.store, b).to_json()["networks"]
    assert sorted(_ids(n) for n in after) == [["b1", "b2"], ["b3", "b4"]]


def _viewer(p: Partnership, name: str) -> Viewer:
    from bigfish.accounts import _groups_of
    from bigfish.organizations import get_org

    with p.store.connect() as conn:
        org = get_org(conn, name)
        return Viewer(org.id, org.name, group_ids=_groups_of(conn, org.id))


HOTLINE = "+6628888888"  # on the shipped warning list hotlines-th: it never links


def test_class03_values_that_do_not_link_count_only_what_b_sees(partnership: Partnership) -> None:
    p = partnership
    p.submit("B", [report("b1", phones=[P1, HOTLINE]), report("b2", phones=[P1, HOTLINE])])
    p.submit("A", [report("a1", phones=[HOTLINE]), report("a2", phones=[HOTLINE])])  # private
    rebuild_networks(p.store)
    [seen] = _listed(p, "B")
    doc = p.client.get(f"/api/v1/networks/{seen['id']}", headers=p.headers("B")).json()
    [hotline] = [n for n in doc["not_linking"] if n["canonical"] == HOTLINE]
    assert hotline["report_count"] == 2  # B's two reports, not the node's four
    operator = get_network(p.store, Viewer.node_operator(), seen["id"])
    assert [n.report_count for n in operator.not_linking if n.canonical == HOTLINE] == [4]


@pytest.mark.parametrize("by_id", [500, 0])  # read by id, or the figures' shared graph
def test_class03_since_yesterday_counts_no_network_b_sees_one_report_of(
    partnership: Partnership, monkeypatch: pytest.MonkeyPatch, by_id: int
) -> None:
    monkeypatch.setattr(data, "TOUCHED_BY_ID", by_id)
    p = partnership
    _glued(p)
    assert data.since_yesterday(p.store, _viewer(p, "A")).networks_touched == 0  # A sees 1
    assert data.since_yesterday(p.store, _viewer(p, "C")).networks_touched == 0
    assert data.since_yesterday(p.store, _viewer(p, "B")).networks_touched == 2  # two parts


@pytest.mark.parametrize("relink", ["rebuild", "update"])
def test_class03_b_keeps_its_network_ids_when_a_hidden_report_joins_them(
    partnership: Partnership, relink: str
) -> None:
    """B's two networks merged by A's private report: B still sees them under the ids it knew
    (the absorbed id is kept as the part's). Nothing B can see changed; nor may its ids (it
    saw (b3, b4) move to a new id, found by a review of this change)."""
    from bigfish.linking.service import update_networks

    p = partnership
    p.submit("B", [report("b1", phone=P1), report("b2", phone=P1)])
    p.submit("B", [report("b3", phone=P2), report("b4", phone=P2)])
    rebuild_networks(p.store)
    before = {tuple(_ids(n)): n["id"] for n in _listed(p, "B")}
    assert len(set(before.values())) == 2
    p.submit("A", [report("glue", phones=[P1, P2])])
    (rebuild_networks if relink == "rebuild" else update_networks)(p.store)
    after = {tuple(_ids(n)): n["id"] for n in _listed(p, "B")}
    assert after == before
    for ids, nid in before.items():  # each opens as it did
        opened = p.client.get(f"/api/v1/networks/{nid}", headers=p.headers("B")).json()
        assert tuple(sorted(r["report_id"] for r in opened["reports"])) == ids
    operator = get_network(p.store, Viewer.node_operator(), min(before.values()))
    assert operator.summary.stats.report_count == 5  # merged: the older id survives

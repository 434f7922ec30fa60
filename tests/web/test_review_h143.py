"""Review h143: every sum of losses a viewer who is not the operator is shown — the web's
overview and ranking, a network's page and export, the API's networks, the networks of an
export — is of the reports that viewer may see (spec/security-tests.md class 3). A report it may
not see, joining a network it sees (with a large loss, another country, this month's date, and
a value that bridges two of its rings), changes none of its figures: not the total, the count,
the countries, first and last seen, the growth, nor the score, whose value would tell them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bigfish.accounts import viewer_as
from bigfish.interop.export import network_views
from bigfish.linking.detail import get_network
from bigfish.linking.service import rebuild_networks
from bigfish.linking.views import list_networks
from bigfish.sharing.policy import Viewer
from bigfish.web import data
from tests.api.helpers import report
from tests.web.conftest import WebPartnership

RING = "+66833333333"
OTHER_RING = "+66844444444"


def _without_ids(doc: Any) -> Any:
    """DOC without network ids: a network seen in parts is shown under its parts' ids."""
    if isinstance(doc, dict):
        return {k: _without_ids(v) for k, v in doc.items() if k not in ("id", "redirected_from")}
    if isinstance(doc, list):
        return sorted((_without_ids(v) for v in doc), key=repr)
    return doc


def listed(web: WebPartnership, who: str) -> list[dict[str, Any]]:
    """The networks of WHO's API ranking."""
    answer = web.api.client.get("/api/v1/networks", headers=web.api.headers(who))
    networks: list[dict[str, Any]] = answer.json()["networks"]
    return networks


def _seen_by(web: WebPartnership, who: str) -> dict[str, Any]:
    """Every network figure WHO is shown, through each surface, ids left out."""
    store = web.store
    viewer = viewer_as(store, who)
    listed = web.api.client.get("/api/v1/networks", headers=web.api.headers(who)).json()
    ids = [n["id"] for n in listed["networks"]]
    details = [
        web.api.client.get(f"/api/v1/networks/{nid}", headers=web.api.headers(who)).json()
        for nid in ids
    ]
    pages = [web.clients[who].get(f"/networks/{nid}") for nid in ids]
    assert all(p.status_code == 200 for p in pages)
    return {
        "api list": _without_ids(listed),
        "api detail": _without_ids(
            [{k: v for k, v in d.items() if k != "events"} for d in details]
        ),
        "cli as org": _without_ids(list_networks(store, viewer).to_json()),
        "web detail": _without_ids([get_network(store, viewer, nid).to_json() for nid in ids]),
        "web ranking": sorted(repr(s) for s in data.network_stats(store, viewer).values()),
        "web overview": repr(data.overview_figures(store, viewer)),
        "web since yesterday": repr(data.since_yesterday(store, viewer)),
        "exported networks": sorted(
            repr((n.reports, n.countries, n.score, n.total_loss_usd, n.first_seen, n.last_seen))
            for n in network_views(store, viewer)
        ),
        "network export csv": sorted(
            data.export_network(store, viewer, get_network(store, viewer, nid), "csv")
            for nid in ids
        ),
    }


def test_a_hidden_report_changes_no_figure_a_viewer_is_shown(web: WebPartnership) -> None:
    # Two rings of A that every organization sees.
    web.api.submit(
        "A",
        [report("p-1", phone=RING), report("p-2", phone=RING)],
        distribution="partnership",
        tlp="amber",
    )
    web.api.submit(
        "A",
        [report("q-1", phone=OTHER_RING), report("q-2", phone=OTHER_RING)],
        distribution="partnership",
        tlp="green",
    )
    rebuild_networks(web.store)
    before = {who: _seen_by(web, who) for who in ("B", "C")}
    assert len(before["B"]["api list"]["networks"]) == 3  # B's own ring and A's two

    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    hidden = {
        "country": "LA",
        "reported_at": recent,
        "loss_amount": "750000",
        "loss_currency": "USD",
        "phones": [RING, OTHER_RING],  # joins A's two rings into one network
    }
    web.api.submit("A", [report("secret-1", **hidden)], distribution="organization")
    web.api.submit("A", [report("secret-2", **hidden)], distribution="partnership", tlp="red")
    web.api.submit("A", [report("secret-3", **hidden)], distribution="group", group="mekong")
    rebuild_networks(web.store)

    operator = list_networks(web.store, Viewer.node_operator()).to_json()["networks"]
    assert any(n["report_count"] == 7 for n in operator)  # the rings did join
    after_b = _seen_by(web, "B")
    assert [s for s, figures in before["B"].items() if after_b[s] != figures] == []
    ids = [n["id"] for n in listed(web, "B")]
    for path in ["/", "/networks", *(f"/networks/{nid}" for nid in ids)]:
        html = web.clients["B"].get(path).text
        assert "$750," not in html and "c-la" not in html, path
    # C sees the group's report, so its figures do change, but by that report only.
    joined = [n for n in listed(web, "C") if n["report_count"] == 5]
    assert len(joined) == 1, listed(web, "C")
    assert joined[0]["countries"] == ["LA", "TH"]
    assert "$750,000" in web.clients["C"].get(f"/networks/{joined[0]['id']}").text
    assert joined[0]["total_loss_usd"] == 750000 + sum(
        n["total_loss_usd"]
        for n in before["C"]["api list"]["networks"]
        if {r["report_id"] for r in n["reports"]} <= {"p-1", "p-2", "q-1", "q-2"}
    )

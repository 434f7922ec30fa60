"""The viewer's ranking is added up as rows stream in: the same statistics as `summarize` over
the visible members, for every viewer, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bigfish.linking.score import summarize
from bigfish.linking.service import rebuild_networks
from bigfish.linking.views import _visible_members, visible_network_stats
from bigfish.organizations import list_orgs
from bigfish.sharing.policy import Viewer
from tests.api.helpers import report
from tests.web.conftest import WebPartnership


def test_streamed_statistics_are_summarize(web: WebPartnership) -> None:
    recent = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    web.api.submit(
        "A",
        [
            report("s-1", phone="+66844444444", channel="line", reported_at=recent),
            report("s-2", phone="+66844444444", loss_currency="XXX", country="VN"),
            report("s-3", phone="+66844444444", loss_amount=None, scam_type=None),
            report("s-4", phone="+66844444444", channel="sms", reported_at=recent),
        ],
        distribution="partnership",
        tlp="green",
    )
    web.api.submit("C", [report("c-9", phone="+66844444444", loss_amount="99.99")])
    rebuild_networks(web.store)
    now = datetime.now(UTC)
    viewers = [Viewer.node_operator()] + [Viewer(o.id, o.name) for o in list_orgs(web.store)]
    checked = 0
    with web.store.connect() as conn:
        for viewer in viewers:
            expected = {
                nid: summarize(facts, now)
                for nid, facts in _visible_members(conn, viewer, None, None).items()
            }
            assert visible_network_stats(conn, viewer, now) == expected, viewer
            if viewer.org_name == "C":
                assert any(s.growth_30d and s.channels for s in expected.values())
                assert any(s.unknown_currency for s in expected.values())
                checked += 1
    assert checked == 1

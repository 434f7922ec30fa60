"""The viewer's ranking is added up as rows stream in: the same statistics as `summarize` over
the visible members, for every viewer, on both backends. The rankings and overviews of all
viewers come from one read of the store split by audience, shared while the data stay as they
are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bigfish.linking.score import summarize
from bigfish.linking.service import rebuild_networks
from bigfish.linking.views import _visible_members, audience_split, visible_network_stats
from bigfish.organizations import list_orgs
from bigfish.reporting.stats import audience_totals, key_figures
from bigfish.sharing.policy import Viewer
from bigfish.web import data
from tests.api.helpers import report
from tests.web.conftest import WebPartnership, wait_until
from tests.web.test_freshness import _viewer


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


def _every_marking(web: WebPartnership) -> list[Viewer]:
    """Reports of every kind of audience in networks A, B and C each see part of; the viewers."""
    phone = "+66855555555"
    for org, marking in (
        ("A", {"distribution": "partnership", "tlp": "green"}),
        ("A", {"distribution": "partnership", "tlp": "red"}),
        ("A", {"distribution": "group", "group": "mekong", "tlp": "red"}),
        ("B", {"distribution": "partnership", "tlp": "amber"}),
        ("B", {}),
        ("C", {"distribution": "group", "group": "mekong"}),
        ("C", {}),
    ):
        tag = f"{org}-{marking.get('distribution', 'own')}-{marking.get('tlp', 'amber')}"
        web.api.submit(
            org, [report(f"{tag}-1", phone=phone), report(f"{tag}-2", phone=phone)], **marking
        )
    rebuild_networks(web.store)
    return [Viewer.node_operator(), Viewer(None)] + [
        _viewer(web.store, name, in_groups=groups) for name in "ABC" for groups in (False, True)
    ]


def test_one_split_by_audience_serves_every_viewer(web: WebPartnership) -> None:
    viewers = _every_marking(web)
    now = datetime.now(UTC)
    seen = set()
    with web.store.connect() as conn:
        split = audience_split(conn, now)
        for viewer in viewers:
            expected = {
                nid: summarize(facts, now)
                for nid, facts in _visible_members(conn, viewer, None, None).items()
            }
            assert split.stats_for(viewer) == expected, viewer
            seen.add(tuple(sorted((nid, s.report_count) for nid, s in expected.items())))
        totals = audience_totals(conn, web.store.dialect)
    assert len(seen) >= 5  # the viewers see different parts of the networks
    for viewer in viewers:
        mine = totals.figures_for(viewer, len(split.stats_for(viewer)))
        theirs = key_figures(web.store, viewer)
        assert mine.report_count == theirs.report_count, viewer
        assert mine.network_count == theirs.network_count, viewer
        assert mine.loss_usd == pytest.approx(theirs.loss_usd, rel=1e-12)
        for a, b in ((mine.by_country, theirs.by_country), (mine.by_month, theirs.by_month)):
            assert [(t.key, t.reports) for t in a] == [(t.key, t.reports) for t in b], viewer


def test_the_figures_of_many_viewers_read_the_store_once(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewers = _every_marking(web)[2:]
    reads: list[Any] = []

    def counted(*args: Any) -> Any:
        reads.append(args)
        return audience_split(*args)

    monkeypatch.setattr(data, "audience_split", counted)
    monkeypatch.setattr(data, "_shared", data._Shared(3600.0))

    def ranked(viewer: Viewer) -> dict[int, int]:
        return {n.id: n.stats.report_count for n in data._compute_ranking(web.store, viewer)}

    now = datetime.now(UTC)
    with web.store.connect() as conn:
        alone = {v: visible_network_stats(conn, v, now) for v in viewers}
    for viewer in viewers:
        assert ranked(viewer) == {nid: s.report_count for nid, s in alone[viewer].items()}
        assert data.overview_figures(web.store, viewer).network_count == len(alone[viewer])
    assert len(reads) == 1
    web.api.submit("B", [report("late-1", phone="+66855555555")])  # a new version of the data
    assert ranked(viewers[0]) == {nid: s.report_count for nid, s in alone[viewers[0]].items()}
    assert len(reads) == 2  # read again (the new report is in no network until linking runs)
    ranked(viewers[1])
    assert len(reads) == 2
    monkeypatch.setattr(data, "_shared", data._Shared(0.0))  # the window has passed
    ranked(viewers[1])
    ranked(viewers[1])
    assert len(reads) == 4


def test_the_shared_figures_are_let_go_once_no_computation_may_use_them(
    web: WebPartnership,
) -> None:
    lasting = data._Shared(600.0)  # a window no slow read outlasts
    kept = lasting.get(web.store)
    assert lasting.get(web.store) is kept  # within the window: the same read
    shared = data._Shared(0.2)
    first = shared.get(web.store)
    wait_until(lambda: web.store not in shared._figures)
    assert shared.get(web.store) is not first  # read again

"""Review of the analyst pages (helper-108): the overview says the losses it cannot convert to US
dollars, and a report whose id ends in /graph keeps its own page and graph."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bigfish.reporting import stats
from bigfish.reporting.stats import Tally, key_figures
from bigfish.web import data, freshness
from bigfish.web.stored_figures import KeptFigures, StoredFigures
from tests.api.helpers import report
from tests.web.conftest import WebPartnership
from tests.web.test_freshness import _viewer
from tests.web.test_stored_figures import restarted


def _unrated_losses(web: WebPartnership) -> None:
    """B's reports: 5000 and 1200.50 NPR (no reference rate) from Viet Nam, 700 NPR from Laos
    shared with the partnership, and the THB losses of the seed's b-1 and b-2."""
    web.api.submit(
        "B",
        [
            report("npr-1", country="VN", loss_currency="NPR", loss_amount="5000"),
            report("npr-2", country="VN", loss_currency="NPR", loss_amount="1200.50"),
        ],
    )
    web.api.submit(
        "B",
        [report("npr-3", country="LA", loss_currency="NPR", loss_amount="700")],
        distribution="partnership",
    )


def _cards(page: str) -> str:
    return page.split('class="cards"', 1)[1].split("</section>", 1)[0]


def _country_row(page: str, country: str) -> str:
    table = page.split('id="bycountry"', 1)[1].split("</table>", 1)[0]
    return next(r for r in table.split("<tr>") if f">{country}</span>" in r)


def test_the_overview_says_the_losses_it_has_no_exchange_rate_for(web: WebPartnership) -> None:
    """Its 'Losses (USD)' and losses by country counted the THB losses only and said nothing of
    the NPR ones: a country whose victims lost only NPR showed $0."""
    _unrated_losses(web)
    bob, alice = web.clients["B"], web.clients["A"]
    page = bob.get("/").text
    assert "+ 6,900.50 NPR in 3 report(s), no exchange rate" in _cards(page)
    assert "+ 6,200.50 NPR in 2 report(s), no exchange rate" in _country_row(page, "VN")
    assert "+ 700 NPR in 1 report(s), no exchange rate" in _country_row(page, "LA")
    thai = bob.get("/", headers={"Accept-Language": "th"}).text
    assert "+ 6,900.50 NPR ใน 3 รายงาน ไม่มีอัตราแลกเปลี่ยน" in _cards(thai)
    vietnamese = bob.get("/", headers={"Accept-Language": "vi"}).text
    assert "+ 6,900.50 NPR trong 3 báo cáo, không có tỷ giá" in _cards(vietnamese)
    # A sees the report shared with the partnership only, not B's own two.
    seen_by_a = alice.get("/").text
    assert "+ 700 NPR in 1 report(s), no exchange rate" in _cards(seen_by_a)
    assert "6,200.50" not in seen_by_a and "6,900.50" not in seen_by_a


def test_every_path_to_the_overview_counts_the_same_unrated_losses(web: WebPartnership) -> None:
    """The SQL aggregate (`key_figures`) and the per-audience fold the pages use
    (`AudienceTotals.figures_for`) give the same counts and exact amounts, per viewer."""
    _unrated_losses(web)
    expected = {
        "B": (
            (stats.Unrated("NPR", 3, "6900.50"),),
            (
                ("LA", (stats.Unrated("NPR", 1, "700"),)),
                ("VN", (stats.Unrated("NPR", 2, "6200.50"),)),
            ),
        ),
        "A": ((stats.Unrated("NPR", 1, "700"),), (("LA", (stats.Unrated("NPR", 1, "700"),)),)),
    }
    for org, (unrated, by_country) in expected.items():
        viewer = _viewer(web.store, org, in_groups=True)
        for figures in (key_figures(web.store, viewer), data.overview_figures(web.store, viewer)):
            assert (figures.unrated, figures.unrated_by_country) == (unrated, by_country), org
            assert figures.unrated_in("XX") == ()


@dataclass(frozen=True, slots=True)
class _OldKeyFigures:
    """`KeyFigures` as kept before the unrated losses: its fields, module and name."""

    report_count: int
    loss_usd: float
    network_count: int
    by_country: tuple[Tally, ...]
    by_month: tuple[Tally, ...]


_OldKeyFigures.__module__ = stats.__name__
_OldKeyFigures.__qualname__ = _OldKeyFigures.__name__ = "KeyFigures"
assert sys.modules[stats.__name__] is stats


def test_kept_overview_figures_carry_the_unrated_losses_and_old_ones_still_serve_a_page(
    web: WebPartnership,
) -> None:
    """Kept figures round-trip the unrated losses; figures kept by an older bigfish (without
    them) are not taken for new ones: the page loads and says the unrated losses."""
    _unrated_losses(web)
    viewer = _viewer(web.store, "B", in_groups=True)
    key = freshness.viewer_key(viewer)
    now = datetime.now(UTC)
    kept: KeptFigures[Any] = KeptFigures("overview", tuple[data.KeyFigures, data.Changes])
    value = (key_figures(web.store, viewer), data.Changes(0, 0.0, 0))
    version = freshness.data_version(web.store)
    kept.write(web.store, key, StoredFigures(value, version, now))
    found = kept.read(web.store, key)
    assert found is not None and found.value == value
    assert found.value[0].unrated == (stats.Unrated("NPR", 3, "6900.50"),)

    old: KeptFigures[Any] = KeptFigures("overview", tuple[_OldKeyFigures, data.Changes])
    assert old.shape != kept.shape
    stale = _OldKeyFigures(99, 1.0, 0, (Tally("VN", 99, 1.0, 1),), ())
    old.write(
        web.store, key, StoredFigures((stale, data.Changes(0, 0.0, 0)), version, datetime.now(UTC))
    )
    assert kept.read(web.store, key) is None  # another shape: not read as the new one
    with restarted(web) as (_, signed_in):
        page = signed_in("bob").get("/")
        assert page.status_code == 200
        assert ">99<" not in _cards(page.text)
        assert "+ 6,900.50 NPR in 3 report(s), no exchange rate" in _cards(page.text)


def test_a_report_whose_id_ends_in_graph_has_its_own_page_and_graph(web: WebPartnership) -> None:
    """Report ids may hold '/': /reports/A/x/graph was both the page of report x/graph and the
    graph of report x, and x/graph's page, linked from everywhere, opened x's graph JSON."""
    web.api.submit(
        "A",
        [
            report("x", phone="+66833333333", country="TH"),
            report("x/graph", phone="+66844444444", country="TH"),
        ],
    )
    alice = web.clients["A"]
    for report_id, phone, other in (
        ("x/graph", "+66844444444", "+66833333333"),
        ("x", "+66833333333", "+66844444444"),
    ):
        for path in (f"/reports/A/{report_id}", "/reports/A/" + quote(report_id, safe="")):
            page = alice.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html"), path
            assert phone in page.text and other not in page.text, path
        graph = alice.get("/graph/reports/A/" + quote(report_id, safe=""))
        assert graph.status_code == 200, report_id
        assert [m["canonical"] for m in graph.json()["identifiers"]] == [phone], report_id
    # the graph's own URL is checked by the policy as the page is
    assert web.clients["B"].get("/graph/reports/A/x").json() == {"identifiers": []}
    assert web.clients["B"].get("/reports/A/x/graph").status_code == 404

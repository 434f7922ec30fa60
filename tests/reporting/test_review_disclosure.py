"""The summit report publishes aggregated figures only, and says whose view it is.

One TLP:RED report that its organization shared with nobody must not come out of `bigfish report`
as "LA: 1 report, $48,000" (PRODUCT.md: de-identified statistics only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.organizations import list_orgs
from bigfish.reporting import compute_statistics, parse_period, write_report
from bigfish.reporting.disclosure import MIN_CELL, OTHER, pooled, publishable
from bigfish.reporting.stats import Tally
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong on each backend."""
    yield from build_partnership(store)


def _usd(report_id: str, country: str, amount: str) -> dict[str, object]:
    return report(report_id, country=country, loss_amount=amount, loss_currency="USD")


def _submit_summit_data(p: Partnership) -> None:
    shared = [_usd(f"th{i}", "TH", "100") for i in range(6)]
    shared += [_usd(f"vn{i}", "VN", "100") for i in range(6)]
    p.submit("B", shared, distribution="partnership", tlp="green")
    p.submit("A", [_usd("la-victim", "LA", "48000")], tlp="red")  # A's alone


def _text(html: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)


def test_a_single_hidden_report_does_not_come_out_with_its_country_and_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    _submit_summit_data(partnership)
    out = tmp_path / "summit.html"
    result = write_report(partnership.store, Viewer.node_operator(), out, parse_period("2025"))
    assert result.report_count == 13
    html = _text(out.read_text("utf-8"))
    assert "48,000" not in html  # neither the loss ...
    assert "<td>LA</td>" not in html and "LA" not in re.sub(r"<[^>]+>", " ", html).split()
    # ... nor the period's total: $48,000 and twelve of $100 is that victim's loss to within
    # 2.5 % (the p % rule, helper-120); its count stays
    assert "$49,200" not in html and "<b>13</b>scam reports" in html
    assert "The most affected country is <b>TH</b>" in html
    stats = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    shown = publishable(stats, [])
    assert [t.key for t in shown.stats.by_country] == ["TH", OTHER]
    assert shown.stats.by_country[1].reports == 7  # LA pooled with VN, never alone
    assert [(f.victim_country, f.asset_country) for f in shown.stats.flows] == [("VN", "TH")]


def test_the_report_says_whose_view_it_is(partnership: Partnership, tmp_path: Path) -> None:
    _submit_summit_data(partnership)
    operator = tmp_path / "operator.html"
    write_report(partnership.store, Viewer.node_operator(), operator, parse_period("2025"))
    text = operator.read_text("utf-8")
    assert 'id="audience"' in text
    assert "operator's view" in text and "shared with no other organization" in text
    assert "the reader's organization may see" not in text  # untrue of the operator's view
    b = next(o for o in list_orgs(partnership.store) if o.name == "B")
    mine = tmp_path / "b.html"
    write_report(partnership.store, Viewer(b.id, b.name), mine, parse_period("2025"))
    assert "The view of B" in mine.read_text("utf-8")


def test_small_groups_are_pooled_until_the_pool_is_not_small() -> None:
    tallies = [
        Tally("A", 10, 1.0, 10),
        Tally("B", 6, 2.0, 6),
        Tally("C", 2, 3.0, 2),
        Tally("D", 1, 4.0, 1),
    ]
    assert pooled(tallies, 5) == (Tally("A", 10, 1.0, 10), Tally(OTHER, 9, 9.0, 9))
    assert pooled([Tally("A", 1, 5.0, 1)], 5) == (Tally(OTHER, 1, 5.0, 1),)
    assert pooled([Tally("A", 5, 5.0, 5)], 5) == (Tally("A", 5, 5.0, 5),)
    assert pooled([], 5) == ()
    assert MIN_CELL >= 3


def test_a_month_of_few_reports_keeps_its_count_not_its_losses(
    partnership: Partnership, tmp_path: Path
) -> None:
    p = partnership
    p.submit("B", [_usd(f"n{i}", "TH", "100") for i in range(5)], distribution="partnership")
    p.submit("B", [_usd(f"o{i}", "TH", "100") for i in range(6)], distribution="partnership")
    lone = {**_usd("dec", "TH", "7777"), "reported_at": "2025-12-02T10:00:00Z"}
    p.submit("B", [lone], distribution="partnership")
    stats = compute_statistics(p.store, Viewer.node_operator(), parse_period("2025"))
    months = {t.key: t for t in publishable(stats, []).stats.by_month}
    # November's 11 reports would give December's loss away (total minus November): both go.
    assert months["2025-12"].reports == 1 and math.isnan(months["2025-12"].loss_usd)
    assert months["2025-11"].reports == 11 and math.isnan(months["2025-11"].loss_usd)
    out = tmp_path / "months.html"
    write_report(p.store, Viewer.node_operator(), out, parse_period("2025"))
    assert "7,777" not in _text(out.read_text("utf-8"))


def test_small_months_take_the_smallest_others_with_them() -> None:
    from bigfish.reporting.disclosure import _months

    tallies = [
        Tally("01", 9, 1.0, 9),
        Tally("02", 6, 2.0, 6),
        Tally("03", 1, 3.0, 1),
        Tally("04", 20, 4.0, 20),
    ]
    shown = {t.key: t.loss_usd for t in _months(tallies, 5)}
    assert shown["01"] == 1.0 and shown["04"] == 4.0
    assert math.isnan(shown["02"]) and math.isnan(shown["03"])
    assert _months([Tally("01", 5, 1.0, 5)], 5) == (Tally("01", 5, 1.0, 5),)

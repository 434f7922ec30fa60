"""Review (helper-99) of the summit report's small-cell suppression: what a narrow period, a
network's countries and the cross-border sentence gave away."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.reporting import compute_statistics, parse_period, write_report
from bigfish.reporting.disclosure import publishable
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong."""
    yield from build_partnership(sqlite_store)


def _usd(report_id: str, country: str, amount: str, **extra: object) -> dict[str, object]:
    return report(report_id, country=country, loss_amount=amount, loss_currency="USD", **extra)


def _text(html: str) -> str:
    """The words of HTML, without its tags and chart images."""
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _submit_summit_data(p: Partnership) -> None:
    shared = [_usd(f"th{i}", "TH", "100") for i in range(6)]
    shared += [_usd(f"vn{i}", "VN", "100") for i in range(6)]
    p.submit("B", shared, distribution="partnership", tlp="green")
    lone = _usd("la-victim", "LA", "48000", reported_at="2025-12-02T10:00:00Z")
    p.submit("A", [lone], tlp="red")  # A's alone


def test_a_period_of_one_report_does_not_publish_its_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """`--period 2025-12` (or a single day) held the lone TLP:RED report only, and the summary
    said "1 scam reports, $48,000 reported losses": the period's total is that victim's loss."""
    _submit_summit_data(partnership)
    out = tmp_path / "december.html"
    december = parse_period("2025-12")
    result = write_report(partnership.store, Viewer.node_operator(), out, december)
    assert result.report_count == 1
    text = _text(out.read_text("utf-8"))
    assert "48,000" not in text
    assert "1 scam reports" in text and "not published reported losses" in text
    stats = compute_statistics(partnership.store, Viewer.node_operator(), december)
    shown = publishable(stats, []).stats
    assert math.isnan(shown.loss_usd)
    losses = [t.loss_usd for t in (*shown.by_country, *shown.by_typology, *shown.by_month)]
    assert losses and all(math.isnan(x) for x in losses)
    # A period of MIN_CELL reports or more keeps its total, as documented, unless one report's
    # loss dominates it (the p % rule, helper-120): $48,000 of $49,200 is that victim's.
    year = publishable(
        compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025")), []
    )
    assert year.stats.report_count == 13 and math.isnan(year.stats.loss_usd)


def test_a_country_pooled_into_other_is_not_named_among_a_networks_countries(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The lone LA victim (pooled into "Other") shares its phone with the 12 others, and the
    network's row printed "LA, TH, VN": its country came out after all."""
    from bigfish.linking.service import rebuild_networks

    _submit_summit_data(partnership)
    rebuild_networks(partnership.store)
    out = tmp_path / "summit.html"
    result = write_report(partnership.store, Viewer.node_operator(), out, parse_period("2025"))
    assert result.network_count == 1
    text = _text(out.read_text("utf-8"))
    assert "LA" not in re.findall(r"[A-Z]{2}", text.replace("The largest", ""))
    assert "TH, Other" in text  # listed, with VN and LA pooled as in the countries' table


def test_a_report_naming_two_foreign_countries_is_one_cross_border_report(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The summary's "N reports name bank accounts or phone numbers of another country" added
    up the flows, which count a report once per foreign country: 6 reports said 12."""
    both = [_usd(f"vn{i}", "VN", "100", phones=["+66812345678", "+85512345678"]) for i in range(6)]
    partnership.submit("B", both, distribution="partnership")
    stats = compute_statistics(partnership.store, Viewer.node_operator())
    assert [(f.asset_country, f.reports) for f in stats.flows] == [("KH", 6), ("TH", 6)]
    out = tmp_path / "summit.html"
    write_report(partnership.store, Viewer.node_operator(), out, parse_period("2025"))
    said = re.search(r"([\d,]+) reports name bank accounts", _text(out.read_text("utf-8")))
    assert said is not None and said[1] == "6"


def test_top_networks_are_the_best_of_those_the_report_may_list(
    partnership: Partnership, tmp_path: Path
) -> None:
    """`--top 1` took the best-scored network and then left it out for its 2 reports: the
    report said "No network in this period" beside a network of 6 it may list."""
    from bigfish.linking.service import rebuild_networks

    pairs = [
        _usd(f"s{n}{i}", "TH", "900000", phone=f"+6681000{n}000") for n in range(3) for i in (0, 1)
    ]
    big = [_usd(f"b{i}", "TH", "100", phone="+66819999999") for i in range(6)]
    partnership.submit("B", pairs + big, distribution="partnership")
    rebuild_networks(partnership.store)
    out = tmp_path / "top.html"
    period = parse_period("2025")
    result = write_report(partnership.store, Viewer.node_operator(), out, period, top=1)
    assert result.network_count == 4  # three pairs of high losses, ranked first, and the six
    text = _text(out.read_text("utf-8"))
    assert "No network in this period" not in text
    assert "The largest network links 6 reports" in text


def test_the_largest_network_is_the_one_of_most_reports(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The summary called the best-scored network "the largest": 5 reports of high losses
    ranked above 9 of small ones, and the summary said the largest network links 5 reports."""
    from bigfish.linking.service import rebuild_networks

    costly = [_usd(f"c{i}", "TH", "900000", phone="+66810001000") for i in range(5)]
    many = [_usd(f"m{i}", "TH", "10", phone="+66819999999") for i in range(9)]
    partnership.submit("B", costly + many, distribution="partnership")
    rebuild_networks(partnership.store)
    out = tmp_path / "largest.html"
    write_report(partnership.store, Viewer.node_operator(), out, parse_period("2025"))
    text = _text(out.read_text("utf-8"))
    assert "The largest network links 9 reports" in text
    # the tables keep the ranking by score
    table = text[text.index("Top networks") :]
    assert table.index("$4,500,000") < table.index("$90 ")


def test_a_period_without_reports_says_no_losses(sqlite_store: Store, tmp_path: Path) -> None:
    """An empty period has no one's loss to hide: "$0 reported losses", not "not published"."""
    out = tmp_path / "empty.html"
    write_report(sqlite_store, Viewer.node_operator(), out, parse_period("2025"))
    text = _text(out.read_text("utf-8"))
    assert "0 scam reports $0 reported losses" in text

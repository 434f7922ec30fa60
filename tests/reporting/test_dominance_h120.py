"""The p % rule (helper-120): a loss that one report's dominates is not published, nor can it be
had as the table's total minus the losses shown.

A country, month, typology or network of five reports, one of $1,000,000 and four of $100,
passed the count rules (five reports stating a loss) and published $1,000,000 give or take the
noise: that victim's loss. So did the period's total when one report made most of it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from bigfish.reporting import compute_statistics, parse_period, write_report
from bigfish.reporting.disclosure import DOMINANCE_P
from bigfish.reporting.period import Period
from bigfish.reporting.stats import Statistics, Tally
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.reporting.html import words

#: A fixed secret: the perturbed figures are those of this secret every time.
SECRET = b"helper-120: a fixed secret for the tests, never a node's"

#: The one victim whose loss the report must not tell.
VICTIM = 1_000_000

#: (country, month, typology, phone, losses): the victim's cell, and three cells of even losses.
CELLS = (
    ("TH", "03", "romance", "+66810001001", (VICTIM, 100, 100, 100, 100)),
    ("VN", "04", "investment", "+66810001002", (20_000,) * 6),
    ("MY", "05", "job_task", "+66810001003", (30_000,) * 6),
    ("KH", "06", "shopping", "+66810001004", (10_000,) * 6),
)


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong, on SQLite and on PostgreSQL."""
    yield from build_partnership(store)


def _rows(cells: Sequence[tuple[str, str, str, str, Sequence[int]]]) -> list[dict[str, object]]:
    return [
        report(
            f"{country}-{i}",
            country=country,
            phone=phone,
            scam_type=typology,
            loss_amount=str(amount),
            loss_currency="USD",
            reported_at=f"2025-{month}-1{i}T10:00:00Z",
        )
        for country, month, typology, phone, losses in cells
        for i, amount in enumerate(losses)
    ]


def _submit(p: Partnership, cells: Sequence[tuple[str, str, str, str, Sequence[int]]]) -> None:
    from bigfish.linking.service import rebuild_networks

    p.submit("B", _rows(cells), distribution="partnership")
    rebuild_networks(p.store)


def _report_words(p: Partnership, tmp_path: Path, period: Period) -> str:
    out = tmp_path / "report.html"
    write_report(p.store, Viewer.node_operator(), out, period, secret=SECRET)
    return words(out.read_text("utf-8"))


def _dollars(text: str) -> list[float]:
    """Every amount in dollars the report's words print."""
    return [float(m.replace(",", "")) for m in re.findall(r"\$([0-9][0-9,]*(?:\.[0-9]+)?)", text)]


def _near(amount: float, loss: float, within: float = 0.2) -> bool:
    return abs(amount - loss) <= within * loss


def _published(p: Partnership, period: Period) -> Statistics:
    """The figures the report publishes for PERIOD (the node operator's, perturbed)."""
    from bigfish.reporting.cell_keys import report_cell_keys
    from bigfish.reporting.disclosure import publishable

    viewer = Viewer.node_operator()
    stats = compute_statistics(p.store, viewer, period)
    keys = report_cell_keys(p.store, viewer, period, SECRET, stats=stats)
    return publishable(stats, [], keys=keys).stats


def _table(tallies: Sequence[Tally]) -> dict[str, Tally]:
    return {t.key: t for t in tallies}


def _left_over(total: float, tallies: Sequence[Tally]) -> float:
    """The table's total minus the losses it shows: the losses it hides, added up."""
    return total - sum(t.loss_usd for t in tallies if not math.isnan(t.loss_usd))


def _exact_left_over(exact: Statistics, table: str, shown: Sequence[Tally]) -> float:
    """The exact losses of the groups of TABLE that SHOWN (published) leaves out, added up."""
    published = {t.key for t in shown if not math.isnan(t.loss_usd)}
    groups: Sequence[Tally] = getattr(exact, table)
    return exact.loss_usd - sum(t.loss_usd for t in groups if t.key in published)


def _told(published: float, exact: float) -> bool:
    """True when PUBLISHED, a figure whose exact loss EXACT holds the victim's, tells the
    victim's loss to within the p % rule's 15 % to one who knows every other report's exact
    loss (EXACT - VICTIM): the figure less those. Since helper-138 a loss's noise is of its
    two largest losses (25 to 50 % of the victim's, here), so a figure holding it may read near
    $1,000,000 by its noise alone, but what it tells of the victim is off by a quarter of it."""
    return abs(published - (exact - VICTIM) - VICTIM) <= DOMINANCE_P * VICTIM


def test_a_country_month_and_typology_of_one_large_loss_keep_their_counts_not_their_losses(
    partnership: Partnership,
) -> None:
    """TH, March and romance hold the same five reports, $1,000,000 and four of $100: each
    keeps its five reports, none its loss, and the total minus the losses shown is not it (nor
    the total: less every other report's exact loss, neither tells it to within 15 %)."""
    _submit(partnership, CELLS)
    shown = _published(partnership, parse_period("2025"))
    exact = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    assert shown.report_count == 23 and not math.isnan(shown.loss_usd)
    for table, key in (("by_country", "TH"), ("by_month", "2025-03"), ("by_typology", "romance")):
        tallies: Sequence[Tally] = getattr(shown, table)
        cell = _table(tallies)[key]
        assert (cell.reports, cell.with_loss) == (5, 5)
        assert math.isnan(cell.loss_usd), key
        published = [t.loss_usd for t in tallies if not math.isnan(t.loss_usd)]
        assert published and not any(_near(loss, VICTIM) for loss in published), key
        left_over = _left_over(shown.loss_usd, tallies)
        assert not _told(left_over, _exact_left_over(exact, table, tallies)), (key, left_over)
        # one other cell hidden with it would not do: its loss is small beside the victim's
        assert sum(math.isnan(t.loss_usd) for t in tallies) == 3, key
    assert not _told(shown.loss_usd, exact.loss_usd)


def test_the_report_prints_no_figure_near_the_one_large_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The document (summary, tables, top networks) prints no dollar figure within 20 % of the
    victim's loss but the period's total, which holds it, and the network of the victim's five
    reports is listed without its loss. The total may read near it by its noise alone (25 to 50 %
    of the victim's loss since helper-138), but less every other report's exact loss it does not
    tell it to within 15 % (it was never within 20 % under a noise of 5 % of the total)."""
    _submit(partnership, CELLS)
    text = _report_words(partnership, tmp_path, parse_period("2025"))
    total = re.search(r"23 scam reports \$([0-9,]+) reported losses", text)
    assert total is not None
    exact = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    assert not _told(float(total[1].replace(",", "")), exact.loss_usd)
    dollars = [d for d in _dollars(text) if d != float(total[1].replace(",", ""))]
    assert dollars and not any(_near(amount, VICTIM) for amount in dollars), dollars
    assert "1 5 TH 1 not published" in text  # rank 1 (the best score), its five reports
    assert "23 scam reports" in text


def test_a_network_of_one_large_loss_keeps_its_rank_not_its_loss(
    partnership: Partnership, tmp_path: Path
) -> None:
    """The victim's network alone in a month, beside networks of even losses: listed, its five
    reports counted, its loss not published; the others' are."""
    _submit(partnership, CELLS)
    text = _report_words(partnership, tmp_path, parse_period("2025"))
    rows = re.findall(r"(\d+) (\d+) (\d+) (TH|VN|MY|KH) 1 (not published|\$[0-9,]+)", text)
    by_country = {country: loss for _, _, _, country, loss in rows}
    assert by_country["TH"] == "not published"
    assert all(by_country[c].startswith("$") for c in ("VN", "MY", "KH")), by_country


def test_a_month_of_one_large_loss_and_four_small_ones_keeps_its_count_not_its_total(
    partnership: Partnership, tmp_path: Path
) -> None:
    """`--period 2025-03`: five reports, all stating a loss, one of them $1,000,000. The
    summary said "5 scam reports, $1,000,000 reported losses"."""
    _submit(partnership, CELLS)
    march = parse_period("2025-03")
    text = _report_words(partnership, tmp_path, march)
    assert "5 scam reports not published reported losses" in text
    assert not any(_near(amount, VICTIM) for amount in _dollars(text))
    shown = _published(partnership, march)
    assert shown.report_count == 5 and math.isnan(shown.loss_usd)
    for tallies in (shown.by_country, shown.by_month, shown.by_typology):
        assert [t.reports for t in tallies] == [5] and math.isnan(tallies[0].loss_usd)


def test_a_period_one_loss_dominates_publishes_no_loss_of_it(
    partnership: Partnership,
) -> None:
    """A year of twelve reports: $1,000,000 and eleven of $100 over two countries. Its total
    is the victim's loss plus 0.1 %: no loss of it is published, every count is."""
    cells = (
        ("TH", "03", "romance", "+66810001001", (VICTIM, 100, 100, 100, 100)),
        ("VN", "04", "investment", "+66810001002", (100,) * 7),
    )
    _submit(partnership, cells)
    shown = _published(partnership, parse_period("2025"))
    assert shown.report_count == 12 and math.isnan(shown.loss_usd)
    for tallies in (shown.by_country, shown.by_month, shown.by_typology):
        assert sum(t.reports for t in tallies) == 12
        assert all(math.isnan(t.loss_usd) for t in tallies)


def test_other_pooling_one_large_loss_keeps_its_count_not_its_loss(
    partnership: Partnership,
) -> None:
    """LA (one report of $1,000,000), MM and BN (two of $100 each) are pooled into "Other":
    five reports stating a loss, so its loss was published, and it was LA's. The total minus
    the countries shown, less every other report's exact loss, does not tell it to within 15 %
    (the noise of the total is 25 to 50 % of LA's loss since helper-138: that figure alone may
    read within 20 % of it by the noise, as it never did under a noise of 5 % of the total)."""
    cells = (
        *CELLS[1:],
        ("LA", "07", "loan", "+66810001005", (VICTIM,)),
        ("MM", "07", "loan", "+66810001006", (100, 100)),
        ("BN", "07", "loan", "+66810001007", (100, 100)),
    )
    _submit(partnership, cells)
    shown = _published(partnership, parse_period("2025"))
    countries = _table(shown.by_country)
    assert (countries["Other"].reports, countries["Other"].with_loss) == (5, 5)
    assert math.isnan(countries["Other"].loss_usd)
    published = [t.loss_usd for t in shown.by_country if not math.isnan(t.loss_usd)]
    assert published and not any(_near(loss, VICTIM) for loss in published)
    exact = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    left_over = _left_over(shown.loss_usd, shown.by_country)
    assert not _told(left_over, _exact_left_over(exact, "by_country", shown.by_country))


def test_a_currency_without_a_rate_one_amount_dominates_is_named_not_added_up(
    partnership: Partnership,
) -> None:
    """Six reports in NPR (no reference rate), one of 1,000,000 NPR: NPR is named and its
    reports counted; its amount, that report's, is not published."""
    rows = [
        report(f"npr{i}", loss_amount=amount, loss_currency="NPR")
        for i, amount in enumerate(["1000000", "100", "100", "100", "100", "100"])
    ]
    partnership.submit("B", rows, distribution="partnership")
    shown = _published(partnership, parse_period("2025"))
    (npr,) = shown.unconverted_by_currency
    assert (npr.currency, npr.reports, npr.with_loss) == ("NPR", 6, 6)
    assert math.isnan(npr.amount)


def test_cells_of_similar_losses_are_published(partnership: Partnership, tmp_path: Path) -> None:
    """No loss is hidden for the rule's sake when none dominates: five similar losses, and five
    whose largest is five times the others' (the other three are 60 % of it)."""
    cells = (
        ("TH", "03", "romance", "+66810001001", (900, 1_000, 1_100, 1_000, 950)),
        ("VN", "04", "investment", "+66810001002", (5_000, 1_000, 1_000, 1_000, 1_000)),
        ("MY", "05", "job_task", "+66810001003", (2_000,) * 6),
    )
    _submit(partnership, cells)
    shown = _published(partnership, parse_period("2025"))
    assert not math.isnan(shown.loss_usd)
    for tallies in (shown.by_country, shown.by_month, shown.by_typology):
        assert len(tallies) == 3 and not any(math.isnan(t.loss_usd) for t in tallies)
    text = _report_words(partnership, tmp_path, parse_period("2025"))
    assert re.search(r"16 scam reports \$[0-9,]+ reported losses", text)
    rows = re.findall(r"\d+ \d+ [56] (?:TH|VN|MY) 1 (not published|\$[0-9,]+)", text)
    assert len(rows) == 3 and all(loss.startswith("$") for loss in rows), rows


def test_the_report_states_the_rule_it_applies(partnership: Partnership, tmp_path: Path) -> None:
    """The summary and the foot note say that a loss one report's dominates is not published,
    with the p of the rule the report applies."""
    _submit(partnership, CELLS)
    text = _report_words(partnership, tmp_path, parse_period("2025"))
    assert "a loss stated by fewer than 5 reports, or dominated by one report's, is not" in text
    rule = f"the losses other than the two largest add up to less than {DOMINANCE_P * 100:g}%"
    assert f"({rule} of the largest), are not published" in text


def test_each_group_carries_its_two_largest_losses_read_with_its_sum(
    partnership: Partnership,
) -> None:
    """On each backend: reports without a loss (NULL, which PostgreSQL sorts first in a
    descending order) and of $0 are not among the largest, and two equal losses are both."""
    rows = [
        report(f"th{i}", country="TH", loss_amount=amount, loss_currency=currency)
        for i, (amount, currency) in enumerate(
            [(None, None)] * 3 + [("0", "USD"), ("500", "USD"), ("300", "USD"), ("500", "USD")]
        )
    ]
    rows.append(report("vn0", country="VN", loss_amount=None, loss_currency=None))
    partnership.submit("B", rows, distribution="partnership")
    stats = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    countries = _table(stats.by_country)
    assert (countries["TH"].largest, countries["TH"].second) == (500.0, 500.0)
    assert (countries["VN"].largest, countries["VN"].second) == (0.0, 0.0)
    for tallies in (stats.by_month, stats.by_typology):
        (whole,) = tallies
        assert (whole.reports, whole.loss_usd, whole.with_loss) == (8, 1300.0, 3)
        assert (whole.largest, whole.second) == (500.0, 500.0)

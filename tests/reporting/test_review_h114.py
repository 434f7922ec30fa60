"""Review of the statistics report (helper-114): the losses in a currency with no reference rate
are named by currency, under the report's small-cell rules."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bigfish.reporting import ALL_TIME, compute_statistics, write_report
from bigfish.reporting import stats as reporting_stats
from bigfish.reporting.disclosure import OTHER, publishable
from bigfish.reporting.stats import Statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong."""
    yield from build_partnership(sqlite_store)


def _text(html: str) -> str:
    """The words of HTML, without its tags and chart images."""
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _unconverted_line(html: str) -> str:
    found = re.search(r'<li id="unconverted">(.*?)</li>', html, re.S)
    assert found is not None, "no line on the unconverted losses"
    return _text(found[1])


def _stated(prefix: str, currency: str, amounts: list[str]) -> list[dict[str, object]]:
    return [
        report(f"{prefix}{i}", loss_currency=currency, loss_amount=amount)
        for i, amount in enumerate(amounts)
    ]


def _report_of(p: Partnership, tmp_path: Path) -> str:
    out = tmp_path / "r.html"
    write_report(p.store, Viewer.node_operator(), out, ALL_TIME)
    return out.read_text("utf-8")


def test_the_report_names_the_currencies_it_could_not_convert(
    partnership: Partnership, tmp_path: Path
) -> None:
    """It said '8 reports state a loss in a currency with no reference rate' and no more: a
    minister could not tell which currencies, nor how much."""
    p = partnership
    npr = _stated("npr", "NPR", ["5000", "1200.50", "700", "48000", "3100", "999"])
    p.submit("A", [*npr, *_stated("xau", "XAU", ["5", "7"])])
    line = _unconverted_line(_report_of(p, tmp_path))
    assert line.startswith("8 reports state a loss in a currency with no reference rate")
    assert "6 in NPR, 59,000 NPR stated" in line  # 58,999.50 to 3 significant figures
    # two XAU reports: counted, their currency not named and their amount not published
    assert "2 in currencies of fewer than 5 such reports each, not named" in line
    assert "XAU" not in line and "12" not in line
    stats = compute_statistics(p.store, Viewer.node_operator())
    Unconverted = reporting_stats.Unconverted  # read here: the old code has none
    assert stats.unconverted == 8
    assert stats.unconverted_by_currency == (
        Unconverted("NPR", 6, 58999.5, 6),
        Unconverted("XAU", 2, 12.0, 2),
    )


def test_a_currency_stated_by_fewer_than_five_reports_keeps_its_count_not_its_amount(
    partnership: Partnership, tmp_path: Path
) -> None:
    """Five NPR reports of which one states 48,000 and four state 0: the amount is one
    victim's."""
    p = partnership
    p.submit("A", _stated("npr", "NPR", ["48000", "0", "0", "0", "0"]))
    line = _unconverted_line(_report_of(p, tmp_path))
    assert "5 in NPR, amount not published" in line
    assert "48" not in line


def test_only_the_named_currencies_amounts_are_published_and_every_count_stays() -> None:
    """`publishable`: counts exact, amounts rounded or left out (NaN), small currencies in OTHER
    without an amount."""
    Unconverted = reporting_stats.Unconverted
    stats = Statistics(
        period=ALL_TIME,
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        report_count=40,
        loss_usd=0.0,
        network_count=0,
        by_country=(),
        by_month=(),
        by_typology=(),
        flows=(),
        requests_by_status=(),
        unconverted=40,
        unconverted_by_currency=(
            Unconverted("NPR", 20, 123456.75, 20),
            Unconverted("XAU", 9, 48000.0, 1),
            Unconverted("MMK", 4, 1000.0, 4),
            Unconverted("LAK", 1, 5.0, 1),
            Unconverted("KPW", 6, 0.0, 0),
        ),
    )
    shown = publishable(stats, []).stats.unconverted_by_currency
    assert shown[0] == Unconverted("NPR", 20, 123000.0, 20)
    assert (shown[1].currency, shown[1].reports) == ("XAU", 9) and math.isnan(shown[1].amount)
    assert shown[2] == Unconverted("KPW", 6, 0.0, 0)  # none states an amount: 0 is no one's
    assert (shown[3].currency, shown[3].reports) == (OTHER, 5) and math.isnan(shown[3].amount)
    assert publishable(stats, []).stats.unconverted == 40
    assert sum(u.reports for u in shown) == 40

"""The report says when losses are missing from its figures, and reads every period it names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.organizations import add_org, list_orgs
from bigfish.reporting import ALL_TIME, compute_statistics, parse_period, write_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    yield from build_partnership(sqlite_store)


def test_losses_in_a_currency_without_a_rate_are_said_to_be_missing(
    partnership: Partnership, tmp_path: Path
) -> None:
    """XAU (gold) is ISO 4217 but has no reference rate: the report said "$0 reported losses"."""
    p = partnership
    gold = report("gold", loss_amount="5", loss_currency="XAU")
    p.submit("A", [gold, report("usd", loss_amount="100", loss_currency="USD")])
    stats = compute_statistics(p.store, Viewer.node_operator())
    assert (stats.report_count, stats.loss_usd, stats.unconverted) == (2, 100.0, 1)
    out = tmp_path / "r.html"
    write_report(p.store, Viewer.node_operator(), out, ALL_TIME)
    html = out.read_text("utf-8")
    assert 'id="unconverted"' in html and "no reference" in html
    assert (
        compute_statistics(p.store, Viewer.node_operator(), parse_period("2024")).unconverted == 0
    )


def test_an_organizations_name_is_escaped_in_its_report(
    partnership: Partnership, tmp_path: Path
) -> None:
    add_org(partnership.store, '<i>B&"x"', country="TH", sector="bank")
    org = next(o for o in list_orgs(partnership.store) if o.name.startswith("<i>"))
    out = tmp_path / "r.html"
    write_report(partnership.store, Viewer(org.id, org.name), out, ALL_TIME)
    html = out.read_text("utf-8")
    assert "<i>B" not in html and "&lt;i&gt;B&amp;" in html


def test_a_range_open_on_both_sides_is_all_time() -> None:
    assert parse_period("..") == ALL_TIME
    assert parse_period(" .. ") == ALL_TIME
    assert parse_period("2025..").end is None and parse_period("..2025").start is None

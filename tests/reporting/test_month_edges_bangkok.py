"""A hand-made set of reports at the edges of months in Bangkok time (UTC+7), recounted by hand:
the report's periods are calendar months in UTC on both backends, and its losses are the stated
amounts at the reference rates (THB 33.5, VND 25,500 to the dollar)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from bigfish.reporting import compute_statistics, parse_period
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    yield from build_partnership(store)


def _reports() -> list[dict[str, object]]:
    new_year = "2026-01-01T03:00:00+07:00"  # 31 December 2025, 20:00 UTC
    first_dec = "2025-12-01T06:00:00+07:00"  # 30 November 2025, 23:00 UTC
    late_dec = "2025-12-31T23:30:00-05:00"  # 1 January 2026, 04:30 UTC
    made = [
        report(
            f"ny{i}",
            phone=f"+6681234560{i}",
            reported_at=new_year,
            scam_type="investment",
            loss_amount="33500",
            loss_currency="THB",
        )
        for i in range(6)
    ]
    made += [
        report(
            f"d1{i}",
            phone=f"+6681234570{i}",
            reported_at=first_dec,
            scam_type="romance",
            loss_amount="2550000",
            loss_currency="VND",
        )
        for i in range(5)
    ]
    made += [
        report(
            f"ld{i}",
            phone=f"+6681234580{i}",
            reported_at=late_dec,
            scam_type="shopping",
            loss_amount="50",
            loss_currency="USD",
        )
        for i in range(5)
    ]
    return made


def test_months_at_their_edges_in_bangkok_are_months_in_utc(partnership: Partnership) -> None:
    partnership.submit("A", _reports(), distribution="partnership", tlp="green")
    store, operator = partnership.store, Viewer.node_operator()
    expected = {  # period: (reports, USD)
        "2025-11": (5, 5 * 100.0),
        "2025-12": (6, 6 * 1000.0),
        "2026-01": (5, 5 * 50.0),
        "2025-Q4": (11, 6500.0),
        "2025-12..2026-01": (11, 6250.0),
        "all": (16, 6750.0),
    }
    for text, (count, usd) in expected.items():
        stats = compute_statistics(store, operator, parse_period(text))
        assert stats.report_count == count, text
        assert math.isclose(stats.loss_usd, usd, abs_tol=0.01), (text, stats.loss_usd)
    months = compute_statistics(store, operator).by_month
    assert [(t.key, t.reports, round(t.loss_usd, 2)) for t in months] == [
        ("2025-11", 5, 500.0),
        ("2025-12", 6, 6000.0),
        ("2026-01", 5, 250.0),
    ]

"""The trend by month draws every month from the first to the last, a month without reports as
none: the chart drew only the months that had reports, side by side, so January and March
with nothing in February read as two months in a row and the gap vanished from the trend."""

from __future__ import annotations

from typing import Any

import matplotlib.axes
import pytest

from bigfish.reporting import charts
from bigfish.reporting.stats import Tally


def _drawn(monkeypatch: pytest.MonkeyPatch, tallies: list[Tally]) -> list[tuple[str, Any]]:
    """The (month, reports) bars `month_chart` draws for TALLIES."""
    bars: list[tuple[str, Any]] = []
    real = matplotlib.axes.Axes.bar

    def bar(self: matplotlib.axes.Axes, x: Any, height: Any, *args: Any, **kwargs: Any) -> Any:
        bars.extend(zip(list(x), list(height), strict=True))
        return real(self, x, height, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "bar", bar)
    assert charts.month_chart("Reports and losses by month", tallies).startswith("data:image/png")
    return bars


def test_a_month_without_reports_is_drawn_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    tallies = [
        Tally("2024-11", 7, 700.0, 7),
        Tally("2025-01", 6, float("nan"), 6),  # its loss not published: drawn without one
        Tally("2025-04", 9, 900.0, 9),
    ]
    assert _drawn(monkeypatch, tallies) == [
        ("2024-11", 7),
        ("2024-12", 0),
        ("2025-01", 6),
        ("2025-02", 0),
        ("2025-03", 0),
        ("2025-04", 9),
    ]


def test_months_in_a_row_are_drawn_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    tallies = [Tally("2025-11", 5, 10.0, 5), Tally("2025-12", 8, 20.0, 8)]
    assert _drawn(monkeypatch, tallies) == [("2025-11", 5), ("2025-12", 8)]
    assert _drawn(monkeypatch, [Tally("unknown", 3, 0.0, 0)])[-1] == ("unknown", 3)

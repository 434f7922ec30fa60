"""A country or typology whose loss is held back (small cell, p % rule) is named under its
chart with its count and "not published", as README promises; the charts alone left it out
with no word (helper 148: country bars adding to $1.06M of a $5.37M total). The note prints no
loss the disclosure rules hold back: only names and counts, which are published anyway."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bigfish.reporting import charts, compute_statistics, parse_period
from bigfish.reporting.stats import Tally
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership
from tests.reporting.test_dominance_h120 import CELLS, VICTIM, _dollars, _report_words, _submit


@pytest.fixture
def partnership(store: Store) -> Iterator[Partnership]:
    """A, B, C and the group mekong, on SQLite and on PostgreSQL."""
    yield from build_partnership(store)


def _note(text: str, chart: str) -> str:
    """The words between CHART's heading and the next heading's."""
    found = re.search(rf"{chart}(.*?)(Trend by month|Cross-border flows)", text)
    assert found, chart
    return found.group(1).strip()


def test_a_group_whose_loss_is_held_back_is_named_with_its_count_under_its_chart(
    partnership: Partnership, tmp_path: Path
) -> None:
    _submit(partnership, CELLS)
    text = _report_words(partnership, tmp_path, parse_period("2025"))
    country = _note(text, "Losses by country")
    typology = _note(text, "Losses by typology")
    assert "Losses not published (not drawn):" in country and "TH (5 reports)" in country
    assert "Losses not published (not drawn):" in typology and "romance (5 reports)" in typology
    for note in (country, typology):
        assert "$" not in note  # counts only: no loss is told beside them
    exact = compute_statistics(partnership.store, Viewer.node_operator(), parse_period("2025"))
    assert not any(abs(d - VICTIM) <= 0.2 * VICTIM for d in _dollars(text) if d != exact.loss_usd)


def test_not_drawn_names_held_groups_and_counts_the_groups_past_the_top() -> None:
    tallies = [Tally(f"G{i}", 10 + i, 1000.0 * (20 - i), 10) for i in range(14)]
    tallies.append(Tally("AU", 25, math.nan, 25))
    note = charts.not_drawn(tallies, top=12)
    assert note == (
        "Losses not published (not drawn): AU (25 reports). "
        "Not drawn, past the first 12: 2 groups (45 reports)."
    )
    assert charts.not_drawn(tallies[:3]) is None

"""A range of quarters is whole calendar months as a range of months is: `2025-Q4..2026-Q1`
is October 2025 to March 2026. It was refused with "'2025-Q4' is not a period (2025, 2025-Q4,
...)", naming as wrong the very form the message offers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bigfish.errors import InputError
from bigfish.reporting import parse_period


def test_a_range_of_quarters_is_the_months_from_the_first_to_the_last() -> None:
    span = parse_period("2025-Q4..2026-q1")
    assert (span.start, span.end) == (
        datetime(2025, 10, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert span.whole_months and span.label == "2025-Q4 – 2026-Q1"
    mixed = parse_period("2025-Q2..2025-08")
    assert (mixed.start, mixed.end) == (
        datetime(2025, 4, 1, tzinfo=UTC),
        datetime(2025, 9, 1, tzinfo=UTC),
    )
    assert parse_period("2025-Q3..").start == datetime(2025, 7, 1, tzinfo=UTC)
    assert parse_period("..2025-Q1").end == datetime(2025, 4, 1, tzinfo=UTC)
    same, quarter = parse_period("2025-Q4..2025-Q4"), parse_period("2025-Q4")
    assert (same.start, same.end) == (quarter.start, quarter.end)


@pytest.mark.parametrize("text", ["2026-Q1..2025-Q4", "2025-Q5..2026-Q1", "2025-Q4..2025-09"])
def test_a_bad_range_of_quarters_is_refused_naming_the_period(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_period(text)
    assert caught.value.field == "period"

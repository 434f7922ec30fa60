"""Reporting periods as people type them: `2025`, `2025-Q4`, `2025-11`, `2025-01..2025-06`,
`2025-Q4..2026-Q1`, `2025-01-15..2025-02-14`, or `all`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bigfish.errors import InputError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval of time [start, end) in UTC; None means unbounded."""

    start: datetime | None
    end: datetime | None
    label: str

    @property
    def whole_months(self) -> bool:
        """True when every bound is the start of a calendar month (a year, quarter, month, range
        of months, or all time): the periods the report publishes without `--any-period`."""
        return all(
            bound is None or (bound.day == 1 and bound.time() == time(0))
            for bound in (self.start, self.end)
        )

    def contains(self, moment: datetime) -> bool:
        """True when MOMENT falls inside the period."""
        if self.start is not None and moment < self.start:
            return False
        return self.end is None or moment < self.end


ALL_TIME = Period(None, None, "all time")


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _month_start(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise InputError(f"month {month} is not 1-12", field="period")
    return date(year, month, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _bound(text: str, *, end: bool) -> date:
    """One side of a range: a day, a month or quarter (first day, or the next one's for END),
    a year."""
    if m := _QUARTER.match(text):
        first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return _next_month(_next_month(_next_month(first))) if end else first
    if m := _DAY.match(text):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise InputError(f"{text!r} is not a date", field="period") from None
        return day + timedelta(days=1) if end else day
    if m := _MONTH.match(text):
        first = _month_start(int(m[1]), int(m[2]))
        return _next_month(first) if end else first
    if m := _YEAR.match(text):
        return date(int(m[1]) + 1, 1, 1) if end else date(int(m[1]), 1, 1)
    raise InputError(
        f"{text!r} is not a period (2025, 2025-Q4, 2025-11, 2025-01..2025-06 or all)",
        field="period",
    )


#: Years a period may name: before 1970 no report is accepted; after 9998 a period's end (the
#: next year or month) is not a date.
FIRST_YEAR, LAST_YEAR = 1970, 9998


def parse_period(text: str | None) -> Period:
    """The period TEXT names; None or `all` is all time."""
    if text is None or text.strip().lower() in ("", "all"):
        return ALL_TIME
    value = text.strip()
    for year in re.findall(r"\d{4}", value):
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise InputError(
                f"{value!r}: a period's years are {FIRST_YEAR} to {LAST_YEAR}", field="period"
            )
    try:
        return _parse(value)
    except (ValueError, OverflowError):  # a bound beyond the calendar
        raise InputError(f"{value!r} is not a period: no such date", field="period") from None


def _parse(value: str) -> Period:
    if m := _QUARTER.match(value):
        first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        last = _next_month(_next_month(_next_month(first)))
        return Period(_utc(first), _utc(last), value.upper())
    if ".." in value:
        left, _, right = value.partition("..")
        start = _bound(left.strip(), end=False) if left.strip() else None
        stop = _bound(right.strip(), end=True) if right.strip() else None
        if start is None and stop is None:
            return ALL_TIME  # ".." bounds nothing
        if start is not None and stop is not None and stop <= start:
            raise InputError(f"period {value!r} ends before it starts", field="period")
        return Period(
            _utc(start) if start else None,
            _utc(stop) if stop else None,
            value.upper().replace("..", " – "),
        )
    return Period(_utc(_bound(value, end=False)), _utc(_bound(value, end=True)), value)

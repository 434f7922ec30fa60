"""What an alert is, the times it is dated by (stored times are UTC), and what delivering alerts
to webhooks did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """Another organization's report mentions an identifier the caller holds."""

    id: str
    created_at: datetime
    kind: str
    canonical: str
    org: str
    report_id: str
    country: str
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class AlertPage:
    """A page of alerts (oldest first), the cursor of the next, and AS_OF, the `since` of the
    next poll: every alert dated after the page's `since` and by AS_OF is on this page or an
    earlier one of its cursors, and any alert that a report stored or changed from now on
    raises, or dates again, is dated after AS_OF (None: there are no reports)."""

    alerts: tuple[Alert, ...]
    next_cursor: str | None
    as_of: datetime | None


@dataclass(frozen=True, slots=True)
class Deliveries:
    """What sending webhooks did: deliveries answered 2xx, the others, and why those failed
    (each reason once, naming the webhook's origin, never its secret). DROPPED: alerts not sent
    because more than `delivery.MAX_WAITING_ALERTS` waited for their webhook (counted in FAILED
    too, as the deliveries they would have made)."""

    delivered: int = 0
    failed: int = 0
    problems: tuple[str, ...] = ()
    dropped: int = 0

    def __add__(self, other: Deliveries) -> Deliveries:
        return Deliveries(
            self.delivered + other.delivered,
            self.failed + other.failed,
            tuple(dict.fromkeys(self.problems + other.problems)),
            self.dropped + other.dropped,
        )


#: An alert as the pages order it: (its date, the other report's pk, the identifier's id).
Dated = tuple[datetime, int, int]


def utc(value: datetime) -> datetime:
    """VALUE, read as UTC when it carries no zone (SQLite returns stored times so)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """VALUE in UTC, read as UTC when it carries no zone."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

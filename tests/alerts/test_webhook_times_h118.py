"""A webhook delivery writes its times as `GET /api/v1/alerts` serves them (helper-118's
walk-through of the README: "the one GET /api/v1/alerts serves, so keep what you receive by id")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bigfish.alerts.delivery import alert_document
from bigfish.alerts.model import Alert
from bigfish.api.schemas import AlertView


def _alert() -> Alert:
    return Alert(
        id="3002-4138",
        created_at=datetime(2026, 11, 30, 23, 51, 14, 362670, tzinfo=UTC),
        kind="phone",
        canonical="+61414104376",
        org="th-aoc",
        report_id="W1",
        country="TH",
        reported_at=datetime(2025, 11, 1, tzinfo=UTC),
    )


def test_a_delivery_dates_an_alert_in_utc_with_a_z_as_every_json_output_does() -> None:
    """The body said `2026-11-30T23:51:14.362670+00:00` where the alerts API says
    `2026-11-30T23:51:14.362670Z`: the same alert, by the same id, under two texts."""
    [sent] = json.loads(alert_document([_alert()]))["alerts"]
    assert sent["created_at"] == "2026-11-30T23:51:14.362670Z"
    assert sent["report"]["reported_at"] == "2025-11-01T00:00:00Z"


def test_a_delivered_alert_is_the_text_the_alerts_api_serves() -> None:
    a = _alert()
    [sent] = json.loads(alert_document([a]))["alerts"]
    served = json.loads(
        AlertView.model_validate(
            {
                "id": a.id,
                "created_at": a.created_at,
                "identifier": {"kind": a.kind, "canonical": a.canonical},
                "report": {
                    "org": a.org,
                    "report_id": a.report_id,
                    "country": a.country,
                    "reported_at": a.reported_at,
                },
            }
        ).model_dump_json()
    )
    assert sent == served

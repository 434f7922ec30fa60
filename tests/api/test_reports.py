from __future__ import annotations

from tests.api.helpers import Partnership, report


def test_submitted_report_is_visible_to_its_organization(partnership: Partnership) -> None:
    answer = partnership.submit("A", [report("r1")])
    assert answer == {"received": 1, "stored": 1, "updated": 0, "rejected": []}
    got = partnership.client.get("/api/v1/reports/A/r1", headers=partnership.headers("A"))
    assert got.status_code == 200
    body = got.json()
    assert body["org"] == "A" and body["tlp"] == "amber" and body["distribution"] == "organization"
    assert {"kind": "phone", "canonical": "+66812345678"}.items() <= body["identifiers"][0].items()


def test_lookup_counts_own_reports(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1"), report("r2", phone="081-234-5678")])
    got = partnership.client.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": "0812345678", "country": "TH"},
        headers=partnership.headers("A"),
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["report_count"] == 2
    assert body["organizations"] == ["A"] and body["countries"] == ["TH"]

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


def test_a_single_lookup_answers_as_the_same_value_in_a_batch(partnership: Partnership) -> None:
    """The single lookup has its own query (one bound value); it must agree with the batch."""
    partnership.submit("A", [report("r1")], distribution="group", group="mekong")
    partnership.submit("A", [report("r2", phone="+66811111111")])
    partnership.submit("B", [report("r3", phone="+66811111111")], distribution="partnership")
    values = ["+66812345678", "+66811111111", "+66899999999", "12"]
    items = [{"kind": "phone", "value": v, "country": "TH"} for v in values]
    for who in ("A", "B", "C"):
        h = partnership.headers(who)
        batch = partnership.client.post("/api/v1/lookup", json={"identifiers": items}, headers=h)
        assert batch.status_code == 200, batch.text
        singles = [partnership.client.get("/api/v1/lookup", params=i, headers=h) for i in items]
        assert [s.json() for s in singles] == batch.json()
    seen_by_c = partnership.client.get(
        "/api/v1/lookup", params=items[0], headers=partnership.headers("C")
    ).json()
    assert seen_by_c["report_count"] == 1 and seen_by_c["organizations"] == ["A"]

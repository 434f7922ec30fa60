from __future__ import annotations

import json

import sqlalchemy as sa

from bigfish.store.schema import reports
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


def test_text_with_a_lone_surrogate_is_rejected_with_its_field_and_the_rest_stored(
    partnership: Partnership,
) -> None:
    """JSON may escape half a UTF-16 pair ("\\ud800"): no text, so it can be neither stored
    nor sent back; the row is rejected by field, the batch is not lost, nothing breaks later."""
    bad = [
        report("s-narrative", narrative="\ud800x"),
        report("s-\udfff-id"),
        report("s-extra", note="\udfff"),
        report("s-phone", phone="+66\ud8008123"),
        {**report("s-kind"), "identifiers": [{"kind": "url", "value": "http://\udc00.example"}]},
    ]
    body = {"reports": [report("fine"), *bad], "tlp": "green", "distribution": "partnership"}
    sent = partnership.client.post(
        "/api/v1/reports",
        content=json.dumps(body),  # ASCII: the surrogates as JSON escapes
        headers={**partnership.headers("A"), "Content-Type": "application/json"},
    )
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert (answer["received"], answer["stored"]) == (6, 1)
    fields = {r["index"]: r["field"] for r in answer["rejected"]}
    assert fields == {
        1: "narrative",
        2: "report_id",
        3: "note",
        4: "phones",
        5: "identifiers[0].value",
    }
    assert answer["rejected"][1]["report_id"] == "s-\\udfff-id"  # shown as an escape
    listed = partnership.client.get("/api/v1/reports", headers=partnership.headers("B"))
    assert listed.status_code == 200 and [r["report_id"] for r in listed.json()["reports"]] == [
        "fine"
    ]


def test_amounts_are_plain_decimals(partnership: Partnership) -> None:
    amounts = ["1e400", "1E+5", "Infinity", "NaN", "-5", "1,000", "12.50", "0.5"]
    answer = partnership.submit(
        "A", [report(f"amount-{i}", loss_amount=a) for i, a in enumerate(amounts)]
    )
    assert answer["stored"] == 2
    assert {r["index"] for r in answer["rejected"]} == set(range(6))
    assert {r["field"] for r in answer["rejected"]} == {"loss_amount"}
    got = partnership.client.get("/api/v1/reports/A/amount-6", headers=partnership.headers("A"))
    assert got.json()["loss_amount"] == "12.50"


def test_a_submitted_narrative_is_classified_and_stored_with_its_report(
    partnership: Partnership,
) -> None:
    scam = "URGENT your account is suspended, verify now at bit.ly/kbank-verify or call 0812345678"
    partnership.submit("A", [report("told", narrative=scam), report("silent")])
    with partnership.store.connect() as conn:
        rows = dict(
            conn.execute(
                sa.select(reports.c.report_id, reports.c.classification).where(
                    reports.c.report_id.in_(["told", "silent"])
                )
            ).all()
        )
    assert rows["told"] in {"scam", "spam", "legit"} and rows["silent"] is None
    with partnership.store.connect() as conn:
        probability = conn.execute(
            sa.select(reports.c.scam_probability).where(reports.c.report_id == "told")
        ).scalar_one()
    assert 0.0 <= probability <= 1.0


def test_rejections_name_the_field_where_it_is(partnership: Partnership) -> None:
    long_value = "+66" + "1" * 2100
    answer = partnership.submit(
        "A",
        [
            {**report("role"), "identifiers": [{"kind": "phone", "value": "1", "role": "boss"}]},
            {**report("long"), "identifiers": [{"kind": "phone", "value": long_value}]},
            report("cell", phone=long_value),
            report("twice"),
            report("twice"),
        ],
    )
    got = {r["index"]: (r["field"], r["reason"]) for r in answer["rejected"]}
    assert got[0][0] == "identifiers[0].role"
    assert got[1][0] == "identifiers[0].value"
    assert got[2][0] == "phones"
    assert got[4] == ("report_id", "duplicate report_id (first at index 3)")


def test_a_report_from_the_future_or_before_1970_is_rejected(partnership: Partnership) -> None:
    dates = ["9999-12-31", "2099-01-01", "0001-01-01", "1969-12-31", "2025-11-02", "1970-01-01"]
    answer = partnership.submit("A", [report(f"d{i}", reported_at=d) for i, d in enumerate(dates)])
    assert answer["stored"] == 2
    assert {(r["index"], r["field"]) for r in answer["rejected"]} == {
        (i, "reported_at") for i in range(4)
    }


def test_the_owner_re_marks_a_group_report_after_leaving_the_group(
    partnership: Partnership,
) -> None:
    """Found by the stateful policy test: C shared a report with mekong, left mekong, and could
    then not raise its TLP (422 'unknown sharing group'). Keeping the group needs no membership;
    sharing with a group anew does."""
    p = partnership
    p.submit("C", [report("c1")], distribution="group", group="mekong", tlp="amber")
    left = p.client.delete("/api/v1/groups/mekong/members/C", headers=p.headers("A-admin"))
    assert left.status_code == 200, left.text
    raised = p.client.patch("/api/v1/reports/C/c1", json={"tlp": "red"}, headers=p.headers("C"))
    assert raised.status_code == 200, raised.text
    assert raised.json()["tlp"] == "red" and raised.json()["group"] == "mekong"
    anew = p.client.post(
        "/api/v1/reports",
        json={"reports": [report("c2")], "distribution": "group", "group": "mekong"},
        headers=p.headers("C"),
    )
    assert anew.status_code == 422

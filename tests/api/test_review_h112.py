"""Review h112: a report of an API batch whose known field has the wrong JSON type is rejected
naming the field and the type it must have (the batch's other reports are stored), as in a
JSON Lines file: both read a report with `row_from_json`. An id with invisible marks around it
is the id."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import Partnership, report

#: (field, value, the field named, words of the reason)
WRONG_TYPES: list[tuple[str, Any, str, str]] = [
    ("phones", 5, "phones", "phones must be a list of texts or one text of ;-separated values"),
    ("phones", {"a": 1}, "phones", "not an object"),
    ("phones", ["+66812345678", 66812345679], "phones", "phones[1] must be text"),
    ("emails", [True], "emails", "emails[0] must be text (a JSON string), not true"),
    ("report_id", 1e3, "report_id", "or a whole number, not a number with a fraction or exponent"),
    ("report_id", [12], "report_id", "report_id must be text (a JSON string) or a whole number"),
    ("reported_at", 20251102, "reported_at", "reported_at must be text"),
    ("country", 7, "country", "country must be text (a JSON string), not a number"),
    ("narrative", ["x"], "narrative", "narrative must be text (a JSON string), not a list"),
    ("narrative", 3.5, "narrative", "not a number"),
    ("channel", False, "channel", "channel must be text (a JSON string), not false"),
    ("loss_currency", 764, "loss_currency", "loss_currency must be text"),
    ("loss_amount", True, "loss_amount", "expected text or a number, got true"),
]


def test_a_known_field_of_the_wrong_json_type_rejects_its_report(
    partnership: Partnership,
) -> None:
    """They were stored: phone "5", the narrative "3.5", the date 20251102 read as one."""
    bad = [report(f"bad{i}") | {key: value} for i, (key, value, *_) in enumerate(WRONG_TYPES)]
    good = [
        report("ok-text-amount"),  # "1200.50"
        report("ok-number-amount", loss_amount=1200.5),
        report("ok-extra", extra=3, phones=[], narrative=""),
        report("ok-semicolons", phones="+66812345678;+66812345670"),
    ]
    answer = partnership.submit("A", [*bad, *good])
    assert (answer["received"], answer["stored"]) == (len(bad) + len(good), len(good))
    rejected = answer["rejected"]
    assert [r["index"] for r in rejected] == list(range(len(bad)))
    for rejection, (key, _, field, words) in zip(rejected, WRONG_TYPES, strict=True):
        assert rejection["field"] == field, rejection
        assert words in rejection["reason"], rejection
        assert rejection["report_id"] == (
            None if key == "report_id" else bad[rejection["index"]]["report_id"]
        )
    headers = partnership.headers("A")
    listed = partnership.client.get("/api/v1/reports", headers=headers).json()["reports"]
    assert sorted(r["report_id"] for r in listed) == sorted(r["report_id"] for r in good)
    got = partnership.client.get("/api/v1/reports/A/ok-semicolons", headers=headers).json()
    assert len(got["identifiers"]) == 2
    extra = partnership.client.get("/api/v1/reports/A/ok-extra", headers=headers).json()
    assert "3" in str(extra), extra


def test_invisible_marks_around_an_id_do_not_make_another_report(
    partnership: Partnership,
) -> None:
    """A BOM or zero-width space around an id (copied from a spreadsheet) made a second
    report that looked like the first; the id sent again updates it."""
    assert partnership.submit("A", [report("r1")])["stored"] == 1
    again = partnership.submit("A", [report("\ufeffr1\u200b")])
    assert (again["stored"], again["updated"], again["rejected"]) == (0, 1, [])
    listed = partnership.client.get("/api/v1/reports", headers=partnership.headers("A")).json()
    assert [r["report_id"] for r in listed["reports"]] == ["r1"]


def test_a_whole_number_report_id_is_its_digits(partnership: Partnership) -> None:
    """An id sent as a JSON number (12) is the report "12", as from a file; sent again as
    text it updates that report."""
    first = partnership.submit("A", [report("x") | {"report_id": 12}])
    assert (first["stored"], first["rejected"]) == (1, [])
    again = partnership.submit("A", [report("12")])
    assert (again["stored"], again["updated"], again["rejected"]) == (0, 1, [])

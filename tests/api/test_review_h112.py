"""Review h112: an id with invisible marks around it (a BOM, a zero-width space) is the id."""

from __future__ import annotations

from tests.api.helpers import Partnership, report


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

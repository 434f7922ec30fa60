"""Same-script suggestions on a report's page: shown where the user may see both reports, with
the organization's decision, and decided by its analysts through a CSRF-protected form."""

from __future__ import annotations

from bigfish.suggestions import find
from tests.api.helpers import report
from tests.web.conftest import WebPartnership, csrf_of

SCRIPT = (
    "A woman I met on a dating app introduced me to a gold trading platform. She showed me her "
    "profits and told me to open an account and deposit money, then the site froze my withdrawal "
    "and asked for a tax fee before I could take anything out."
)


def _seed(web: WebPartnership) -> None:
    shared = {"tlp": "green", "distribution": "partnership"}
    first = report("s-1", phone="+66855555551", narrative=SCRIPT + " Bangkok.")
    second = report("s-2", phone="+66855555552", narrative=SCRIPT + " Phuket.")
    web.api.submit("A", [first, second], **shared)
    web.api.submit("B", [report("s-3", phone="+84955555553", country="VN", narrative=SCRIPT)])
    find(web.store, min_score=0.5)


def test_the_report_page_shows_what_may_be_the_same_script(web: WebPartnership) -> None:
    _seed(web)
    page = web.clients["A"].get("/reports/A/s-1").text
    assert "Possible same-script links" in page and 'href="/reports/A/s-2"' in page
    assert "s-3" not in page  # B's own report: A is told nothing of it
    thai = web.clients["C"].get("/reports/A/s-1", headers={"Accept-Language": "th"})
    assert "ลิงก์ที่อาจใช้บทหลอกลวงเดียวกัน" in thai.text


def test_an_analyst_accepts_a_suggestion_for_the_organization(web: WebPartnership) -> None:
    _seed(web)
    alice, carol = web.clients["A"], web.clients["C"]
    form = {
        "org": "A",
        "report_id": "s-1",
        "other_org": "A",
        "other_report_id": "s-2",
        "decision": "accepted",
    }
    assert alice.post("/similar/decide", data=form).status_code == 403  # no CSRF token
    done = alice.post(
        "/similar/decide", data=form | {"csrf_token": csrf_of(alice)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/reports/A/s-1"
    assert ">accepted<" in alice.get("/reports/A/s-1").text
    assert ">accepted<" not in carol.get("/reports/A/s-1").text  # C decides for itself
    hidden = form | {"other_org": "B", "other_report_id": "s-3", "csrf_token": csrf_of(alice)}
    assert alice.post("/similar/decide", data=hidden).status_code == 404

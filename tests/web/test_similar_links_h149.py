"""A campaign's first report page lists its same-script suggestions a page at a time, with a
link to the next: every suggestion once, none of a report the user may not see."""

from __future__ import annotations

import html
import re

from bigfish.suggestions import find
from tests.api.helpers import report
from tests.web.conftest import WebPartnership, csrf_of

SMS = (
    "Got an SMS saying my parcel is held at customs: pay the fee at bit.ly/{i}p or call {phone} "
    "within 24 hours, so I paid and the parcel never came."
)


def _copy(org: str, i: int, country: str = "TH") -> dict[str, object]:
    phone = f"+668{10_000_000 + i}" if country == "TH" else f"+849{10_000_000 + i}"
    narrative = SMS.format(i=i, phone=phone)
    return report(f"{org.lower()}{i}", phone=phone, country=country, narrative=narrative)


def test_a_campaign_s_report_page_lists_its_suggestions_a_page_at_a_time(
    web: WebPartnership,
) -> None:
    shared = {"tlp": "green", "distribution": "partnership"}
    web.api.submit("A", [_copy("A", i) for i in range(120)], **shared)
    web.api.submit("B", [_copy("B", i, "VN") for i in range(120, 150)])  # hidden from A
    find(web.store, top_k=10, min_score=0.5)
    seen: list[str] = []
    url: str | None = "/reports/A/a0"
    pages = 0
    while url is not None:
        page = web.clients["A"].get(url)
        assert page.status_code == 200
        rows = re.findall(r'<td><a href="/reports/(\w+)/(\w+)">', page.text)
        assert 0 < len(rows) <= 50  # bounded, not the 119 at once
        seen += [f"{org}/{report_id}" for org, report_id in rows]
        more = re.search(r'href="(/reports/A/a0\?similar_after=[^"]+)" rel="next"', page.text)
        url = html.unescape(more.group(1)) if more else None
        pages += 1
        assert pages < 10
    assert pages == 3
    assert sorted(seen) == sorted(f"A/a{i}" for i in range(1, 120))  # each once
    assert all(not s.startswith("B/") for s in seen)


def test_a_decision_on_a_later_page_returns_to_that_page(web: WebPartnership) -> None:
    shared = {"tlp": "green", "distribution": "partnership"}
    web.api.submit("A", [_copy("A", i) for i in range(60)], **shared)
    find(web.store, top_k=10, min_score=0.5)
    alice = web.clients["A"]
    first = alice.get("/reports/A/a0").text
    more = re.search(r'href="/reports/A/a0\?similar_after=([^"]+)" rel="next"', first)
    assert more is not None
    cursor = html.unescape(more.group(1))
    second = alice.get("/reports/A/a0", params={"similar_after": cursor}).text
    other = re.search(r'<td><a href="/reports/A/(\w+)">', second)
    assert other is not None
    assert f'name="similar_after" value="{cursor}"' in second  # the forms keep the page
    form = {
        "org": "A",
        "report_id": "a0",
        "other_org": "A",
        "other_report_id": other.group(1),
        "decision": "accepted",
        "similar_after": cursor,
        "csrf_token": csrf_of(alice),
    }
    done = alice.post("/similar/decide", data=form, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/reports/A/a0?similar_after={cursor}"
    assert ">accepted<" in alice.get(done.headers["location"]).text

"""A report's next page of same-script suggestions opens whatever the reports' ids are: the
page's cursor names the last suggestion shown (its organization and id, JSON with every non-ASCII
character as `\\uXXXX`, then base64), a few hundred characters for an ASCII id, some 1,600 for a
Thai one of 180 characters, which the page and the decision form refused past 500 (422)."""

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
CASE = ("คดีฉ้อโกงทางออนไลน์-" * 9)[:180]


def _copy(i: int) -> dict[str, object]:
    phone = f"+668{10_000_000 + i}"
    return report(f"{CASE}{i:03d}", phone=phone, narrative=SMS.format(i=i, phone=phone))


def test_the_next_page_of_suggestions_of_reports_with_long_thai_ids_opens(
    web: WebPartnership,
) -> None:
    web.api.submit("A", [_copy(i) for i in range(60)])
    find(web.store, top_k=10, min_score=0.5)
    alice = web.clients["A"]
    first = alice.get(f"/reports/A/{CASE}000")
    assert first.status_code == 200
    more = re.search(r'href="/reports/A/[^"?]+\?similar_after=([^"]+)" rel="next"', first.text)
    assert more is not None
    cursor = html.unescape(more.group(1))
    assert len(cursor) > 500
    second = alice.get(f"/reports/A/{CASE}000", params={"similar_after": cursor})
    assert second.status_code == 200, second.text[-600:]
    other = re.search(r'name="other_report_id" value="([^"]+)"', second.text)
    assert other is not None
    decided = alice.post(
        "/similar/decide",
        data={
            "org": "A",
            "report_id": f"{CASE}000",
            "other_org": "A",
            "other_report_id": html.unescape(other.group(1)),
            "decision": "accepted",
            "similar_after": cursor,
            "csrf_token": csrf_of(alice),
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text[-600:]
    assert alice.get(decided.headers["location"]).status_code == 200

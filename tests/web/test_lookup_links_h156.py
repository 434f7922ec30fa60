"""The search page says when a value does not link: a hotline on its reports' networks was
shown as "Networks: Network 1", like the ring's own number that joins them."""

from __future__ import annotations

from bigfish.linking.service import rebuild_networks
from tests.api.helpers import report
from tests.web.conftest import WebPartnership

RING = "+66811111111"  # A's private ring (tests/web/conftest.py)
NOTE = "Does not link: shared infrastructure"


def test_the_search_page_says_a_hotline_joins_none_of_its_networks(web: WebPartnership) -> None:
    web.api.submit("A", [report("h-1", phones=[RING, "+6628888888"])])
    rebuild_networks(web.store)
    browser = web.clients["A"]
    hotline = browser.get("/search", params={"q": "02-888-8888", "country": "TH"})
    assert hotline.status_code == 200, hotline.text
    assert NOTE in hotline.text and "warning_list" in hotline.text
    assert "/networks/" in hotline.text  # its reports' network is still named
    ring = browser.get("/search", params={"q": RING})
    assert ring.status_code == 200 and "/networks/" in ring.text
    assert NOTE not in ring.text

"""The pages and htmx's history: no snapshot of a page kept in the browser, and the request of
Back to an address htmx pushed answered with the whole page (the browser side is
tests/browser/test_history_h157.py)."""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.web.conftest import WebPartnership

RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.mark.parametrize(
    ("address", "form"),
    [("/search?q=%2B66811111111", 'id="q"'), ("/networks?country=TH", 'id="f-country"')],
)
def test_back_to_a_pushed_address_gets_the_whole_page(
    web: WebPartnership, address: str, form: str
) -> None:
    """Before: the results fragment alone, which htmx put in place of the whole page."""
    a = web.clients["A"]
    part = a.get(address, headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<header" not in part.text  # a filter: the fragment
    whole = a.get(address, headers=RESTORE)
    assert whole.status_code == 200
    assert '<header class="top">' in whole.text and form in whole.text
    assert 'id="results"' in whole.text


def test_htmx_keeps_no_snapshot_of_a_page(web: WebPartnership) -> None:
    """Before: htmx kept the last ten pages (search results, figures, the form token) in the
    tab's sessionStorage, which outlives a sign-out."""
    page = web.clients["A"].get("/search")
    found = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', page.text)
    assert found is not None
    assert json.loads(html.unescape(found[1]))["historyCacheSize"] == 0

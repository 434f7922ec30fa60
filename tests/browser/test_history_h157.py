"""The pages' htmx history in a real browser: no snapshot of a page kept in the tab's storage
(a shared computer keeps what an analyst searched after sign-out otherwise), and Back to a
filtered or searched address shows the whole page again, not the results alone."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.partnership import BrowserPartnership

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _search(page: object, value: str) -> None:
    page.fill("#q", value)  # type: ignore[attr-defined]
    with page.expect_response(re.compile(r"/search\?q=")):  # type: ignore[attr-defined]
        page.click(".filters button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/search\?q=" + re.escape(quote(value, safe=""))))  # type: ignore[attr-defined]


def test_searches_leave_no_copy_of_their_results_in_the_tab(
    analyst: object, server: str, partnership: BrowserPartnership
) -> None:
    page = analyst
    page.goto(server + "/search")  # type: ignore[attr-defined]
    _search(page, partnership.canonical_phone)
    page.locator("code.canonical").first.wait_for()  # type: ignore[attr-defined]
    _search(page, "+66899990002")
    page.locator("code.canonical").first.wait_for()  # type: ignore[attr-defined]
    kept = page.evaluate(  # type: ignore[attr-defined]
        "() => [sessionStorage.getItem('htmx-history-cache'),"
        " localStorage.getItem('htmx-history-cache')]"
    )
    assert not any(k and partnership.canonical_phone in k for k in kept), kept
    assert not any(k and "csrf_token" in k for k in kept), kept


def test_back_to_a_search_shows_the_whole_page(
    analyst: object, server: str, partnership: BrowserPartnership
) -> None:
    page = analyst
    page.goto(server + "/search")  # type: ignore[attr-defined]
    _search(page, partnership.canonical_phone)
    _search(page, "+66899990002")
    page.evaluate("() => sessionStorage.removeItem('htmx-history-cache')")  # type: ignore[attr-defined]
    first = re.escape(quote(partnership.canonical_phone, safe=""))
    with page.expect_response(re.compile(r"/search\?q=" + first)):  # type: ignore[attr-defined]
        page.go_back()  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
    assert page.locator("header.top nav").count() == 1  # type: ignore[attr-defined]
    assert page.locator("form.filters #q").count() == 1  # type: ignore[attr-defined]
    assert page.locator("#results code.canonical").first.text_content() == (  # type: ignore[attr-defined]
        partnership.canonical_phone
    )

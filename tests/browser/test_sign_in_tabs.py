"""The sign-in page open in two tabs of one browser: either signs in, and a form left open while
the other tab signed in comes back with its name and a message (each sign-in page set a new
form-token cookie, so the tab opened first was refused)."""

from __future__ import annotations

import pytest

from tests.browser.partnership import PASSWORD
from tests.polling import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page: object, username: str) -> None:
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_two_sign_in_tabs(browser: object, server: str) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    context.set_default_timeout(WAIT * 1000)
    try:
        first, second = context.new_page(), context.new_page()
        for tab in (first, second):
            tab.goto(server + "/login")
        _sign_in(first, "somchai")  # the tab opened first
        first.wait_for_url(server + "/")
        _sign_in(second, "minh")  # opened before the first signed in
        second.wait_for_selector("p.error[role=alert]")
        assert "This sign-in form is out of date" in second.text_content("p.error")
        assert second.input_value("#username") == "minh"
        assert second.input_value("#password") == ""
        first.reload()
        assert "somchai" in first.text_content("header .who")  # still somchai's session
        second.fill("#password", PASSWORD)
        second.click("button[type=submit]")
        second.wait_for_url(server + "/")
        assert "minh" in second.text_content("header .who")
    finally:
        context.close()

"""The sign-in form open in two tabs of one browser: each form must still sign in. Every sign-in
page set a new form-token cookie, so the tab opened first was refused ("the form's CSRF token is
missing or wrong") and the name typed in it was lost; a form left open while another tab signed
in was refused the same way."""

from __future__ import annotations

import re

import httpx

from tests.api.helpers import TestClient
from tests.web.conftest import PASSWORD, WebPartnership


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html
    return found[1]


def _post(
    browser: TestClient, token: str, username: str, password: str = PASSWORD
) -> httpx.Response:
    return browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/alerts"},
        follow_redirects=False,
    )


def test_the_first_of_two_sign_in_tabs_signs_in(web: WebPartnership) -> None:
    browser = TestClient(web.api.client.app)
    first = _token(browser.get("/login").text)
    _token(browser.get("/login").text)  # the second tab
    answer = _post(browser, first, "alice")
    assert answer.status_code == 303, answer.text
    assert browser.get("/", follow_redirects=False).status_code == 200


def test_a_failed_sign_in_in_one_tab_leaves_the_other_tab_s_form_working(
    web: WebPartnership,
) -> None:
    browser = TestClient(web.api.client.app)
    first = _token(browser.get("/login").text)
    second = _token(browser.get("/login").text)
    failed = _post(browser, second, "alice", "a wrong password")
    assert failed.status_code == 401
    assert _post(browser, first, "alice").status_code == 303


def test_a_sign_in_form_left_open_comes_back_with_its_name_and_a_clear_message(
    web: WebPartnership,
) -> None:
    """Another tab signed in meanwhile: nothing is signed in with the stale form, which comes
    back with the name and the return address (never the password), and signs in when sent
    again."""
    browser = TestClient(web.api.client.app)
    stale = _token(browser.get("/login").text)
    _post(browser, _token(browser.get("/login").text), "bob")  # the other tab
    bobs = browser.cookies.get("bigfish_session")
    answer = _post(browser, stale, "alice")
    assert answer.status_code == 403
    page = answer.text
    assert "This sign-in form is out of date" in page
    assert 'name="username"' in page and 'value="alice"' in page
    assert 'name="next" value="/alerts"' in page
    assert PASSWORD not in page
    assert browser.cookies.get("bigfish_session") == bobs  # still bob's session
    again = _post(browser, _token(page), "alice")
    assert again.status_code == 303
    assert again.headers["location"] == "/alerts"


def test_a_sign_in_without_a_form_token_cookie_gets_the_form_back(web: WebPartnership) -> None:
    """Cookies cleared (or the form kept open past the browser's session): the form is shown
    again with a token that works, not an error page."""
    browser = TestClient(web.api.client.app)
    stale = _token(browser.get("/login").text)
    browser.cookies.clear()
    answer = _post(browser, stale, "carol")
    assert answer.status_code == 403
    assert 'value="carol"' in answer.text
    assert _post(browser, _token(answer.text), "carol").status_code == 303


def test_a_new_sign_in_page_gets_a_new_form_token_after_signing_in(web: WebPartnership) -> None:
    """The form token of the signed-out browser is not the one of the next sign-in: it ends at
    every sign-in."""
    browser = TestClient(web.api.client.app)
    before = _token(browser.get("/login").text)
    assert _post(browser, before, "carol").status_code == 303
    assert _token(browser.get("/login").text) != before


def test_the_name_sent_back_in_the_form_is_escaped(web: WebPartnership) -> None:
    browser = TestClient(web.api.client.app)
    hostile = '"><script>alert(1)</script>'
    answer = _post(browser, _token(browser.get("/login").text), hostile, "a wrong password")
    assert answer.status_code == 401
    assert "<script>alert(1)" not in answer.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text

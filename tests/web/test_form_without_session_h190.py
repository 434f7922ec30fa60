"""A form sent after the session ended (12 hours, sign-out in another tab, a disabled account)
sends the browser to sign in and then back to the page it was sent from: it went back to the
form's own address, which only POST answers, so the analyst who had clicked "Accept" on a
report's suggestion signed in to a "Method Not Allowed" page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import TestClient
from tests.web.conftest import PASSWORD, WebPartnership


def _next_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query)["next"][0]


@pytest.mark.parametrize(
    ("form", "referer", "back"),
    [
        ("/similar/decide", "/reports/A/a-1", "/reports/A/a-1"),
        ("/evidence/ev-1/verify", "/evidence/ev-1", "/evidence/ev-1"),
        ("/language", "/networks?country=TH&utm_source=mail", "/networks?country=TH"),
        ("/organizations/groups", "/organizations", "/organizations"),
        ("/requests", "/requests?network=7", "/requests?network=7"),
        ("/requests", None, "/requests"),  # a page answers GET at the form's address
        ("/similar/decide", None, "/"),
        ("/similar/decide", "https://elsewhere.example/reports/A/a-1", "/"),
        ("/similar/decide", "/similar/decide", "/"),
    ],
)
def test_a_form_without_a_session_comes_back_to_its_page(
    web: WebPartnership, form: str, referer: str | None, back: str
) -> None:
    browser = TestClient(web.api.client.app)
    headers = {}
    if referer is not None:
        headers["referer"] = referer if "://" in referer else "http://testserver" + referer
    answer = browser.post(form, data={"csrf_token": "x"}, headers=headers, follow_redirects=False)
    assert answer.status_code == 303
    assert _next_of(answer.headers["location"]) == back


def test_signing_in_after_it_lands_on_the_page(web: WebPartnership) -> None:
    browser = TestClient(web.api.client.app)
    referer = {"referer": "http://testserver/reports/A/a-1"}
    answer = browser.post("/similar/decide", data={}, headers=referer, follow_redirects=False)
    login = browser.get(answer.headers["location"])
    assert 'name="next" value="/reports/A/a-1"' in login.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token[1]}
    signed = browser.post("/login", data=form | {"next": "/reports/A/a-1"}, follow_redirects=False)
    assert signed.headers["location"] == "/reports/A/a-1"
    assert browser.get(signed.headers["location"]).status_code == 200

"""The address a page sends the browser back to (after signing in, after choosing a language)
holds the page's query as the browser sent it: a search for a pasted Thai scam message of 300
characters is an address of about 2,700 (each Thai character nine once escaped), which the
sign-in and language forms refused (422, "at most 2000 characters"): the analyst whose session
had ended on that page could not sign in from it, nor change the language there."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from tests.api.helpers import TestClient
from tests.web.conftest import PASSWORD, WebPartnership

#: A scam message as pasted: Thai text around a phone number, 300 characters and more.
MESSAGE = "ยินดีด้วยคุณได้รับรางวัล " * 12 + "โทร 081-111-1111"


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found[1].replace("&amp;", "&").replace("&#34;", '"')


def test_signing_in_from_a_long_search_goes_back_to_it(web: WebPartnership) -> None:
    search = "/search?q=" + quote_plus(MESSAGE)
    assert len(search) > 2000
    browser = TestClient(web.api.client.app)
    to_login = browser.get(search, follow_redirects=False)
    assert to_login.status_code == 303
    form = browser.get(to_login.headers["location"])
    back = _hidden(form.text, "next")
    assert back == search
    answer = browser.post(
        "/login",
        data={
            "username": "bob",
            "password": PASSWORD,
            "csrf_token": _hidden(form.text, "csrf_token"),
            "next": back,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == search
    assert browser.get(answer.headers["location"]).status_code == 200


def test_choosing_a_language_on_a_long_search_stays_on_it(web: WebPartnership) -> None:
    alice = web.clients["A"]
    search = "/search?q=" + quote_plus(MESSAGE)
    page = alice.get(search).text
    back = _hidden(page, "back")
    assert back == search
    answer = alice.post(
        "/language",
        data={"lang": "th", "back": back, "csrf_token": _hidden(page, "csrf_token")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == search

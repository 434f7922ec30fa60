"""Review h167 (README "The analyst web application": search in any surface form). A local
number typed without the country ("081-111-1111") was answered "Nothing in “081-111-1111”
reads as an identifier", though it is a phone number the form's "Country of a local number"
would find (`bigfish lookup` says to give --country); the page now says so."""

from __future__ import annotations

import html

from tests.web.conftest import WebPartnership

ASK = "is a phone number only with its country"


def test_a_local_number_without_its_country_asks_for_the_country(web: WebPartnership) -> None:
    page = web.clients["B"].get("/search", params={"q": "081-111-1111"})
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert ASK in text and "Country of a local number" in text
    assert "reads as an identifier" not in text


def test_with_its_country_the_number_is_looked_up(web: WebPartnership) -> None:
    page = web.clients["B"].get("/search", params={"q": "081-111-1111", "country": "TH"})
    assert page.status_code == 200, page.text
    assert "+66811111111" in page.text and ASK not in html.unescape(page.text)


def test_text_that_is_no_identifier_is_still_said_to_be_none(web: WebPartnership) -> None:
    page = web.clients["B"].get("/search", params={"q": "hello there"})
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Nothing in “hello there” reads as an identifier." in text and ASK not in text

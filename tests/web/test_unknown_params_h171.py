"""Helper 171: a page opened from a link carrying a parameter it does not know (`?utm_source=…`
added by an e-mail or chat tool, `?fbclid=…`, a bookmark of an older release) answered 400 and an
error page. Web pages now ignore such parameters: the page is the one without them, nothing of
them is carried into its links or its sign-in redirect, and the parameters a page knows are still
checked. The API keeps refusing an unknown parameter, naming it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bigfish.api import ApiSettings
from bigfish.store import Store
from tests.api.helpers import Partnership, TestClient, build_partnership, report
from tests.web.conftest import WebPartnership

TRACKING = {"utm_source": "x", "fbclid": "y"}


def _comparable(body: str) -> str:
    """BODY without what differs from one answer to the next: a new sign-in form's token."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', body)


def _pages(web: WebPartnership) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/", {}),
        ("/networks", {}),
        ("/networks", {"country": "TH", "scam_type": "investment", "period": "2025"}),
        ("/networks", {"org": "A", "min_countries": "1"}),
        (f"/networks/{web.private_network}", {}),
        ("/reports/A/a-1", {}),
        ("/search", {}),
        ("/search", {"q": "+66811111111"}),
        ("/search", {"q": "0811111111", "kind": "phone", "country": "TH"}),
        ("/alerts", {}),
        ("/requests", {}),
        ("/evidence", {}),
        ("/organizations", {}),
        ("/static/app.css", {}),
        ("/login", {}),
        ("/login", {"next": "/networks?country=TH"}),
    ]


def test_every_page_ignores_tracking_parameters(web: WebPartnership) -> None:
    alice = web.clients["A"]
    for path, params in _pages(web):
        plain = alice.get(path, params=params)
        assert plain.status_code == 200, (path, params, plain.text)
        tagged = alice.get(path, params=params | TRACKING)
        assert tagged.status_code == 200, (path, params, tagged.text)
        assert _comparable(tagged.text) == _comparable(plain.text), (path, params)
        assert "utm_source" not in tagged.text and "fbclid" not in tagged.text, (path, params)


def test_the_language_menu_goes_back_without_the_tracking_parameters(
    web: WebPartnership,
) -> None:
    page = web.clients["A"].get("/networks", params={"country": "TH"} | TRACKING)
    back = re.search(r'name="back" value="([^"]*)"', page.text)
    assert back is not None and back[1] == "/networks?country=TH"


def test_sign_in_returns_to_the_page_without_the_tracking_parameters(
    web: WebPartnership,
) -> None:
    with TestClient(web.api.client.app) as stranger:
        answer = stranger.get(
            "/networks",
            params={"country": "TH", "utm_source": "x", "period": "2025", "fbclid": "y"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        location = urlsplit(answer.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == ["/networks?country=TH&period=2025"]
        # an HTMX part of a page asks the whole page to sign in, from the address the tab shows
        part = stranger.get(
            "/networks",
            params={"country": "TH"},
            headers={
                "HX-Request": "true",
                "HX-Current-URL": "http://testserver/search?q=%2B66811111111&utm_source=x",
            },
            follow_redirects=False,
        )
        assert part.status_code == 401, part.text
        target = urlsplit(part.headers["hx-redirect"])
        assert parse_qs(target.query)["next"] == ["/search?q=%2B66811111111"]


def test_known_parameters_are_still_checked(web: WebPartnership) -> None:
    alice = web.clients["A"]
    bad_country = alice.get("/networks", params={"country": "XX"} | TRACKING)
    assert bad_country.status_code == 400
    assert "country: unknown ISO 3166 country code &#39;XX&#39;" in bad_country.text
    bad_offset = alice.get("/networks", params={"offset": "-1"} | TRACKING)
    assert bad_offset.status_code == 422 and "offset" in bad_offset.text
    bad_kind = alice.get("/search", params={"q": "x", "kind": "colour"} | TRACKING)
    assert bad_kind.status_code == 400 and "kind: unknown kind &#39;colour&#39;" in bad_kind.text
    too_long = alice.get("/search", params={"q": "1" * 2001} | TRACKING)
    assert too_long.status_code == 422 and "q" in too_long.text
    nul = alice.get("/search", params={"q": "+668\x00"} | TRACKING)
    assert nul.status_code == 400 and "field &#39;q&#39;: a NUL character" in nul.text
    ignored_nul = alice.get("/search", params={"q": "+66811111111", "utm_source": "\x00"})
    assert ignored_nul.status_code == 200


def test_a_form_posted_with_an_unknown_parameter_is_still_refused(web: WebPartnership) -> None:
    answer = web.clients["A"].post("/language", params=TRACKING, data={"lang": "th"})
    assert answer.status_code == 400 and "unknown query parameter" in answer.text


@pytest.fixture
def public_node(sqlite_store: Store) -> Iterator[Partnership]:
    settings = ApiSettings(public_check=True, public_check_per_minute=600)
    for p in build_partnership(sqlite_store, settings):
        public = {"tlp": "clear", "distribution": "partnership"}
        p.submit("A", [report("a-1", phone="+66811111111")], **public)
        yield p


def test_the_public_check_page_ignores_tracking_parameters(public_node: Partnership) -> None:
    client = public_node.client
    for params in ({}, {"value": "call 081-111-1111", "country": "TH"}):
        plain = client.get("/check", params=params)
        tagged = client.get("/check", params=params | TRACKING)
        assert (plain.status_code, tagged.status_code) == (200, 200), tagged.text
        assert tagged.text == plain.text
    bad = client.get("/check", params={"value": "081-111-1111", "country": "T1"} | TRACKING)
    assert bad.status_code == 400 and "A country is two letters" in bad.text


def test_the_api_still_refuses_an_unknown_parameter_naming_it(web: WebPartnership) -> None:
    api = web.api
    answer = api.client.get("/api/v1/reports", params=TRACKING, headers=api.headers("A"))
    assert answer.status_code == 400
    assert answer.json()["error"]["details"]["field"] in TRACKING

"""A fresh-eyes review of the analyst pages (helper-105): a bad path of a static file is a 404,
never a 500; a loss in a currency without an exchange rate is said on the pages, never shown as
nothing or folded silently into a smaller total in US dollars."""

from __future__ import annotations

import re

import pytest

from bigfish.accounts import add_user
from bigfish.api import ApiSettings
from bigfish.linking.service import rebuild_networks
from bigfish.models import ApiRole
from bigfish.store import Store
from tests.api.helpers import TestClient, build_partnership, report
from tests.web.conftest import PASSWORD, WebPartnership, csrf_of, sign_in


@pytest.mark.parametrize("path", ["/static/%00", "/static/app.css%00", "/static/vendor/%00.js"])
def test_a_static_path_with_a_nul_byte_is_not_found_not_a_500(
    web: WebPartnership, path: str
) -> None:
    """`Path.resolve` raised ValueError (embedded null byte): a 500 for anyone, signed in or not."""
    answer = web.clients["B"].get(path)
    assert answer.status_code == 404, answer.status_code
    assert answer.json() == web.clients["B"].get("/static/no-such-file.js").json()


def _unrated_ring(web: WebPartnership) -> int:
    """B's ring of two reports sharing a phone: one lost 5000 NPR (no reference rate), one
    1200.50 THB; the id of its network."""
    web.api.submit(
        "B",
        [
            report(
                "npr-1", phone="+84987654321", country="VN", loss_currency="NPR", loss_amount="5000"
            ),
            report("thb-1", phone="+84987654321", country="VN"),
        ],
    )
    rebuild_networks(web.store)
    found = web.api.client.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": "+84987654321"},
        headers=web.api.headers("B"),
    ).json()
    (network,) = found["networks"]
    return int(network)


def test_a_loss_without_an_exchange_rate_is_said_not_shown_as_nothing(
    web: WebPartnership,
) -> None:
    """The network's total counts the THB loss only (NPR has no rate): the pages showed that
    total alone, as if the ring had lost that much, and the NPR report's loss as an empty cell."""
    network = _unrated_ring(web)
    bob = web.clients["B"]
    page = bob.get(f"/networks/{network}").text
    cards = page.split('class="cards"', 1)[1].split("</section>", 1)[0]
    assert "+ 1 report(s) in NPR, no exchange rate" in cards
    timeline = page.split('id="timeline-title"', 1)[1]
    row = next(r for r in timeline.split("<tr>") if "/reports/B/npr-1" in r)
    assert "5000 NPR" in row
    ranked = bob.get("/networks").text
    row = next(r for r in ranked.split("<tr>") if f'href="/networks/{network}"' in r)
    assert "+ 1 report(s) in NPR, no exchange rate" in row
    found = bob.get("/search", params={"q": "+84987654321"}).text
    row = next(r for r in found.split("<tr>") if "/reports/B/npr-1" in r)
    assert "5000 NPR" in row
    thai = bob.get(f"/networks/{network}", headers={"Accept-Language": "th"}).text
    assert "+ 1 รายงานเป็น NPR ไม่มีอัตราแลกเปลี่ยน" in thai


@pytest.mark.parametrize("country", ["ZZ", "éé", "ΑΒ"])
def test_the_public_check_names_a_bad_country_and_spends_no_check_on_it(
    sqlite_store: Store, country: str
) -> None:
    """A country that is no ISO 3166 code (two letters, but not a country's) was answered 'No
    phone number, link, … found in it', even for +66811111111, and took one of the visitor's
    checks of the minute."""
    settings = ApiSettings(public_check=True, public_check_per_minute=6)  # a burst of 2
    for p in build_partnership(sqlite_store, settings):
        for _ in range(3):
            answer = p.client.get("/check", params={"value": "+66811111111", "country": country})
            assert answer.status_code == 400
            assert "A country is two letters, such as TH." in answer.text
            assert "No phone number" not in answer.text
        fine = p.client.get("/check", params={"value": "+66811111111", "country": "th"})
        assert fine.status_code == 200, fine.text


def test_a_signed_in_user_is_held_to_the_request_limit_of_a_key(
    sqlite_store: Store, fast_argon2: None
) -> None:
    """`bigfish serve --rate-limit` held every API key, but not the pages: a script holding a
    session cookie looked up 20 identifiers a search, without end. Now each user has its own
    bucket, as a key has; another user, and sign-in, are not held by it."""
    settings = ApiSettings(rate_limit_per_minute=1, rate_limit_burst=3)
    for p in build_partnership(sqlite_store, settings):
        add_user(sqlite_store, org="B", username="bob", password=PASSWORD, role=ApiRole.ANALYST)
        add_user(sqlite_store, org="B", username="ben", password=PASSWORD, role=ApiRole.ANALYST)
        bob = sign_in(TestClient(p.client.app), "bob")
        codes = [bob.get("/search", params={"q": "+84912345678"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        held = bob.get("/networks", headers={"HX-Request": "true"})
        assert held.status_code == 429 and int(held.headers["Retry-After"]) >= 1
        assert "Too many requests from your account" in held.text
        assert "<html" not in held.text  # a fragment where the results go
        ben = sign_in(TestClient(p.client.app), "ben")
        assert ben.get("/search", params={"q": "+84912345678"}).status_code == 200


@pytest.mark.parametrize(
    ("subject", "told"),
    [
        ("network:abc", "subject: a network subject is a network&#39;s id, not &#39;abc&#39;"),
        ("nokind:abc", "subject: unknown identifier kind &#39;nokind&#39;"),
    ],
)
def test_a_bad_request_form_names_its_field_once_as_the_form_does(
    web: WebPartnership, subject: str, told: str
) -> None:
    """The form said "subjects[0]: field 'subjects[0]': …" (the library's name, twice) of its
    field `subject`."""
    bob = web.clients["B"]
    form = {
        "to_org": "A",
        "request_type": "preservation",
        "legal_basis": "budapest-29",
        "summary": "accounts of the ring",
        "subject": subject,
        "csrf_token": csrf_of(bob),
    }
    answer = bob.post("/requests", data=form)
    assert answer.status_code == 400
    error = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
    assert error is not None and error[1] == told
    form["request_type"] = "nope"
    error = re.search(r'role="alert">([^<]*)<', bob.post("/requests", data=form).text)
    assert error is not None and error[1] == "request_type: unknown request type &#39;nope&#39;"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/search?q=a%00b&kind=handle", "q"),
        ("/search?q=x%00y&kind=url", "q"),
        ("/reports/A/a-1%00", "report_id"),
        ("/reports/%00/x", "org"),
        ("/evidence/%00", "evidence_id"),
        ("/networks?org=A%00", "org"),
    ],
)
def test_a_nul_character_in_a_parameter_is_a_400_naming_it_on_every_backend(
    web: WebPartnership, path: str, field: str
) -> None:
    """SQLite searched the value and answered nothing (200, or 404 for a report), PostgreSQL
    refused it: 400 'a value in the request cannot be stored or searched', naming nothing."""
    answer = web.clients["B"].get(path)
    assert answer.status_code == 400, answer.status_code
    assert f"field &#39;{field}&#39;: a NUL character is not allowed" in answer.text


def test_a_search_says_when_it_lists_only_the_newest_reports(web: WebPartnership) -> None:
    """The page said '23 reports you may see' above a table of 20 and nothing else: the three
    oldest were dropped without a word."""
    web.api.submit("A", [report(f"more-{i}", phone="+66811111111") for i in range(21)])
    page = web.clients["A"].get("/search", params={"q": "+66811111111"}).text
    assert '<strong class="count">23</strong>' in page
    assert page.count('<a href="/reports/A/') == 20
    assert "The 20 newest of them are listed." in page
    few = web.clients["B"].get("/search", params={"q": "+84912345678"}).text
    assert '<strong class="count">2</strong>' in few and "newest of them" not in few

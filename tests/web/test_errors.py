"""Errors of the web application are pages (or, for HTMX, a fragment shown where the answer
goes), with a clear message: never the API's JSON, never a 500 for bad input."""

from __future__ import annotations

import re

import pytest

from bigfish.accounts import ApiRole, add_user
from bigfish.errors import InputError
from bigfish.intake.records import build_report
from bigfish.organizations import add_org
from bigfish.store import Store
from tests.web.conftest import WebPartnership

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/networks?country=TH"}


def test_an_empty_form_field_is_no_filter(web: WebPartnership) -> None:
    """The big-fish form sends every field, empty or not (it answered 422 JSON to all)."""
    b = web.clients["A"]
    empty = b.get("/networks", params={"country": "", "min_countries": "", "period": ""})
    assert empty.status_code == 200, empty.text
    assert f"/networks/{web.private_network}" in empty.text
    bad = b.get("/networks", params={"min_countries": "0"}, headers=HTMX)
    assert bad.status_code == 400 and "min_countries" in bad.text and "1 to 300" in bad.text
    nowhere = b.get("/networks", params={"country": "ZZ"}, headers=HTMX)  # as search answers
    assert nowhere.status_code == 400 and "unknown ISO 3166 country code" in nowhere.text
    assert b.get("/networks", params={"country": " th "}).status_code == 200  # was a 422


@pytest.mark.parametrize("period", ["0000", "9999", "9999-12"])
def test_a_period_outside_the_calendar_is_a_400_not_a_500(web: WebPartnership, period: str) -> None:
    answer = web.clients["B"].get("/networks", params={"period": period})
    assert answer.status_code == 400 and "1970 to 9998" in answer.text


def test_errors_of_pages_are_pages_and_htmx_shows_them(web: WebPartnership) -> None:
    b = web.clients["B"]
    for url in ("/networks/abc", "/networks/99999999999999999999", "/no-such-page"):
        answer = b.get(url)
        assert answer.status_code in (400, 404, 422), (url, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), url
        assert "<html" in answer.text and '{"error":' not in answer.text, url
    fragment = b.get("/networks/abc", headers=HTMX)
    assert fragment.text.startswith('<p class="error"') and "<html" not in fragment.text
    api = b.get("/api/v1/networks/abc")  # the API keeps its JSON document
    assert api.headers["content-type"].startswith("application/json")


def test_an_expired_session_sends_htmx_to_sign_in(web: WebPartnership) -> None:
    b = web.clients["B"]
    b.cookies.clear()
    answer = b.get("/networks", params={"country": "TH"}, headers=HTMX, follow_redirects=False)
    assert answer.status_code == 401  # back to the page with its filters after signing in
    assert answer.headers["HX-Redirect"] == "/login?next=/networks%3Fcountry%3DTH"
    assert "<html" not in answer.text  # not the sign-in page swapped into the results


def test_names_are_printable_and_no_path_steps(store: Store) -> None:
    """A report id `../../networks/1` made every link to the report a link to another page."""
    for name in (".", ".."):
        with pytest.raises(InputError, match=re.escape("not '.' or '..'")):
            add_org(store, name)
    for name in ("th\x00aoc", "th\u200baoc", "th\x1baoc"):  # NUL was stored on SQLite
        with pytest.raises(InputError, match="printable") as refused:
            add_org(store, name)
        assert refused.value.field == "name"
    add_org(store, "ศูนย์-aoc")  # letters of any script are names
    for username in ("som\x00chai", "som\u200bchai"):
        with pytest.raises(InputError, match="printable") as refused:
            add_user(
                store, org="ศูนย์-aoc", username=username, password="x" * 16, role=ApiRole.ANALYST
            )
        assert refused.value.field == "username"
    fields = {"reported_at": "2025-01-02", "country": "TH"}
    for report_id in ("..", "../../networks/290", "CASE/./1", "a/.."):
        with pytest.raises(InputError, match="between slashes") as caught:
            build_report(fields | {"report_id": report_id})
        assert caught.value.field == "report_id"
    assert build_report(fields | {"report_id": "CASE/2025/..1"}).report_id == "CASE/2025/..1"


def test_an_id_past_64_bits_is_no_network_for_its_export_either(web: WebPartnership) -> None:
    """The network's page said 404 "No network here." and its export 400 "a value in the request
    cannot be stored or searched" for the same id."""
    b = web.clients["B"]
    for fmt in ("stix", "misp", "csv"):
        for network_id in (2**63, 10**20):
            answer = b.get(f"/networks/{network_id}/export/{fmt}")
            assert answer.status_code == 404, (fmt, network_id, answer.status_code)
            assert "No network here." in answer.text

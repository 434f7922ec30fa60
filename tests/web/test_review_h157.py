"""Review of the web pages (helper 157): an export of a network from its page leaves a row in
the audit log as the API's exports do, and a search with a country that is no ISO code says so
in the search form."""

from __future__ import annotations

import pytest

from bigfish.audit import verify_audit
from bigfish.store.schema_access import audit_log
from tests.api.helpers import TestClient
from tests.web.conftest import AuditRow, WebPartnership, audit_rows


def _exports(web: WebPartnership) -> list[AuditRow]:
    return audit_rows(web, audit_log.c.action.like("GET /networks/%/export/%"))


def test_a_network_exported_from_its_page_is_in_the_audit_log(web: WebPartnership) -> None:
    """Before: no row; the same export through /api/ has one (the audit middleware covers
    /api/ and /taxii2 only), so a whole network's narratives left the node without a trace."""
    path = f"/networks/{web.private_network}/export"
    csv = web.clients["A"].get(f"{path}/csv")
    assert csv.status_code == 200 and "a-1" in csv.text
    assert web.clients["B"].get(f"{path}/stix").status_code == 404
    assert _exports(web) == [
        ("user:alice", "A", f"GET {path}/csv", f"{path}/csv", 200),
        ("user:bob", "B", f"GET {path}/stix", f"{path}/stix", 404),
    ]
    assert verify_audit(web.store).ok


def test_a_search_with_an_unknown_country_says_so_in_its_form(web: WebPartnership) -> None:
    """Before: a bare 422 error page, without the search form, navigation or sign-out."""
    a = web.clients["A"]
    page = a.get("/search", params={"q": "081 234 5678", "country": "ZZ"})
    assert page.status_code == 400
    assert 'id="q"' in page.text and '<header class="top">' in page.text
    assert "country: country &#39;ZZ&#39; is not an ISO 3166 alpha-2 code" in page.text
    part = a.get(
        "/search", params={"q": "0812345678", "country": "ZZ"}, headers={"HX-Request": "true"}
    )
    assert part.status_code == 400 and "<header" not in part.text
    assert "is not an ISO 3166 alpha-2 code" in part.text


@pytest.mark.parametrize(
    "address", ["/alerts?cursor=zzz", "/networks/abc", "/requests?network=0", "/nowhere"]
)
def test_an_error_page_keeps_the_navigation_of_a_signed_in_user(
    web: WebPartnership, address: str
) -> None:
    """Before: the page of a bad parameter (an old link, a mistyped address) had no navigation,
    language or sign-out, as if the user had been signed out."""
    page = web.clients["B"].get(address)
    assert page.status_code in (404, 422), page.text
    assert '<header class="top">' in page.text and 'action="/logout"' in page.text
    assert "bob · B" in page.text
    signed_out = TestClient(web.api.client.app).get(address, follow_redirects=False)
    assert signed_out.status_code in (303, 404, 422)
    assert '<header class="top">' not in signed_out.text

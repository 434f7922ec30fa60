"""A form of an earlier session: the page was opened, then another tab of the browser signed
out and in again (as the same user or another one). The form carries the earlier session's
token and must do nothing; it was refused as a forged one ("the form's CSRF token is missing
or wrong; reload the page"), everything typed in it lost."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
import sqlalchemy as sa

from bigfish.store.schema_access import audit_log
from tests.api.helpers import TestClient
from tests.web.conftest import WebPartnership, csrf_of, sign_in

STALE = "Not sent: the form is from an earlier session (another tab signed out or in)"


def _request_form(token: str) -> dict[str, str]:
    from bigfish.cooperation.model import legal_bases

    basis = next(
        b.id
        for b in legal_bases().values()
        if any(t.value == "preservation" for t in b.request_types)
    )
    return {
        "to_org": "C",
        "request_type": "preservation",
        "legal_basis": basis,
        "summary": "Preserve the call records of the Mekong ring",
        "subject": "phone:+66811111111",
        "urgency": "urgent",
        "send": "yes",
        "csrf_token": token,
    }


def _token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found[1]


def _sent(web: WebPartnership) -> bool:
    return "Preserve the call records" in web.clients["C"].get("/requests").text


def test_a_request_form_of_the_user_s_earlier_session_comes_back_filled_in(
    web: WebPartnership,
) -> None:
    browser = sign_in(TestClient(web.api.client.app), "alice")
    earlier = csrf_of(browser)
    sign_in(browser, "alice")  # another tab signs in again
    answer = browser.post("/requests", data=_request_form(earlier), follow_redirects=False)
    assert answer.status_code == 403
    assert STALE in answer.text
    assert 'value="Preserve the call records of the Mekong ring"' in answer.text
    assert '<option value="urgent" selected>' in answer.text
    assert not _sent(web)
    fresh = _token_of(answer.text)
    assert fresh == csrf_of(browser) != earlier
    again = browser.post("/requests", data=_request_form(fresh), follow_redirects=False)
    assert again.status_code == 303
    assert _sent(web)


def test_another_user_s_form_is_neither_sent_nor_shown(web: WebPartnership) -> None:
    """Alice's page left open; Bob signs in on the same browser: Alice's form does nothing as
    Bob, and what she typed is not put into Bob's page."""
    browser = sign_in(TestClient(web.api.client.app), "alice")
    alices = csrf_of(browser)
    sign_in(browser, "bob")
    answer = browser.post("/requests", data=_request_form(alices), follow_redirects=False)
    assert answer.status_code == 403
    assert STALE in answer.text
    assert "Preserve the call records" not in answer.text
    assert not _sent(web)
    assert "Preserve the call records" not in browser.get("/requests").text


def test_a_group_form_of_the_user_s_earlier_session_comes_back_filled_in(
    web: WebPartnership,
) -> None:
    browser = sign_in(TestClient(web.api.client.app), "alice")
    earlier = csrf_of(browser)
    browser.post("/logout", data={"csrf_token": earlier})
    sign_in(browser, "alice")  # signed out and in again in another tab
    form = {"name": "gulf", "members": "C", "csrf_token": earlier}
    answer = browser.post("/organizations/groups", data=form, follow_redirects=False)
    assert answer.status_code == 403
    assert STALE in answer.text
    assert 'name="name"' in answer.text and 'value="gulf"' in answer.text
    assert "gulf" not in browser.get("/organizations").text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/logout", {}),
        ("/language", {"lang": "th", "back": "/"}),
        ("/organizations/members", {"group": "mekong", "org": "B"}),
    ],
)
def test_other_forms_of_an_earlier_session_say_why_they_did_nothing(
    web: WebPartnership, path: str, data: dict[str, str]
) -> None:
    browser = sign_in(TestClient(web.api.client.app), "alice")
    earlier = csrf_of(browser)
    sign_in(browser, "alice")
    answer = browser.post(path, data=data | {"csrf_token": earlier}, follow_redirects=False)
    assert answer.status_code == 403
    assert STALE in answer.text
    assert browser.get("/", follow_redirects=False).status_code == 200  # still signed in
    assert 'lang="en"' in browser.get("/").text


def test_a_form_without_a_token_is_refused_as_before(web: WebPartnership) -> None:
    alice = web.clients["A"]
    answer = alice.post("/requests", data=_request_form(""), follow_redirects=False)
    assert answer.status_code == 403
    assert "the form's CSRF token is missing or wrong" in answer.text
    assert "Preserve the call records" not in answer.text


def test_every_sign_in_gives_the_session_forms_a_new_token(web: WebPartnership) -> None:
    browser = sign_in(TestClient(web.api.client.app), "carol")
    tokens = {csrf_of(browser)}
    for user in ("carol", "bob", "carol"):
        sign_in(browser, user)
        tokens.add(csrf_of(browser))
    assert len(tokens) == 4


def test_a_refused_form_token_is_neither_logged_nor_audited(
    web: WebPartnership, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zr9-a-refused-form-token-that-must-not-be-written-anywhere"
    alice = web.clients["A"]
    with caplog.at_level(logging.DEBUG):
        refused: list[httpx.Response] = [
            alice.post("/requests", data=_request_form(secret), follow_redirects=False),
            alice.post("/logout", data={"csrf_token": secret}, follow_redirects=False),
            alice.post(
                "/organizations/groups",
                data={"name": "x"},
                headers={"X-CSRF-Token": secret},
                follow_redirects=False,
            ),
            TestClient(web.api.client.app).post(
                "/login",
                data={"username": "alice", "password": "x", "csrf_token": secret},
                follow_redirects=False,
            ),
        ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert all(secret not in r.text for r in refused)
    assert secret not in caplog.text
    assert not [r for r in caplog.records if secret in str(r.args)]
    with web.store.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.target)).all()
    assert not [r for r in rows if secret in str(r)]

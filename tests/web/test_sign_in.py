"""Sign-in, sessions and CSRF: HttpOnly SameSite cookies, argon2 passwords, a token per form."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.helpers import TestClient
from tests.polling import WAIT
from tests.web.conftest import PASSWORD, WebPartnership, csrf_of, sign_in, try_sign_in


def test_pages_need_a_signed_in_user(web: WebPartnership) -> None:
    anonymous = TestClient(web.api.client.app)
    for path in ("/", "/networks", f"/networks/{web.private_network}", "/search?q=x", "/alerts"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")


def test_session_cookie_is_httponly_and_samesite(web: WebPartnership) -> None:
    client = TestClient(web.api.client.app)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "bigfish_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert PASSWORD not in answer.text


def test_wrong_password_and_unknown_user_answer_alike(web: WebPartnership) -> None:
    answers = []
    for username, password in (("alice", "wrong password!!"), ("nobody", PASSWORD)):
        client = TestClient(web.api.client.app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        answer = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token[1]},
            follow_redirects=False,
        )
        answers.append((answer.status_code, "Unknown username or wrong password." in answer.text))
        assert "bigfish_session" not in answer.headers.get("set-cookie", "")
    assert answers == [(401, True), (401, True)]


def test_sign_in_without_the_form_token_is_refused(web: WebPartnership) -> None:
    client = TestClient(web.api.client.app)
    answer = client.post(
        "/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "bigfish_session" not in answer.headers.get("set-cookie", "")


def test_forms_without_the_csrf_token_are_refused(web: WebPartnership) -> None:
    alice = web.clients["A"]
    refused = alice.post("/organizations/groups", data={"name": "new-group"})
    assert refused.status_code == 403
    wrong = alice.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert alice.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_a_form_with_the_token_works_and_sign_out_ends_the_session(web: WebPartnership) -> None:
    alice = web.clients["A"]
    token = csrf_of(alice)
    made = alice.post(
        "/organizations/groups",
        data={"name": "andaman", "members": "C", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert "andaman" in alice.get("/organizations").text
    cookie = alice.cookies.get("bigfish_session")
    out = alice.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(web.api.client.app, cookies={"bigfish_session": cookie or ""})
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_htmx_requests_carry_the_token_in_a_header(web: WebPartnership) -> None:
    alice = web.clients["A"]
    token = csrf_of(alice)
    answer = alice.post(
        "/organizations/groups",
        data={"name": "gulf"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_only_admins_create_groups(web: WebPartnership) -> None:
    bob = web.clients["B"]
    answer = bob.post("/organizations/groups", data={"name": "x", "csrf_token": csrf_of(bob)})
    assert answer.status_code == 403


def test_sign_in_redirects_only_to_local_pages(web: WebPartnership) -> None:
    client = TestClient(web.api.client.app)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        answer = client.post(
            "/login",
            data={
                "username": "alice",
                "password": PASSWORD,
                "csrf_token": token[1],
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/"


def test_every_page_declares_its_access_and_sends_a_strict_csp(web: WebPartnership) -> None:
    from bigfish.api.app import undeclared_routes

    assert undeclared_routes(web.api.client.app) == []  # type: ignore[arg-type]
    page = web.clients["A"].get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_signed_in_user_sees_the_navigation_in_thai(web: WebPartnership) -> None:
    alice = sign_in(TestClient(web.api.client.app), "alice")
    token = csrf_of(alice)
    alice.post("/language", data={"lang": "th", "csrf_token": token, "back": "/"})
    assert "ภาพรวม" in alice.get("/").text
    page = alice.get("/networks", params={"country": "TH"}).text
    assert 'name="back" value="/networks?country=TH"' in page  # the filters survive the switch
    back = alice.post(
        "/language",
        data={"lang": "vi", "csrf_token": token, "back": "/networks?country=TH"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/networks?country=TH"
    unknown = alice.post("/language", data={"lang": "xx", "csrf_token": token, "back": "/"})
    assert unknown.status_code == 422 and "unknown language" in unknown.text


def test_a_cooperation_request_from_the_network_page(web: WebPartnership) -> None:
    from bigfish.cooperation.model import legal_bases

    alice = web.clients["A"]
    form = alice.get(f"/requests?network={web.private_network}")
    assert f'value="network:{web.private_network}"' in form.text
    basis = next(
        b.id
        for b in legal_bases().values()
        if any(t.value == "preservation" for t in b.request_types)
    )
    fields = {
        "to_org": "C",
        "request_type": "preservation",
        "legal_basis": basis,
        "summary": "Preserve the subscriber data of the ring's phone",
        "subject": f"network:{web.private_network}",
        "send": "yes",
    }
    assert alice.post("/requests", data=fields).status_code == 403  # no CSRF token
    made = alice.post(
        "/requests", data=fields | {"csrf_token": csrf_of(alice)}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    assert "Preserve the subscriber data" in web.clients["C"].get("/requests").text
    assert "Preserve the subscriber data" not in web.clients["B"].get("/requests").text
    bad = alice.post(
        "/requests", data=fields | {"request_type": "nonsense", "csrf_token": csrf_of(alice)}
    )
    assert bad.status_code == 400
    assert "request_type" in bad.text


def test_a_disabled_user_is_signed_out_on_the_next_request(web: WebPartnership) -> None:
    """The operator disables a user, resets a password, enables again (`bigfish user …`)."""
    from typer.testing import CliRunner

    from bigfish.cli import app

    url = str(web.store.engine.url.render_as_string(hide_password=False))
    run = CliRunner()
    b = web.clients["B"]
    assert b.get("/", follow_redirects=False).status_code == 200
    assert run.invoke(app, ["--db", url, "user", "disable", "bob"]).exit_code == 0
    assert b.get("/", follow_redirects=False).status_code == 303  # the session ended
    assert try_sign_in(TestClient(b.app), "bob").status_code == 401
    listed = run.invoke(app, ["--db", url, "user", "list", "--org", "B", "--json"])
    assert json.loads(listed.stdout)["users"] == [
        {"username": "bob", "org": "B", "role": "analyst", "disabled": True}
    ]
    assert run.invoke(app, ["--db", url, "user", "enable", "bob"]).exit_code == 0
    sign_in(TestClient(b.app), "bob")
    c = web.clients["C"]
    new = "a new password of carol"
    reset = run.invoke(app, ["--db", url, "user", "password", "carol", "--password", new])
    assert reset.exit_code == 0, reset.output
    assert c.get("/", follow_redirects=False).status_code == 303  # sessions ended
    sign_in(TestClient(c.app), "carol", new)
    missing = run.invoke(app, ["--db", url, "user", "disable", "nobody"])
    assert missing.exit_code == 1 and "nobody" in missing.stderr


def test_sign_in_is_throttled_per_username_and_address(web: WebPartnership) -> None:
    """Ten failures in 15 minutes: that name is refused (even with the right password) until
    the oldest is 15 minutes old; any name, known or not, alike; others are not held up."""
    client = TestClient(web.clients["B"].app)

    def attempt(username: str, password: str) -> int:
        return int(try_sign_in(client, username, password).status_code)

    for name in ("bob", "nobody-at-all"):
        assert [attempt(name, "wrong password!") for _ in range(10)] == [401] * 10
        assert attempt(name, PASSWORD) == 429
    assert attempt("carol", PASSWORD) == 303
    held = try_sign_in(client, "bob")
    assert held.status_code == 429 and 0 < int(held.headers["Retry-After"]) <= 900


def test_the_throttle_forgets_after_the_window() -> None:
    from bigfish.web.session import SignInThrottle

    throttle = SignInThrottle(limit=3, per_address=5, window=100.0)
    for t in (0.0, 10.0, 20.0):
        assert throttle.wait("bob", "10.0.0.1", now=t) == 0
        throttle.failed("Bob ", "10.0.0.1", now=t)
    assert throttle.wait("bob", "10.0.0.2", now=30.0) == 70.0  # the first failure + 100 s
    assert throttle.wait("bob", "10.0.0.2", now=100.5) == 0
    throttle.failed("eve", "10.0.0.1", now=31.0)
    throttle.failed("mallory", "10.0.0.1", now=32.0)
    assert throttle.wait("alice", "10.0.0.1", now=33.0) == 67.0  # five from one address
    throttle.succeeded("bob")
    assert throttle.wait("bob", "10.0.0.3", now=34.0) == 0


def test_sign_ins_sent_side_by_side_cannot_pass_the_throttle(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty wrong passwords sent at once: only ten are checked (each attempt counts before
    its password is checked, not after, when argon2 has taken its time)."""
    import threading
    import time

    from bigfish.web import views

    checked: list[str] = []
    real = views.sign_in

    def slow_sign_in(*args: Any, **kwargs: Any) -> str | None:
        checked.append(args[1])
        time.sleep(0.2)  # argon2 at its production cost
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "sign_in", slow_sign_in)
    app = web.api.client.app
    together = threading.Barrier(20)
    answers: list[int] = []

    def guess() -> None:
        client = TestClient(app)
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        together.wait(timeout=WAIT)
        answer = client.post(
            "/login",
            data={"username": "bob", "password": "a guess", "csrf_token": token[1]},
            follow_redirects=False,
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(checked) == 10
    assert sorted(answers) == [401] * 10 + [429] * 10


def test_a_successful_sign_in_does_not_count_against_its_address(web: WebPartnership) -> None:
    """Fifty colleagues behind one address sign in: the fifty-first still may."""
    from bigfish.web import views

    client = TestClient(web.api.client.app)
    for _ in range(views.THROTTLE.per_address + 1):
        assert try_sign_in(client, "carol").status_code == 303


def test_signing_in_again_ends_the_browser_s_previous_session(web: WebPartnership) -> None:
    """Bob signs in on the computer Alice left signed in: Alice's session ends on the server,
    not only in that browser (a copy of her cookie stayed valid for twelve hours)."""
    app = web.api.client.app
    shared = sign_in(TestClient(app), "alice")
    alices = shared.cookies.get("bigfish_session")
    assert alices
    sign_in(shared, "bob")
    assert shared.get("/", follow_redirects=False).status_code == 200  # bob's
    copy = TestClient(app, cookies={"bigfish_session": alices})
    assert copy.get("/", follow_redirects=False).status_code == 303


def test_cookies_are_secure_over_https(web: WebPartnership) -> None:
    client = TestClient(web.api.client.app, base_url="https://testserver")
    form = client.get("/login")
    assert "secure" in form.headers["set-cookie"].lower()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    signed = client.post(
        "/login",
        data={"username": "carol", "password": PASSWORD, "csrf_token": token[1]},
        follow_redirects=False,
    )
    session = [c for c in signed.headers.get_list("set-cookie") if "bigfish_session=" in c]
    assert session and "secure" in session[0].lower()
    chosen = client.post(
        "/language",
        data={"lang": "th", "csrf_token": csrf_of(client), "back": "/"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    cookie = chosen.headers["set-cookie"].lower()
    assert "bigfish_lang=th" in cookie and "secure" in cookie and "httponly" in cookie

"""The web pages in the audit log (helper 159): sign-in (both outcomes) and sign-out, a report's
page and graph, a network's page and the evidence pages each leave a row in the API's form, and
a page that shows data is not shown when its row cannot be written."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.audit import AuditEntry, verify_audit
from bigfish.store.schema_access import audit_log
from bigfish.web.session import SESSION_COOKIE
from tests.api.helpers import TestClient
from tests.web.conftest import (
    PASSWORD,
    AuditRow,
    WebPartnership,
    audit_rows,
    csrf_of,
    try_sign_in,
)

Row = AuditRow


def _rows_after(web: WebPartnership, seq: int) -> list[Row]:
    """The rows web pages wrote after SEQ (the API's own rows left out)."""
    return audit_rows(web, (audit_log.c.seq > seq) & ~audit_log.c.action.like("% /api/%"))


def _last_seq(web: WebPartnership) -> int:
    with web.store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar() or 0)


def _upload(web: WebPartnership, report_id: str) -> str:
    answer = web.api.client.post(
        f"/api/v1/reports/A/{report_id}/evidence",
        headers=web.api.headers("A"),
        files={"file": ("chat.png", b"a screenshot of the chat", "image/png")},
        data={"source": "the victim's phone", "method": "screenshot"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_id"])


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    monkeypatch.chdir(tmp_path)


def test_signing_in_and_out_is_in_the_audit_log(web: WebPartnership) -> None:
    """Before: no row at all. A refused sign-in reads as the API's 401 (anonymous, no
    organization) with the name tried, the same for an unknown name and a wrong password,
    and no password anywhere in the log."""
    start = _last_seq(web)
    browser = TestClient(web.api.client.app)
    assert try_sign_in(browser, "alice", "not the password").status_code == 401
    assert try_sign_in(browser, "mallory", "not the password").status_code == 401
    assert try_sign_in(browser, "alice").status_code == 303
    token = csrf_of(browser)
    assert browser.post("/logout", data={"csrf_token": token}, follow_redirects=False).is_redirect
    assert _rows_after(web, start) == [
        ("anonymous", None, "POST /login", "/login?username=alice", 401),
        ("anonymous", None, "POST /login", "/login?username=mallory", 401),
        ("user:alice", "A", "POST /login", "/login", 303),
        ("user:alice", "A", "POST /logout", "/logout", 303),
    ]
    with web.store.connect() as conn:
        every = " ".join(str(v) for row in conn.execute(sa.select(audit_log)) for v in row)
    assert "not the password" not in every and PASSWORD not in every
    assert verify_audit(web.store).ok


def test_a_key_typed_as_the_username_is_not_kept(web: WebPartnership) -> None:
    start = _last_seq(web)
    key = web.api.keys["A"]
    assert try_sign_in(TestClient(web.api.client.app), key, "x").status_code == 401
    assert _rows_after(web, start) == [
        ("anonymous", None, "POST /login", "/login?username=[redacted]", 401)
    ]


@pytest.mark.usefixtures("data_dir")
def test_a_report_a_network_and_evidence_seen_on_the_web_are_in_the_audit_log(
    web: WebPartnership,
) -> None:
    """Before: no row for any of them, so "who looked at this report, this evidence" had no
    answer for what was seen in a browser."""
    evidence_id = _upload(web, "a-1")
    start = _last_seq(web)
    alice, bob = web.clients["A"], web.clients["B"]
    network = f"/networks/{web.private_network}"
    assert alice.get("/reports/A/a-1").status_code == 200
    assert bob.get("/reports/A/a-1").status_code == 404
    assert alice.get("/graph/reports/A/a-1").status_code == 200
    assert alice.get(network).status_code == 200
    assert bob.get(network).status_code == 404
    assert alice.get("/evidence").status_code == 200
    assert alice.get(f"/evidence/{evidence_id}").status_code == 200
    assert bob.get(f"/evidence/{evidence_id}").status_code == 404
    verify = f"/evidence/{evidence_id}/verify"
    assert alice.post(verify, data={"csrf_token": csrf_of(alice)}).status_code == 200
    assert _rows_after(web, start) == [
        ("user:alice", "A", "GET /reports/A/a-1", "/reports/A/a-1", 200),
        ("user:bob", "B", "GET /reports/A/a-1", "/reports/A/a-1", 404),
        ("user:alice", "A", "GET /graph/reports/A/a-1", "/graph/reports/A/a-1", 200),
        ("user:alice", "A", f"GET {network}", network, 200),
        ("user:bob", "B", f"GET {network}", network, 404),
        ("user:alice", "A", "GET /evidence", "/evidence", 200),
        ("user:alice", "A", f"GET /evidence/{evidence_id}", f"/evidence/{evidence_id}", 200),
        ("user:bob", "B", f"GET /evidence/{evidence_id}", f"/evidence/{evidence_id}", 404),
        ("user:alice", "A", f"POST {verify}", verify, 200),
    ]
    assert verify_audit(web.store).ok


class _BrokenWriter:
    """An audit writer whose rows are never committed (a database that refuses the write)."""

    def submit(self, entry: AuditEntry) -> Future[Any]:
        failed: Future[Any] = Future()
        failed.set_exception(RuntimeError("the audit log cannot be written"))
        return failed


@pytest.mark.usefixtures("data_dir")
def test_a_page_whose_row_cannot_be_written_shows_nothing(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the report's narrative and the evidence were shown unrecorded. A sign-in is
    refused (no session starts), a sign-out still ends the session."""
    evidence_id = _upload(web, "a-1")
    app = web.api.client.app
    monkeypatch.setattr(app.state, "audit_writer", _BrokenWriter())
    alice = web.clients["A"]
    report = alice.get("/reports/A/a-1")
    assert report.status_code == 503 and "alert(" not in report.text  # the narrative
    shown = alice.get(f"/evidence/{evidence_id}")
    assert shown.status_code == 503 and "Chain of custody" not in shown.text
    listed = alice.get("/evidence")
    assert listed.status_code == 503 and "chat.png" not in listed.text
    browser = TestClient(app)
    refused = try_sign_in(browser, "alice")
    assert refused.status_code == 503 and SESSION_COOKIE not in refused.cookies
    assert try_sign_in(browser, "alice", "wrong").status_code == 503
    bob = web.clients["B"]
    out = bob.post("/logout", data={"csrf_token": csrf_of(bob)}, follow_redirects=False)
    assert out.status_code == 303
    assert bob.get("/", follow_redirects=False).status_code == 303  # signed out

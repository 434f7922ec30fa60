"""A session ends after an hour without a request, as well as twelve hours after signing in: a
browser left signed in on a shared computer stayed usable by anyone for the whole twelve hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigfish.store.schema_web import web_sessions
from bigfish.web.session import current_session, sign_in
from tests.api.helpers import TestClient
from tests.web.conftest import PASSWORD, WebPartnership

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SESSION_IDLE = timedelta(hours=1)
SESSION_LIFETIME = timedelta(hours=12)


def test_a_session_left_idle_for_an_hour_ends(web: WebPartnership) -> None:
    token = sign_in(web.store, "alice", PASSWORD, now=START)
    assert token is not None
    assert current_session(web.store, token, now=START + SESSION_IDLE - timedelta(minutes=2))
    later = START + SESSION_IDLE - timedelta(minutes=2) + SESSION_IDLE + timedelta(seconds=1)
    assert current_session(web.store, token, now=later) is None


def test_a_session_in_use_lasts_until_twelve_hours_after_signing_in(web: WebPartnership) -> None:
    token = sign_in(web.store, "bob", PASSWORD, now=START)
    assert token is not None
    moment = START
    while moment + SESSION_IDLE / 2 < START + SESSION_LIFETIME:
        moment += SESSION_IDLE / 2
        assert current_session(web.store, token, now=moment) is not None, moment
    assert current_session(web.store, token, now=START + SESSION_LIFETIME) is None


def test_an_idle_session_sends_the_browser_to_sign_in(web: WebPartnership) -> None:
    """The session's end is kept on the server: a browser whose session went idle is sent to
    sign in, whatever its cookie's own lifetime."""
    browser = web.clients["C"]
    assert browser.get("/", follow_redirects=False).status_code == 200
    with web.store.begin() as conn:  # the hour passes
        conn.execute(web_sessions.update().values(expires_at=datetime.now(UTC) - timedelta(1)))
    answer = browser.get("/alerts", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/alerts"
    assert TestClient(browser.app).get("/", follow_redirects=False).status_code == 303


def test_a_request_moves_the_end_of_an_idle_session(web: WebPartnership) -> None:
    token = sign_in(web.store, "carol", PASSWORD, now=START)
    assert token is not None
    assert _end(web) == START + SESSION_IDLE
    assert current_session(web.store, token, now=START + timedelta(minutes=30))
    assert _end(web) == START + timedelta(minutes=30) + SESSION_IDLE


def _end(web: WebPartnership) -> datetime:
    """When the session made at START ends."""
    with web.store.connect() as conn:
        end = conn.execute(
            sa.select(web_sessions.c.expires_at).where(web_sessions.c.created_at == START)
        ).scalar_one()
    return end if end.tzinfo else end.replace(tzinfo=UTC)

"""Browser sessions: sign in with a username and argon2 password, a server-side session behind an
HttpOnly SameSite cookie, and a CSRF synchronizer token for every form.

The cookie holds a random token; the store keeps only its SHA-256 hash. Every request reads the
user, the organization and its groups again, so disabling a user, signing out or leaving a group
counts on the next request (spec/security-tests.md class 11).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bigfish.accounts import Principal, authenticate_user
from bigfish.models import ApiRole
from bigfish.store import Store
from bigfish.store.schema import group_members, organizations
from bigfish.store.schema_access import users
from bigfish.store.schema_web import web_sessions

SESSION_COOKIE = "bigfish_session"
LOGIN_CSRF_COOKIE = "bigfish_login_csrf"
SESSION_LIFETIME = timedelta(hours=12)
#: A session ends after this long without a request (a browser left signed in on a shared
#: computer), and at the latest SESSION_LIFETIME after signing in.
SESSION_IDLE = timedelta(hours=1)
#: A request moves the end of its session on when it has come this much nearer: one write a
#: minute at most per session, not one per request.
_IDLE_STEP = timedelta(minutes=1)

_ensured: set[int] = set()
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: who it is and the token its forms must carry."""

    principal: Principal
    username: str
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _ensure_table(store: Store) -> None:
    """Create the sessions table in a store made before the web application existed."""
    key = id(store.engine)
    if key not in _ensured:
        web_sessions.create(store.engine, checkfirst=True)
        _ensured.add(key)


def new_form_token() -> str:
    """A random token for the double-submit CSRF check of the sign-in form."""
    return secrets.token_urlsafe(32)


_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def is_form_token(value: str | None) -> bool:
    """Whether VALUE has the form of a token `new_form_token` makes."""
    return value is not None and _FORM_TOKEN.fullmatch(value) is not None


def csrf_token_for(user_id: int) -> str:
    """A new session's synchronizer token: random, after the id of the user it is issued to, so
    that a form of that user's earlier session can be told from another user's."""
    return f"{user_id}.{secrets.token_urlsafe(32)}"


_CSRF_TOKEN = re.compile(r"([0-9]{1,19})\.[A-Za-z0-9_-]{43}")


def issued_to(token: str | None) -> int | None:
    """The id of the user that session CSRF token TOKEN was issued to (`csrf_token_for`), None
    for a value that is no such token."""
    found = _CSRF_TOKEN.fullmatch(token or "")
    return int(found[1]) if found else None


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens; a missing one never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def sign_in(store: Store, username: str, password: str, now: datetime | None = None) -> str | None:
    """A new session token for a user whose password matches, else None (any failure alike)."""
    principal = authenticate_user(store, username, password)
    if principal is None:
        return None
    now = now or datetime.now(UTC)
    _ensure_table(store)
    token = secrets.token_urlsafe(32)
    with store.begin() as conn:
        user_id = conn.execute(
            sa.select(users.c.id).where(users.c.username == username.strip())
        ).scalar_one()
        conn.execute(web_sessions.delete().where(web_sessions.c.expires_at < now))
        conn.execute(
            web_sessions.insert().values(
                token_hash=_hash(token),
                user_id=user_id,
                csrf_token=csrf_token_for(user_id),
                created_at=now,
                expires_at=now + min(SESSION_IDLE, SESSION_LIFETIME),
            )
        )
    return token


_SESSION_QUERY = (
    sa.select(
        web_sessions.c.id,
        web_sessions.c.csrf_token,
        web_sessions.c.created_at,
        web_sessions.c.expires_at,
        users.c.username,
        users.c.role,
        users.c.org_id,
        organizations.c.name.label("org_name"),
    )
    .join(users, users.c.id == web_sessions.c.user_id)
    .join(organizations, organizations.c.id == users.c.org_id)
    .where(web_sessions.c.token_hash == sa.bindparam("token_hash"), users.c.disabled_at.is_(None))
)


def current_session(
    store: Store, token: str | None, now: datetime | None = None
) -> WebSession | None:
    """The session of cookie TOKEN, or None when it is missing, unknown, expired (idle for
    SESSION_IDLE, or SESSION_LIFETIME old) or disabled; a session in use ends later."""
    if not token or len(token) > 200:
        return None
    _ensure_table(store)
    now = now or datetime.now(UTC)
    with store.connect() as conn:
        row = conn.execute(_SESSION_QUERY, {"token_hash": _hash(token)}).first()
        if row is None:
            return None
        expires = _utc(row.expires_at)
        last = _utc(row.created_at) + SESSION_LIFETIME
        if expires <= now or last <= now:
            return None
        groups = frozenset(
            int(g)
            for g in conn.execute(
                sa.select(group_members.c.group_id).where(group_members.c.org_id == row.org_id)
            ).scalars()
        )
    principal = Principal(
        actor=f"user:{row.username}",
        org_id=int(row.org_id),
        org_name=str(row.org_name),
        role=ApiRole(row.role),
        platform=False,
        group_ids=groups,
    )
    later = min(now + SESSION_IDLE, last)
    if later - expires >= _IDLE_STEP:
        _extend(store, int(row.id), later)
    return WebSession(principal, str(row.username), str(row.csrf_token))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _extend(store: Store, session_id: int, later: datetime) -> None:
    """Move the end of session SESSION_ID on to LATER (unless a request beside this one has
    moved it already). A store too busy to take the write does not refuse the request: the
    session is valid, and its next request tries again."""
    try:
        with store.begin() as conn:
            conn.execute(
                web_sessions.update()
                .where(web_sessions.c.id == session_id, web_sessions.c.expires_at < later)
                .values(expires_at=later)
            )
    except sa.exc.OperationalError:
        _log.warning("the end of a web session could not be moved on", exc_info=True)


def sign_out(store: Store, token: str | None) -> None:
    """End the session of cookie TOKEN (nothing happens for an unknown token)."""
    if not token:
        return
    _ensure_table(store)
    with store.begin() as conn:
        conn.execute(web_sessions.delete().where(web_sessions.c.token_hash == _hash(token)))


class SignInThrottle:
    """Failed sign-ins counted per username (any name, known or not: the answer must not tell
    which exist) and per client address: after LIMIT failures within WINDOW seconds, further
    attempts are refused until the oldest of them is WINDOW old. In memory, per process."""

    def __init__(self, limit: int = 10, per_address: int = 50, window: float = 900.0) -> None:
        self.limit, self.per_address, self.window = limit, per_address, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait(self, username: str, address: str, now: float | None = None) -> float:
        """Seconds before USERNAME may try again from ADDRESS (0 when it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [
                self._wait(key, limit, now)
                for key, limit in (
                    (_user_key(username), self.limit),
                    ("@" + address, self.per_address),
                )
            ]
        return max(waits)

    def attempt(self, username: str, address: str, now: float) -> float:
        """Seconds before USERNAME may try again from ADDRESS (0 when it may now); an attempt
        that may go on is counted as failed at once, under the lock, so that attempts sent side
        by side cannot all pass before the first of them has failed (`succeeded` takes the
        count back)."""
        with self._lock:
            wait = max(
                self._wait(_user_key(username), self.limit, now),
                self._wait("@" + address, self.per_address, now),
            )
            if not wait:
                self._count(username, address, now)
        return wait

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        """Count a failed sign-in of USERNAME from ADDRESS."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._count(username, address, now)

    def succeeded(self, username: str, address: str | None = None, at: float | None = None) -> None:
        """Forget USERNAME's failures (its address keeps its own, but for the attempt counted
        AT by `attempt`, which succeeded)."""
        with self._lock:
            self._failures.pop(_user_key(username), None)
            counted = self._failures.get("@" + address) if address is not None else None
            if counted and at in counted:
                counted.remove(at)

    def _count(self, username: str, address: str, now: float) -> None:
        if len(self._failures) > 100_000:  # bounded: forget the stale ones
            self._failures = {
                k: v for k, v in self._failures.items() if v and v[-1] > now - self.window
            }
        for key in (_user_key(username), "@" + address):
            self._failures.setdefault(key, []).append(now)

    def _wait(self, key: str, limit: int, now: float) -> float:
        recent = [t for t in self._failures.get(key, []) if t > now - self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        if len(recent) < limit:
            return 0.0
        return recent[-limit] + self.window - now


def _user_key(username: str) -> str:
    return "u:" + username.strip().lower()

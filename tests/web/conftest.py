"""A small partnership for the web pages: A owns the data, B must not see it, C shares the group
"mekong" with A (spec/security-tests.md); a user per organization, signed in through the form."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.accounts import add_user
from bigfish.linking.service import rebuild_networks
from bigfish.models import ApiRole
from bigfish.store import Store
from bigfish.store.schema_access import audit_log
from bigfish.web import data, freshness
from tests.api.helpers import Partnership, TestClient, build_partnership, report
from tests.polling import WAIT

PASSWORD = "correct horse battery staple"
XSS_NARRATIVE = '<script>alert("n")</script><img src=x onerror=alert(1)><svg onload=alert(2)>'
XSS_URL = "javascript:alert(document.cookie)"
XSS_DATA = "data:text/html,<script>alert(3)</script>"


@dataclass
class WebPartnership:
    """The API partnership plus signed-in browsers for A, B and C."""

    api: Partnership
    store: Store
    clients: dict[str, TestClient]
    private_network: int  # a network of A's private reports only


def try_sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Post the sign-in form as CLIENT (with the form's CSRF token); the answer."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token[1], "next": "/"},
        follow_redirects=False,
    )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign CLIENT in through the form (with the form's CSRF token)."""
    answer = try_sign_in(client, username, password)
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the signed-in CLIENT's forms."""
    page = client.get("/organizations")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return token[1]


def _seed(api: Partnership) -> None:
    # A's private ring: two reports sharing a phone; their narrative and URL are hostile.
    hostile = {"narrative": XSS_NARRATIVE, "urls": [XSS_URL, XSS_DATA]}
    api.submit(
        "A",
        [
            report("a-1", phone="+66811111111", **hostile),
            report("a-2", phone="+66811111111", handles=["telegram:<b>evil</b>"]),
        ],
    )
    # A and C share a ring through the group.
    api.submit(
        "A",
        [report("g-1", phone="+66822222222"), report("g-2", phone="+66822222222")],
        distribution="group",
        group="mekong",
    )
    # B's own ring, which A must not see either.
    api.submit(
        "B",
        [
            report("b-1", phone="+84912345678", country="VN"),
            report("b-2", phone="+84912345678", country="VN"),
        ],
    )


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts its own failed sign-ins (the throttle lives as long as the process)."""
    from bigfish.web import views
    from bigfish.web.session import SignInThrottle

    monkeypatch.setattr(views, "THROTTLE", SignInThrottle())


@pytest.fixture
def web(store: Store, fast_argon2: None) -> Iterator[WebPartnership]:
    """The partnership on each backend, with A (admin), B and C signed in."""
    for api in build_partnership(store):
        add_user(store, org="A", username="alice", password=PASSWORD, role=ApiRole.ADMIN)
        add_user(store, org="B", username="bob", password=PASSWORD, role=ApiRole.ANALYST)
        add_user(store, org="C", username="carol", password=PASSWORD, role=ApiRole.ANALYST)
        _seed(api)
        rebuild_networks(store)
        app = api.client.app
        clients = {}
        for who, user in (("A", "alice"), ("B", "bob"), ("C", "carol")):
            clients[who] = sign_in(TestClient(app), user)
        lookup = api.client.get(
            "/api/v1/lookup",
            params={"kind": "phone", "value": "+66811111111"},
            headers=api.headers("A"),
        ).json()
        assert lookup["networks"], lookup
        yield WebPartnership(api, store, clients, int(lookup["networks"][0]))
        freshness.settle()  # no refresh of page figures outlives its store
        for client in clients.values():
            client.close()


class Computations:
    """How often the overview and an organization's ranking were computed while a page waited
    (`page`) and by the refresh thread (`background`), which `hold` keeps waiting."""

    def __init__(self) -> None:
        self.page: Counter[str] = Counter()
        self.background: Counter[str] = Counter()
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        """Keep the refresh thread's computations waiting until `release`."""
        self._open.clear()

    def release(self) -> None:
        """Let the refresh thread compute."""
        self._open.set()

    def reset(self) -> None:
        """Count from zero."""
        self.page.clear()
        self.background.clear()

    def counting(self, kind: str, real: Callable[..., Any]) -> Callable[..., Any]:
        """REAL, counted as a computation of KIND."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread().name.startswith("bigfish-figures"):
                self.background[kind] += 1
                assert self._open.wait(timeout=WAIT)
            else:
                self.page[kind] += 1
            return real(*args, **kwargs)

        return wrapper


def wait_until(condition: Callable[[], bool]) -> None:
    """Wait (up to WAIT s) until CONDITION holds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Computations]:
    """The computations of the page figures, counted."""
    counts = Computations()
    monkeypatch.setattr(
        data, "overview_figures", counts.counting("overview", data.overview_figures)
    )
    monkeypatch.setattr(data, "network_stats", counts.counting("ranking", data.network_stats))
    yield counts
    counts.release()


AuditRow = tuple[str, str | None, str, str | None, int]


def audit_rows(web: WebPartnership, condition: Any) -> list[AuditRow]:
    """The audit rows matching CONDITION, in log order: actor, org, action, target, status."""
    with web.store.connect() as conn:
        rows = conn.execute(
            sa.select(
                audit_log.c.actor,
                audit_log.c.org,
                audit_log.c.action,
                audit_log.c.target,
                audit_log.c.status,
            )
            .where(condition)
            .order_by(audit_log.c.seq)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]

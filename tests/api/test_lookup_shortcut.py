"""`LookupShortcut` answers plain single lookups itself: every answer (status, headers, body) and
every audit row must be exactly the route's, for plain requests and for everything the shortcut
leaves to the route (bad or unknown parameters, missing, unknown, revoked or under-privileged
keys, the rate limit)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.accounts import revoke_key
from bigfish.api import ApiSettings, create_app
from bigfish.api.routes.lookup import LookupShortcut, plain_query
from bigfish.lookup import LookupQuery
from bigfish.models import Kind
from bigfish.store import Store
from bigfish.store.schema_access import api_keys
from tests.api.helpers import Partnership, TestClient, build_partnership, last_audit_row, report

LOOKUP = "/api/v1/lookup"


@pytest.fixture
def pair(store: Store) -> Iterator[tuple[Partnership, TestClient]]:
    """The partnership's client (shortcut on) and a client of the same node without it."""
    for partnership in build_partnership(store):
        partnership.submit("A", [report("a1")], distribution="group", group="mekong")
        partnership.submit("A", [report("a2", phone="+66811111111")])
        partnership.submit("B", [report("b1", phone="+66811111111")], distribution="partnership")
        partnership.submit("A", [report("a3", phone="+66822222222")], tlp="red")
        with TestClient(create_app(store, ApiSettings(lookup_shortcut=False))) as plain:
            yield partnership, plain


def _same_answer(
    partnership: Partnership, plain: TestClient, method: str, url: str, headers: dict[str, str]
) -> int:
    """Send the request to both apps; assert identical answers and audit rows; the status."""
    fast = partnership.client.request(method, url, headers=headers)
    fast_row = last_audit_row(partnership.store)
    slow = plain.request(method, url, headers=headers)
    slow_row = last_audit_row(partnership.store)
    assert fast.status_code == slow.status_code, url
    assert fast.headers.multi_items() == slow.headers.multi_items(), url
    assert fast.content == slow.content, url
    assert fast_row == slow_row, url
    return fast.status_code


QUERIES = [
    "kind=phone&value=%2B66812345678",
    "kind=phone&value=+66812345678",  # '+' is a space: not a valid number
    "kind=phone&value=0812345678&country=TH",
    "country=TH&value=081-234-5678&kind=phone",
    "kind=phone&value=%2B66811111111",
    "kind=phone&value=%2B66822222222",
    "kind=phone&value=%2B66899999999",
    "kind=phone&value=12",
    "kind=phone&value=abc",
    "kind=url&value=https%3A%2F%2Fexample.com%2Fpay",
    "kind=email&value=someone%40example.com",
    "kind=bank_account&value=123-456-789&country=TH",
    "kind=domain&value=%E0%B8%95%E0%B8%B1%E0%B8%A7.example",
    "kind=crypto_wallet&value=1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "kind=fax&value=1",
    "kind=PHONE&value=1",
    "kind=&value=1",
    "kind=phone",
    "kind=phone&value=",
    "value=1",
    "",
    "kind=phone&value=1&country=",
    "kind=phone&value=1&country=THA",
    "kind=phone&kind=url&value=1",
    "kind=phone&value=1&value=2",
    "kind=phone&value=1&foo=2",
    "kind=phone&value=1%00",
    "kind=phone&value=1&country=T%00",
    "kind=phone&value=" + "1" * 2000,
    "kind=phone&value=" + "1" * 2001,
    "kind=phone&value=%FF%FE",
    "kind=phone&value=1&",
    "&kind=phone&value=1",
    "kind=phone&value=1;country=TH",
]


def test_every_reader_gets_the_routes_answer(pair: tuple[Partnership, TestClient]) -> None:
    partnership, plain = pair
    statuses = set()
    for who in ("A", "B", "C", "A-readonly", "A-admin", "root"):
        for query in QUERIES:
            url = f"{LOOKUP}?{query}" if query else LOOKUP
            statuses.add(_same_answer(partnership, plain, "GET", url, partnership.headers(who)))
    assert {200, 400, 422} <= statuses


def test_refused_callers_get_the_routes_answer(pair: tuple[Partnership, TestClient]) -> None:
    partnership, plain = pair
    url = f"{LOOKUP}?kind=phone&value=%2B66812345678"
    key = partnership.keys["A"]
    basic = base64.b64encode(f"taxii:{key}".encode()).decode()
    cases = {
        "no key": ({}, 401),
        "unknown key": ({"Authorization": "Bearer bf_not-a-key"}, 401),
        "not a bigfish key": ({"Authorization": "Bearer x"}, 401),
        "empty bearer": ({"Authorization": "Bearer "}, 401),
        "other scheme": ({"Authorization": f"Token {key}"}, 401),
        "lower-case scheme": ({"Authorization": f"bearer {key}"}, 200),
        "basic": ({"Authorization": f"Basic {basic}"}, 200),
        "sync key": (partnership.headers("A-sync"), 403),
    }
    for name, (headers, status) in cases.items():
        assert _same_answer(partnership, plain, "GET", url, headers) == status, name
    for method in ("HEAD", "POST", "PUT"):
        _same_answer(partnership, plain, method, url, partnership.headers("A"))
    _same_answer(
        partnership, plain, "GET", f"{LOOKUP}/?kind=phone&value=1", partnership.headers("A")
    )


def test_a_revoked_key_is_refused_on_the_next_request(pair: tuple[Partnership, TestClient]) -> None:
    """Security class 11 through the shortcut: no cached principal outlives a revocation."""
    partnership, plain = pair
    url = f"{LOOKUP}?kind=phone&value=%2B66812345678"
    headers = partnership.headers("C")
    assert _same_answer(partnership, plain, "GET", url, headers) == 200
    with partnership.store.connect() as conn:
        ids = conn.execute(sa.select(api_keys.c.id).order_by(api_keys.c.id)).scalars().all()
    revoke_key(partnership.store, int(ids[list(partnership.keys).index("C")]))
    assert _same_answer(partnership, plain, "GET", url, headers) == 401


def test_the_rate_limit_answers_alike(store: Store) -> None:
    """Two requests pass, the third gets the route's 429 with the same Retry-After."""
    tight = ApiSettings(rate_limit_per_minute=60, rate_limit_burst=2)
    for partnership in build_partnership(store, tight):
        with TestClient(
            create_app(store, ApiSettings(**{**_fields(tight), "lookup_shortcut": False}))
        ) as plain:
            url = f"{LOOKUP}?kind=phone&value=%2B66812345678"
            statuses = [
                _same_answer(partnership, plain, "GET", url, partnership.headers("A"))
                for _ in range(3)
            ]
            assert statuses == [200, 200, 429]


def _fields(settings: ApiSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


def test_plain_queries_are_the_ones_the_route_accepts_as_they_stand() -> None:
    assert plain_query(b"kind=phone&value=%2B668") == LookupQuery(Kind.PHONE, "+668", None)
    assert plain_query(b"value=1&country=TH&kind=url") == LookupQuery(Kind.URL, "1", "TH")
    for refused in (
        b"",
        b"kind=phone",
        b"kind=phone&value=",
        b"kind=fax&value=1",
        b"kind=phone&value=1&country=",
        b"kind=phone&value=1&country=THA",
        b"kind=phone&kind=phone&value=1",
        b"kind=phone&value=1&limit=2",
        b"kind=phone&value=1%00",
        b"kind=phone&value=" + b"1" * 2001,
    ):
        assert plain_query(refused) is None, refused


def test_the_shortcut_answers_plain_lookups_without_the_route(
    sqlite_partnership: Partnership,
) -> None:
    """A plain lookup never reaches the app behind the shortcut; a refused key does."""
    app = sqlite_partnership.client.app
    reached: list[str] = []

    async def behind(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["query_string"].decode())
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    shortcut = LookupShortcut(behind)

    async def call(authorization: str) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": LOOKUP,
            "query_string": b"kind=phone&value=%2B66812345678",
            "headers": [(b"authorization", authorization.encode())],
            "app": app,
        }
        await shortcut(scope, receive, send)
        return int(sent[0]["status"])

    assert asyncio.run(call(f"Bearer {sqlite_partnership.keys['A']}")) == 200
    assert reached == []
    assert asyncio.run(call("Bearer bf_unknown")) == 418
    assert reached == ["kind=phone&value=%2B66812345678"]

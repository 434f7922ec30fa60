"""What anyone reaching the node's HTTP API can send it, over a real socket (uvicorn): a body
nested 100,000 deep, an integer of 5,000 digits, an endless body, a huge header. Each gets a 4xx
that says what was wrong; none gets a 500, and none makes the node keep more than the body
limit in memory."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bigfish.accounts import create_key
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from tests.interop.servers import bigfish_server
from tests.polling import WAIT


@dataclass(frozen=True, slots=True)
class Node:
    base: str
    key: str
    objects_url: str  # the caller's own TAXII collection, which takes POSTs

    def headers(self, media: str = "application/json") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Content-Type": media}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp: Path = tmp_path_factory.mktemp("hostile-api")
    store: Store = open_store(f"sqlite:///{tmp / 'node.db'}")
    add_org(store, "TH-AOC", country="TH")
    key = create_key(store, org="TH-AOC", role=ApiRole.ANALYST).secret
    with bigfish_server(store) as base:
        listing = httpx.get(
            f"{base}/taxii2/api/collections/",
            headers={"Authorization": f"Bearer {key}"},
            timeout=WAIT,
        ).json()
        own = next(c for c in listing["collections"] if c["can_write"])
        yield Node(base, key, f"{base}/taxii2/api/collections/{own['id']}/objects/")
    store.close()


TAXII = "application/taxii+json;version=2.1"
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE_INT = b"9" * 5000


def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text[:300]
    message: str = answer.json()["error"]["message"]
    return message


def test_a_taxii_envelope_nested_100000_deep_is_a_400(node: Node) -> None:
    """It was a RecursionError: 500 internal error."""
    body = b'{"objects": ' + DEEP + b"}"
    answer = httpx.post(node.objects_url, content=body, headers=node.headers(TAXII), timeout=WAIT)
    assert "nested" in _error(answer, 400)


def test_a_taxii_envelope_with_an_integer_of_5000_digits_is_a_400(node: Node) -> None:
    """json's integer limit is a ValueError, not a JSONDecodeError: it was a 500."""
    body = b'{"objects": [' + HUGE_INT + b"]}"
    answer = httpx.post(node.objects_url, content=body, headers=node.headers(TAXII), timeout=WAIT)
    assert "4300 digits" in _error(answer, 400)


def test_a_taxii_object_nested_just_below_the_parsers_limit_is_not_a_500(node: Node) -> None:
    report = {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--6a1b6c80-6f7e-4a5e-9a55-000000000001",
        "created": "2025-11-01T00:00:00.000Z",
        "modified": "2025-11-01T00:00:00.000Z",
        "name": "deep",
        "published": "2025-11-01T00:00:00.000Z",
        "object_refs": [],
        "x_deep": "@@",
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "report_id": "deep-1",
                "country": "TH",
                "attributes": {"deep": "@@"},
            }
        },
    }
    text = json.dumps({"objects": [report]}).encode()
    for depth in range(850, 1000, 10):
        body = text.replace(b'"@@"', b"[" * depth + b"]" * depth)
        answer = httpx.post(
            node.objects_url, content=body, headers=node.headers(TAXII), timeout=WAIT
        )
        assert answer.status_code in (202, 400), answer.text[:300]


@pytest.mark.parametrize(
    ("body", "why"),
    [(DEEP, "nested"), (b'{"identifiers": [' + HUGE_INT + b"]}", "4300 digits")],
    ids=["nested 100,000 deep", "an integer of 5000 digits"],
)
def test_an_api_body_that_python_cannot_read_says_why(node: Node, body: bytes, why: str) -> None:
    """FastAPI answered both "There was an error parsing the body", which the API turned into
    "the body is not JSON in UTF-8": wrong, and no help."""
    answer = httpx.post(
        f"{node.base}/api/v1/lookup", content=body, headers=node.headers(), timeout=WAIT
    )
    assert why in _error(answer, 400)


def _raw_post(base: str, path: str, head: bytes, body_chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """POST over a raw socket: HEAD's headers, then BODY_CHUNKS for as long as the server takes
    them; (the server's answer, body bytes sent)."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=WAIT) as sock:
        sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
        sock.settimeout(0.001)
        answer = b""
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
                sent += len(chunk)
            except (BlockingIOError, TimeoutError, OSError):
                break
            try:
                answer += sock.recv(65536)
            except (BlockingIOError, TimeoutError):
                continue
            except OSError:
                break
            if answer:
                break
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    return answer, sent


def _endless(total: int) -> Iterator[bytes]:
    chunk = b" " * 65536
    yield b"%x\r\n[\r\n" % 1
    for _ in range(total // len(chunk)):
        yield b"%x\r\n%s\r\n" % (len(chunk), chunk)


MiB = 1024 * 1024


def test_an_endless_chunked_post_is_a_413_and_is_not_kept(node: Node) -> None:
    auth = f"Authorization: Bearer {node.key}\r\n".encode()
    head = auth + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    path = node.objects_url.removeprefix(node.base)
    answer, sent = _raw_post(node.base, path, head, _endless(256 * MiB))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 128 * MiB  # the body limit is 32 MiB


def test_a_declared_1_gb_post_is_a_413_before_it_is_read(node: Node) -> None:
    auth = f"Authorization: Bearer {node.key}\r\n".encode()
    head = auth + b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n"
    answer, sent = _raw_post(node.base, "/api/v1/lookup", head, iter([b"[" * 65536] * 16))
    assert sent < 2 * MiB
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_huge_header_is_refused_and_the_server_goes_on(node: Node) -> None:
    with pytest.raises(httpx.HTTPError):  # uvicorn drops the connection; nothing is kept
        answer = httpx.get(f"{node.base}/api/v1/health", headers={"X-Big": "a" * (8 * MiB)})
        assert answer.status_code in (400, 431)
        raise httpx.HTTPError("answered")
    assert httpx.get(f"{node.base}/api/v1/health", timeout=WAIT).status_code == 200


def test_an_api_body_nested_just_below_the_parsers_limit_is_not_a_500(node: Node) -> None:
    for depth in range(850, 1000, 10):
        body = b'{"identifiers": [{"value": ' + b"[" * depth + b"]" * depth + b"}]}"
        answer = httpx.post(
            f"{node.base}/api/v1/lookup", content=body, headers=node.headers(), timeout=WAIT
        )
        assert answer.status_code in (400, 422), (depth, answer.text[:300])


@pytest.mark.parametrize(
    "params",
    [
        {"next": "!!!not-base64"},
        {"next": "A" * 60_000},
        {"next": "eyJhIjogMX0="},  # base64 of a JSON object that is no position
        {"added_after": "0001-01-01T00:00:00+01:00"},
        {"added_after": "9999-12-31T23:59:59-01:00"},
        {"added_after": "2025-11-01T00:00:00"},
        {"limit": "1" + "0" * 30},
        {"limit": "9" * 5000},
        {"limit": "-5"},
        {"match[id]": ",".join(f"report--{i}" for i in range(4000))},
        {"match[version]": "x" * 10_000},
    ],
)
def test_a_taxii_read_with_hostile_parameters_is_never_a_500(
    node: Node, params: dict[str, str]
) -> None:
    answer = httpx.get(
        node.objects_url,
        params=params,
        headers={"Authorization": f"Bearer {node.key}"},
        timeout=WAIT,
    )
    assert answer.status_code < 500, answer.text[:300]


def test_the_server_answers_others_while_an_envelope_is_read(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 32 MiB envelope takes about a second of CPU to read (strictly: every object's keys are
    checked in Python); read on the event loop, it held every other request of the worker."""
    from bigfish.api import strict
    from bigfish.interop import taxii

    reading, answered = threading.Event(), threading.Event()

    def slow_read(body: bytes | str) -> object:
        reading.set()
        answered.wait(2 * WAIT)  # the envelope is read until another request has been answered
        return strict.loads(body)

    monkeypatch.setattr(taxii, "strict_json", slow_read)
    with ThreadPoolExecutor(1) as pool:
        posted = pool.submit(
            httpx.post,
            node.objects_url,
            content=b'{"objects": []}',
            headers=node.headers(TAXII),
            timeout=3 * WAIT,
        )
        assert reading.wait(WAIT)
        try:
            health = httpx.get(f"{node.base}/api/v1/health", timeout=WAIT)
        except httpx.TimeoutException:
            health = None
        answered.set()
        assert posted.result(3 * WAIT).status_code == 202
    assert health is not None and health.status_code == 200


def test_the_public_checks_rate_buckets_do_not_grow_with_every_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One bucket per caller address, kept for good: an IPv6 network has 2**64 of them."""
    from bigfish.api import deps

    monkeypatch.setattr(deps.RateLimiter, "MAX_BUCKETS", 1000)
    limiter = deps.RateLimiter(per_minute=30, burst=10)
    for n in range(5000):
        assert limiter.retry_after(f"public:2001:db8::{n:x}") == 0
    assert len(limiter._buckets) <= 1000
    for _ in range(10):  # a caller that keeps asking is still limited
        limiter.retry_after("public:2001:db8::1:1")
    assert limiter.retry_after("public:2001:db8::1:1") > 0


@pytest.fixture
def head_timed_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """uvicorn as `bigfish serve` runs it (its HTTP protocol), HEAD_TIMEOUT 0.3 s, serving an
    app that answers after 1 s: a slow answer is no slow request head."""
    import asyncio

    from bigfish.cli import serve
    from tests.interop.servers import uvicorn_in_thread

    monkeypatch.setattr(serve, "HEAD_TIMEOUT", 0.3)

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(1.0)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    with uvicorn_in_thread(slow_app, lifespan="off", http="bigfish.cli.serve:BoundedH11") as port:
        yield port


def _closed_by_server(conn: socket.socket) -> bool:
    """Whether the server closes CONN (reads until it does, or 10 s pass without a byte)."""
    conn.settimeout(10)
    try:
        while conn.recv(4096):
            pass
    except TimeoutError:
        return False
    return True


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(head_timed_server: int) -> None:
    """uvicorn has no header timeout: a client trickling its request head (slowloris) held a
    connection for ever. `bigfish serve`'s protocol closes it; a slow answer is not cut off,
    and a kept-alive connection's next head has the same time."""
    with socket.create_connection(("127.0.0.1", head_timed_server)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        assert _closed_by_server(conn)
    with socket.create_connection(("127.0.0.1", head_timed_server)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(10)
        answer = b""
        while not answer.endswith(b"\r\n\r\nok"):
            piece = conn.recv(4096)
            assert piece, answer  # the server closed the connection before it answered
            answer += piece
        assert answer.startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET / HTTP/1.1\r\nHo")  # the next request's head, never finished
        assert _closed_by_server(conn)

"""Review (helper 102): where a webhook's POST may be redirected, the longest webhook URL, and
what a receiver deduplicates by.

A POST (an alert and its signature) follows only a 307 or 308, which by definition repeat the
method and the body; a 301, 302 or 303 is a failed delivery naming the status and where it
leads, so that an administrator registers the new URL. A GET (a TAXII pull) still follows them
all. Every alert a webhook receives carries its `id` inside the signed body: the same `id` each
time the alert goes out again (its report changed), another for another alert, and the one a
poll of `GET /api/v1/alerts` serves. The receivers are in memory; nothing reaches the network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bigfish.accounts import viewer_as
from bigfish.alerts import deliver_alerts, delivery, list_alerts
from bigfish.api.schemas import WebhookIn
from bigfish.errors import InputError, PeerError
from bigfish.intake import ingest_file
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_access import webhooks
from bigfish.webhooks import (
    MAX_URL_LENGTH,
    add_webhook,
    deliver,
    guarded_request,
    list_webhooks,
    remove_webhook,
    sign,
)
from tests.api.helpers import Partnership, build_partnership
from tests.intake.conftest import csv_text, row
from tests.webhook_capture import PUBLIC_ADDRESS, catch_webhooks

SECRET = "5" * 64
BODY = b'{"alerts": [{"id": "7-3"}]}'
HOOK = "https://hooks.example/b"
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
PHONE = "081-234-5678"


def _resolve(host: str, port: int) -> list[str]:
    """Every name public, except inside.example."""
    return ["10.0.0.7"] if host == "inside.example" else [PUBLIC_ADDRESS]


def _moved(status: int, location: str, seen: list[httpx.Request]) -> httpx.MockTransport:
    """A receiver that answers STATUS with LOCATION at /b, 204 anywhere else; keeps SEEN."""

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if request.url.path == "/b":
            return httpx.Response(status, headers={"Location": location})
        return httpx.Response(204)

    return httpx.MockTransport(answer)


# --- 1. a webhook's POST follows only 307 and 308 ----------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_webhook_moved_by_301_302_or_303_is_a_failed_delivery_naming_where(status: int) -> None:
    """Before: a 301/302 re-POSTed the alert to the new location (somewhere the organization
    never registered) and a 303 turned it into a GET that carried no alert; both counted as
    delivered (204)."""
    seen: list[httpx.Request] = []
    moved_to = "https://elsewhere.example/new/b?token=t0ps3cret"
    with pytest.raises(PeerError) as caught:
        deliver(HOOK, SECRET, BODY, [], transport=_moved(status, moved_to, seen), resolver=_resolve)
    message = str(caught.value)
    assert f"answered {status} to a POST" in message
    assert "https://elsewhere.example/new/b?…" in message  # where to: the registered URL's fix
    assert "t0ps3cret" not in message and SECRET not in message
    assert [(r.method, str(r.url.path)) for r in seen] == [("POST", "/b")]  # nothing sent on


@pytest.mark.parametrize("status", [307, 308])
def test_a_307_or_308_repeats_the_post_its_body_and_its_signature(status: int) -> None:
    seen: list[httpx.Request] = []
    done = deliver(
        HOOK, SECRET, BODY, [], transport=_moved(status, "/moved", seen), resolver=_resolve
    )
    assert done == 204
    assert [(r.method, str(r.url.path), r.content) for r in seen] == [
        ("POST", "/b", BODY),
        ("POST", "/moved", BODY),
    ]
    first, second = (
        (r.headers["X-Bigfish-Timestamp"], r.headers["X-Bigfish-Signature"]) for r in seen
    )
    assert first == second and first[1] == sign(SECRET, first[0], BODY)


def test_a_307_to_an_internal_address_is_refused_and_nothing_goes_there() -> None:
    seen: list[httpx.Request] = []
    transport = _moved(307, "http://inside.example/admin", seen)
    with pytest.raises(PeerError, match=r"internal address 10\.0\.0\.7"):
        deliver(HOOK, SECRET, BODY, [], transport=transport, resolver=_resolve)
    assert [str(r.url.path) for r in seen] == ["/b"]


def test_a_post_redirected_to_another_origin_goes_without_credentials() -> None:
    seen: list[httpx.Request] = []
    guarded_request(
        "POST",
        HOOK,
        [],
        content=BODY,
        headers={"Authorization": "Bearer bf_secret", "X-Bigfish-Signature": "sha256=00"},
        transport=_moved(308, "https://other.example/b2", seen),
        resolver=_resolve,
    )
    assert [("authorization" in r.headers, "x-bigfish-signature" in r.headers) for r in seen] == [
        (True, True),
        (False, True),
    ]
    assert seen[1].headers["host"] == "other.example" and seen[1].content == BODY


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_get_follows_every_redirect(status: int) -> None:
    """TAXII pulls keep following a collection that moved."""
    seen: list[httpx.Request] = []
    answer = guarded_request(
        "GET", HOOK, [], transport=_moved(status, "/taxii2/", seen), resolver=_resolve
    )
    assert answer.status_code == 204
    assert [(r.method, str(r.url.path)) for r in seen] == [("GET", "/b"), ("GET", "/taxii2/")]


def test_a_long_location_is_cut_in_the_error() -> None:
    long_path = "/" + "x" * 5000
    with pytest.raises(PeerError) as caught:
        deliver(HOOK, SECRET, BODY, [], transport=_moved(301, long_path, []), resolver=_resolve)
    assert "https://hooks.example/xxx" in str(caught.value)
    assert len(str(caught.value)) < 400 and "x" * 300 not in str(caught.value)


def test_a_moved_webhook_is_counted_failed_and_named_by_its_organization(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = _Node(sqlite_store, tmp_path)
    node.report("B", "b1")
    node.hook("B", HOOK)

    def moved(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/b":
            return httpx.Response(301, headers={"Location": "https://hooks.example/v2/b"})
        return httpx.Response(204)

    caught = catch_webhooks(monkeypatch, moved)
    done = deliver_alerts(sqlite_store, node.report("A", "a1"))
    assert (done.delivered, done.failed) == (0, 1)
    assert len(done.problems) == 1
    assert done.problems[0].startswith("organization B: https://hooks.example:443 answered 301")
    assert "https://hooks.example/v2/b" in done.problems[0]
    assert [str(r.url.path) for r in caught.requests] == ["/b"]


# --- 2. the longest webhook URL: one limit, in the library --------------------------------------


def test_a_webhook_url_longer_than_the_limit_is_refused_by_the_library(sqlite_store: Store) -> None:
    add_org(sqlite_store, "B", country="TH")
    org_id = _org_id(sqlite_store, "B")
    longest = HOOK + "/" + "a" * (MAX_URL_LENGTH - len(HOOK) - 1)
    assert len(longest) == MAX_URL_LENGTH
    with pytest.raises(InputError) as caught:
        add_webhook(sqlite_store, org_id, longest + "a")
    assert caught.value.field == "url" and f"longer than {MAX_URL_LENGTH}" in str(caught.value)
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhooks)).scalar_one() == 0
    hook, _ = add_webhook(sqlite_store, org_id, longest)
    assert hook.url == longest


@pytest.fixture
def partnership(sqlite_store: Store) -> Iterator[Partnership]:
    """A, B, C and their keys, with an in-process API client (`tests.api.helpers`)."""
    yield from build_partnership(sqlite_store)


def test_the_api_refuses_a_webhook_url_past_the_same_limit(partnership: Partnership) -> None:
    p = partnership
    limit = [
        m.max_length for m in WebhookIn.model_fields["url"].metadata if hasattr(m, "max_length")
    ]
    assert limit == [MAX_URL_LENGTH]
    longest = HOOK + "/" + "a" * (MAX_URL_LENGTH - len(HOOK) - 1)
    refused = p.client.post(
        "/api/v1/webhooks", json={"url": longest + "a"}, headers=p.headers("B-admin")
    )
    assert refused.status_code == 422 and "url" in refused.text
    made = p.client.post("/api/v1/webhooks", json={"url": longest}, headers=p.headers("B-admin"))
    assert made.status_code == 201, made.text


# --- 3. what a receiver deduplicates by --------------------------------------------------------


class _Node:
    """A, B and C on one store; each report mentions PHONE, shared with the partnership."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store, self.folder, self.files = store, folder, 0
        for org in ("A", "B", "C"):
            add_org(store, org, country="TH")

    def report(self, org: str, *report_ids: str, **fields: str) -> list[int]:
        """ORG's reports REPORT_IDS of PHONE (stored, or replaced when FIELDS change them); pks."""
        self.files += 1
        path = self.folder / f"{org}-{self.files}.csv"
        rows = [row(report_id, phones=PHONE, **fields) for report_id in report_ids]
        path.write_text(csv_text(rows), encoding="utf-8")
        result = ingest_file(self.store, path, org=org, marking=SHARED, classify=False)
        assert result.rejected == 0
        with self.store.connect() as conn:
            return [
                int(pk)
                for pk in conn.execute(
                    sa.select(reports.c.id)
                    .join(organizations, organizations.c.id == reports.c.org_id)
                    .where(organizations.c.name == org, reports.c.report_id.in_(report_ids))
                    .order_by(reports.c.id)
                ).scalars()
            ]

    def hook(self, org: str, url: str) -> str:
        """URL added as ORG's webhook; its secret."""
        return add_webhook(self.store, _org_id(self.store, org), url)[1]


def _org_id(store: Store, name: str) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(
                sa.select(organizations.c.id).where(organizations.c.name == name)
            ).scalar_one()
        )


def _verified(request: httpx.Request, secret: str) -> list[dict[str, Any]]:
    """The alerts of a delivery whose signature, over its timestamp and body, holds."""
    timestamp = request.headers["X-Bigfish-Timestamp"]
    expected = (
        "sha256="
        + hmac.new(
            secret.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256
        ).hexdigest()
    )
    assert hmac.compare_digest(request.headers["X-Bigfish-Signature"], expected)
    alerts: list[dict[str, Any]] = json.loads(request.content)["alerts"]
    return alerts


def test_an_alert_sent_again_carries_the_same_signed_id_and_another_alert_another(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = _Node(sqlite_store, tmp_path)
    node.report("B", "b1")
    secret = node.hook("B", HOOK)
    caught = catch_webhooks(monkeypatch)

    first = deliver_alerts(sqlite_store, node.report("A", "a1"))
    again = deliver_alerts(sqlite_store, node.report("A", "a1", narrative="called again"))
    other = deliver_alerts(sqlite_store, node.report("A", "a2"))
    assert (first.delivered, again.delivered, other.delivered) == (1, 1, 1)
    sent = [_verified(r, secret) for r in caught.requests]
    assert [len(alerts) for alerts in sent] == [1, 1, 1]
    (a1,), (a1_again,), (a2,) = sent
    assert a1_again["report"]["report_id"] == a1["report"]["report_id"] == "a1"
    assert a1_again["id"] == a1["id"]  # the receiver keeps what it got by id
    assert a1_again["created_at"] > a1["created_at"]  # dated again: its report changed
    assert a2["id"] != a1["id"]
    polled = {
        a.report_id: a.id for a in list_alerts(sqlite_store, viewer_as(sqlite_store, "B")).alerts
    }
    assert polled == {"a1": a1["id"], "a2": a2["id"]}  # the ids a poll serves


def test_an_alert_sent_again_is_signed_when_sent_with_the_same_id() -> None:
    """A receiver refusing old timestamps takes an alert sent again: each delivery is signed at
    the time it goes out (not when its alert was first sent), and its alerts keep their ids."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(204)

    for now in (1_760_000_000.4, 1_760_086_400.9):  # a day apart
        deliver(
            HOOK,
            SECRET,
            BODY,
            [],
            transport=httpx.MockTransport(answer),
            resolver=_resolve,
            clock=lambda now=now: now,
        )
    assert [r.headers["X-Bigfish-Timestamp"] for r in seen] == ["1760000000", "1760086400"]
    assert [_verified(r, SECRET)[0]["id"] for r in seen] == ["7-3", "7-3"]


# --- 4. a webhook removed while its alerts go out ---------------------------------------------


def test_a_webhook_removed_after_a_delivery_is_sent_no_more(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a job read its webhooks once and sent every delivery of the round (up to 10,000
    reports' alerts) to a URL its organization had removed meanwhile."""
    monkeypatch.setattr(delivery, "MAX_ALERTS_PER_DELIVERY", 1)
    node = _Node(sqlite_store, tmp_path)
    node.report("B", "b1")
    node.hook("B", HOOK)
    (hook,) = list_webhooks(sqlite_store, _org_id(sqlite_store, "B"))

    def removed_once_answered(request: httpx.Request) -> httpx.Response:
        remove_webhook(sqlite_store, hook.org_id, hook.id)  # the admin's DELETE, meanwhile
        return httpx.Response(204)

    caught = catch_webhooks(monkeypatch, removed_once_answered)
    done = deliver_alerts(sqlite_store, node.report("A", "a1", "a2", "a3"))
    assert len(caught.requests) == 1  # of 3 deliveries, one alert each
    assert (done.delivered, done.failed, done.problems) == (1, 0, ())


def test_a_webhook_removed_before_its_turn_is_sent_nothing_and_others_are(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two webhooks, delivered to on two threads; one is removed once the jobs are read, and
    another registration may since have taken its id (SQLite gives a removed last row's id
    again): the one registered now gets nothing meant for the one removed."""
    node = _Node(sqlite_store, tmp_path)
    node.report("B", "b1")
    node.hook("B", HOOK)
    node.hook("B", "https://hooks.example/gone")
    org_id = _org_id(sqlite_store, "B")
    gone = list_webhooks(sqlite_store, org_id)[1]
    read_peers = delivery.list_allowed_peers

    def removed_meanwhile(store: Store) -> list[tuple[str, str | None]]:
        remove_webhook(store, org_id, gone.id)
        with store.begin() as conn:  # the same id, registered again with another secret
            conn.execute(
                webhooks.insert().values(
                    id=gone.id,
                    org_id=org_id,
                    url="https://hooks.example/gone",
                    secret="0" * 64,
                    created_at=sa.func.now(),
                )
            )
        return read_peers(store)

    monkeypatch.setattr(delivery, "list_allowed_peers", removed_meanwhile)
    caught = catch_webhooks(monkeypatch)
    done = deliver_alerts(sqlite_store, node.report("A", "a1"))
    assert [str(r.url.path) for r in caught.requests] == ["/b"]
    assert (done.delivered, done.failed) == (1, 0)

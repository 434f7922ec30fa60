"""HMAC-signed webhooks, and the peers an administrator allowed on internal addresses.

A webhook delivery is a POST of JSON with ``X-Bigfish-Timestamp`` and
``X-Bigfish-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``. It goes
through the address guard (`bigfish.outgoing`), ends within `DELIVERY_DEADLINE` seconds whatever
the receiver does (a receiver that answers one byte at a time would otherwise hold one of the
few delivery threads as long as it likes), and never reads the receiver's body. It follows a
307 or 308 (the same POST, signature and all, to an address checked again); a 301, 302 or 303
is a failed delivery naming where it leads, for an administrator to register the new URL.
Each alert in the body carries its ``id``, the same every time that alert goes out (and in
``GET /api/v1/alerts``): what a receiver deduplicates by, inside what the signature covers.

The guard's names (`check_outgoing_url`, `guarded_request`, `origin_of`, …) are importable from
here as they were before they moved to `bigfish.outgoing`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from bigfish.errors import InputError, NotFound, PeerError, check_text
from bigfish.outgoing import (
    AnswerTooLarge,
    DeadlineTransport,
    OutgoingTarget,
    Resolver,
    check_outgoing_url,
    guarded_request,
    is_internal,
    origin_of,
    sendable_url,
    system_resolver,
)
from bigfish.store import Store
from bigfish.store.schema_access import allowed_peers, webhooks

#: Seconds a webhook delivery may take in all (connect, TLS, redirects, the answer's head).
DELIVERY_DEADLINE = 30.0

#: Seconds a webhook's receiver may stay silent: to connect, and between the bytes it sends.
DELIVERY_READ_TIMEOUT = 10.0

#: The longest webhook URL kept (the `webhooks.url` column); the API's limit too.
MAX_URL_LENGTH = 2000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value of a webhook delivery."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliver(
    url: str,
    secret: str,
    body: bytes,
    allowed: Iterable[str],
    *,
    transport: httpx.BaseTransport | None = None,
    resolver: Resolver | None = None,
    deadline: float = DELIVERY_DEADLINE,
    clock: Callable[[], float] = time.time,
) -> int:
    """POST BODY to URL, signed with SECRET and the time of sending (CLOCK, in seconds since
    the epoch); returns the HTTP status (PeerError when refused or when it takes more than
    DEADLINE seconds in all). A 301, 302 or 303 answer is a PeerError naming where it leads:
    the alerts go on only through a 307 or 308, which repeat the POST, signature included.
    A timeout names the limit it hit, in the words a sync pull uses: ``no answer within 10 s``
    (DELIVERY_READ_TIMEOUT), ``no whole answer within 30 s`` (DEADLINE)."""
    timestamp = str(int(clock()))
    headers = {
        "Content-Type": "application/json",
        "X-Bigfish-Timestamp": timestamp,
        "X-Bigfish-Signature": sign(secret, timestamp, body),
    }
    ends = time.monotonic() + deadline
    try:
        response = guarded_request(
            "POST",
            url,
            allowed,
            content=body,
            headers=headers,
            transport=transport or DeadlineTransport(ends),
            resolver=resolver,
            timeout=DELIVERY_READ_TIMEOUT,
            read_body=False,  # only the status counts; a receiver's body is never read
            ends=ends,  # the name's lookup included: a stuck resolver holds no thread longer
        )
    except httpx.TimeoutException:
        limit = (
            f"no answer within {DELIVERY_READ_TIMEOUT:g} s"
            if time.monotonic() < ends
            else f"no whole answer within {deadline:g} s"
        )
        raise PeerError(f"webhook delivery to {origin_of(url)} failed: {limit}") from None
    except httpx.HTTPError as exc:
        raise PeerError(
            f"webhook delivery to {origin_of(url)} failed: {type(exc).__name__}"
        ) from None
    return response.status_code


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where an organization's alerts go."""

    id: int
    org_id: int
    url: str


def add_webhook(store: Store, org_id: int, url: str) -> tuple[Webhook, str]:
    """Register URL for ORG_ID's alerts; returns it and its signing secret (shown once). A URL
    whose host is written as an internal address (or localhost) is refused here unless an
    administrator allowed its origin; names are resolved, and checked, at each delivery. A URL
    longer than MAX_URL_LENGTH is an InputError naming the field ``url``."""
    if len(url.strip()) > MAX_URL_LENGTH:
        raise InputError(f"url is longer than {MAX_URL_LENGTH} characters", field="url")
    origin = origin_of(url)
    try:
        sent_to = sendable_url(url.strip()).host
    except PeerError:
        raise InputError(
            f"{origin}: the URL holds a character it cannot be sent with", field="url"
        ) from None
    host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    # the host as written, and as a delivery's URL reads it (``127。0。0。1`` is 127.0.0.1)
    literals = {_written_address(name) for name in (host, sent_to.lower().rstrip("."))}
    if any(literal and is_internal(literal) for literal in literals):
        allowed = {peer for peer, _ in list_allowed_peers(store)}
        if origin not in allowed:
            raise InputError(
                f"{origin} is an internal address; an administrator must allow this exact peer",
                field="url",
            )
    secret = secrets.token_hex(32)
    with store.begin() as conn:
        hook_id = conn.execute(
            webhooks.insert()
            .values(org_id=org_id, url=url.strip(), secret=secret, created_at=datetime.now(UTC))
            .returning(webhooks.c.id)
        ).scalar_one()
    return Webhook(int(hook_id), org_id, url.strip()), secret


def _written_address(host: str) -> str:
    """The address HOST is written as, "" for a name: an IP address in the standard form, in
    one of the forms the system's resolver reads as IPv4 (``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``, ``127.1``: the same address, refused like it), or localhost."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host == "localhost":
        return "127.0.0.1"
    if host and all(part.isalnum() for part in host.split(".")):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:  # a name
            pass
    return ""


def list_webhooks(store: Store, org_id: int) -> list[Webhook]:
    """ORG_ID's webhooks (without their secrets)."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(webhooks.c.id, webhooks.c.org_id, webhooks.c.url)
            .where(webhooks.c.org_id == org_id)
            .order_by(webhooks.c.id)
        ).all()
    return [Webhook(int(r.id), int(r.org_id), str(r.url)) for r in rows]


def remove_webhook(store: Store, org_id: int, hook_id: int) -> None:
    """Remove one of ORG_ID's webhooks (another organization's is not found)."""
    with store.begin() as conn:
        done = conn.execute(
            webhooks.delete().where(webhooks.c.id == hook_id, webhooks.c.org_id == org_id)
        )
        if done.rowcount == 0:
            raise NotFound("webhook", str(hook_id))


def webhook_secrets(store: Store, org_id: int) -> list[tuple[str, str]]:
    """(url, secret) of ORG_ID's webhooks in the order they were added, for delivery only."""
    return [(url, secret) for _, url, secret in delivery_targets(store, org_id)]


def delivery_targets(store: Store, org_id: int) -> list[tuple[int, str, str]]:
    """(id, url, secret) of ORG_ID's webhooks in the order they were added, for delivery only."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(webhooks.c.id, webhooks.c.url, webhooks.c.secret)
            .where(webhooks.c.org_id == org_id)
            .order_by(webhooks.c.id)
        ).all()
    return [(int(r.id), str(r.url), str(r.secret)) for r in rows]


def still_registered(store: Store, hook_id: int, secret: str) -> bool:
    """Whether webhook HOOK_ID is still registered with SECRET (not removed, and its id not
    taken since by another registration: SQLite may give a removed row's id again)."""
    with store.connect() as conn:
        found = conn.execute(
            sa.select(webhooks.c.secret).where(webhooks.c.id == hook_id)
        ).scalar_one_or_none()
    return found is not None and hmac.compare_digest(str(found), secret)


#: The longest origin and note an allowance keeps (the columns of `allowed_peers`).
_PEER_LIMITS = {"origin": 300, "note": 500}


def allow_peer(store: Store, origin: str, note: str | None = None) -> str:
    """Allow outgoing calls to ORIGIN even though it is internal (an administrator's decision).
    An origin no call could be sent to (a control character in its host), or a note with a NUL
    or longer than the store keeps, is an InputError naming the field (they failed in
    PostgreSQL, with its own error, and SQLite kept them)."""
    exact = origin_of(origin)
    try:
        sendable_url(exact)
    except PeerError:
        raise InputError(
            "the origin holds a character no call can be sent with", field="origin"
        ) from None
    check_text(note, "note")
    for field, value in (("origin", exact), ("note", note)):
        if value is not None and len(value) > _PEER_LIMITS[field]:
            raise InputError(
                f"{field} is longer than {_PEER_LIMITS[field]} characters", field=field
            )
    with store.begin() as conn:
        if (
            conn.execute(
                sa.select(allowed_peers.c.origin).where(allowed_peers.c.origin == exact)
            ).first()
            is None
        ):
            conn.execute(
                allowed_peers.insert().values(origin=exact, note=note, created_at=datetime.now(UTC))
            )
    return exact


def list_allowed_peers(store: Store) -> list[tuple[str, str | None]]:
    """Every allowed (origin, note)."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(allowed_peers.c.origin, allowed_peers.c.note).order_by(allowed_peers.c.origin)
        ).all()
    return [(str(r.origin), r.note) for r in rows]


__all__ = [
    "DELIVERY_DEADLINE",
    "MAX_URL_LENGTH",
    "AnswerTooLarge",
    "DeadlineTransport",
    "OutgoingTarget",
    "Resolver",
    "Webhook",
    "add_webhook",
    "allow_peer",
    "check_outgoing_url",
    "deliver",
    "delivery_targets",
    "guarded_request",
    "is_internal",
    "list_allowed_peers",
    "list_webhooks",
    "origin_of",
    "remove_webhook",
    "sign",
    "still_registered",
    "system_resolver",
    "webhook_secrets",
]

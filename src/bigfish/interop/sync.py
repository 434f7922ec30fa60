"""`bigfish sync pull`: pull a peer's TAXII 2.1 collections into this node, accounted and resumable.

Each page is stored and the peer's position (`next`, then `added_after`) advanced in one
transaction, so a pull killed at any point resumes where its last committed page ended and a
re-pull stores nothing twice (reports keep their STIX id and version). Every page ends with
received = stored + rejected; each rejection is kept with the object's id and a reason
(`sync_rejections`). Outgoing requests go through `bigfish.webhooks.guarded_request`: loopback,
link-local and private addresses are refused unless an administrator allowed that exact peer.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigfish.errors import InputError, PeerError
from bigfish.interop.feed import parse_time
from bigfish.interop.importer import import_objects
from bigfish.interop.stix import timestamp
from bigfish.store import Store
from bigfish.store.schema_interop import sync_rejections, sync_runs, sync_state
from bigfish.store.writes import IdentifierIds
from bigfish.webhooks import guarded_request, list_allowed_peers, origin_of

TAXII = "application/taxii+json;version=2.1"
#: Objects stored while a pull was reading may carry an earlier date_added; re-read this much.
OVERLAP = timedelta(minutes=2)

Progress = Callable[[int], None]  # objects received so far


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one pull did: received = stored + rejected (stored = new + updated + unchanged +
    withdrawn + supporting objects)."""

    peer: str
    run_id: int
    collections: int
    received: int
    stored: int
    rejected: int
    new: int
    updated: int
    unchanged: int
    withdrawn: int = 0  # copies deleted because the peer revoked their report


class _Peer:
    """HTTP to one peer: the key as a bearer token (or as a Basic password), through the guard,
    and only to the peer's own origin (an API root listed elsewhere gets no key, as a redirect
    elsewhere does not: `bigfish.webhooks.guarded_request`)."""

    def __init__(
        self,
        store: Store,
        peer_url: str,
        key: str,
        *,
        basic_user: str | None,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.origin = origin_of(peer_url)
        if basic_user is not None:
            token = base64.b64encode(f"{basic_user}:{key}".encode()).decode()
            self.auth = f"Basic {token}"
        else:
            self.auth = f"Bearer {key}"
        self.allowed = [origin for origin, _ in list_allowed_peers(store)]
        self.transport = transport

    def get(
        self, url: str, params: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], httpx.Headers]:
        full = url + ("?" + urlencode(params) if params else "")
        headers = {"Accept": TAXII}
        if origin_of(url) == self.origin:
            headers["Authorization"] = self.auth
        try:
            response = guarded_request(
                "GET", full, self.allowed, headers=headers, transport=self.transport, timeout=120.0
            )
        except httpx.HTTPError as exc:
            raise PeerError(f"{urlsplit(url).netloc}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise PeerError(f"{url} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise PeerError(f"{url} did not answer JSON") from None
        if not isinstance(body, dict):
            raise PeerError(f"{url} did not answer a JSON object")
        return body, response.headers


def _api_roots(peer: _Peer, url: str) -> list[str]:
    try:
        body, _ = peer.get(url)
    except PeerError as exc:
        if "taxii" in urlsplit(url).path.lower():
            raise
        raise PeerError(  # the node's address, as `org add --node` takes it, say
            f"{exc}: give the peer's TAXII address (a bigfish node serves it at /taxii2/)"
        ) from None
    if "api_roots" in body:
        return [urljoin(url, str(r)) for r in body.get("api_roots") or []]
    return [url]  # URL was an API root itself


def _state(store: Store, peer_url: str, collection: str) -> tuple[str | None, str | None]:
    with store.connect() as conn:
        row = conn.execute(
            sa.select(sync_state.c.added_after, sync_state.c.next_token).where(
                sync_state.c.peer == peer_url, sync_state.c.collection == collection
            )
        ).first()
    return (row.added_after, row.next_token) if row else (None, None)


def _save_state(
    conn: sa.Connection,
    peer_url: str,
    collection: str,
    added_after: str | None,
    next_token: str | None,
) -> None:
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(sync_state)
    values = {"added_after": added_after, "next_token": next_token, "updated_at": datetime.now(UTC)}
    conn.execute(
        insert.values(peer=peer_url, collection=collection, **values).on_conflict_do_update(
            index_elements=["peer", "collection"], set_=values
        )
    )


def _newest(headers: httpx.Headers, current: str | None) -> str | None:
    stamps = [current] if current else []
    for name in ("X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"):
        if name in headers:
            stamps.append(headers[name])
    parsed = [t for t in (_time_or_none(s) for s in stamps) if t is not None]
    return timestamp(max(parsed)) if parsed else current


def _time_or_none(text: str) -> datetime | None:
    try:
        return parse_time(text, "date_added")
    except InputError:  # a peer's malformed header is ignored, never fatal
        return None


class _Run:
    """The accounting of one pull, committed page by page with the pages."""

    def __init__(self, store: Store, peer_url: str) -> None:
        with store.begin() as conn:
            self.id = int(
                conn.execute(
                    sync_runs.insert()
                    .values(peer=peer_url, started_at=datetime.now(UTC))
                    .returning(sync_runs.c.id)
                ).scalar_one()
            )
        self.received = self.stored = self.rejected = self.new = self.updated = self.unchanged = 0
        self.withdrawn = 0

    def record(self, conn: sa.Connection, outcome: Any) -> None:
        self.received += outcome.received
        self.stored += outcome.stored
        self.rejected += outcome.rejected
        self.new += outcome.new
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.withdrawn += outcome.withdrawn
        if outcome.rejections:
            conn.execute(
                sync_rejections.insert(),
                [
                    {"run_id": self.id, "object_id": (i or "")[:200], "reason": r[:1000]}
                    for i, r in outcome.rejections
                ],
            )
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.id == self.id)
            .values(received=self.received, stored=self.stored, rejected=self.rejected)
        )


def _fingerprint(objects: list[Any]) -> str:
    """What a page holds, as the ids and versions of its objects."""
    keys = [
        f"{o.get('id')}|{o.get('modified')}" if isinstance(o, dict) else repr(o)[:200]
        for o in objects
    ]
    return hashlib.sha256("\n".join(keys).encode("utf-8", "backslashreplace")).hexdigest()


def _pull_collection(
    store: Store,
    peer: _Peer,
    run: _Run,
    peer_url: str,
    url: str,
    collection: str,
    *,
    default_org: str,
    page: int,
    ids: IdentifierIds,
    progress: Progress | None,
    from_start: bool = False,
) -> None:
    added_after, next_token = (None, None) if from_start else _state(store, peer_url, collection)
    since = added_after
    if since and not next_token:
        since = timestamp(parse_time(since, "added_after") - OVERLAP)
    newest = added_after
    # (token asked, token answered, objects answered) of every page: a peer answering the same
    # page again for the same token makes no progress (medallion reuses a token page after page)
    answered: set[tuple[str | None, str | None, str]] = set()
    restarted = False
    while True:
        params = {"limit": str(page)}
        if since:
            params["added_after"] = since
        if next_token:
            params["next"] = next_token
        try:
            body, headers = peer.get(url, params)
        except PeerError:
            if not next_token or restarted:
                raise
            # an expired token (medallion's are): restart from added_after, once
            next_token, restarted = None, True
            answered.clear()
            continue
        objects = body.get("objects") or []
        if not isinstance(objects, list):
            raise PeerError(f"{url} answered objects that are not a list")
        newest = _newest(headers, newest)
        more = bool(body.get("more")) and bool(body.get("next"))
        asked, next_token = next_token, str(body["next"]) if more else None
        page_key = (asked, next_token, _fingerprint(objects))
        if more and page_key in answered:
            raise PeerError(
                f"{url} answers the same page again for next token {str(asked)[:40]!r} "
                "(more: true, no progress): the pull would never end"
            )
        answered.add(page_key)
        with store.begin() as conn:
            outcome = import_objects(conn, objects, peer=peer_url, default_org=default_org, ids=ids)
            run.record(conn, outcome)
            _save_state(conn, peer_url, collection, added_after if more else newest, next_token)
        if progress is not None:
            progress(run.received)
        if not more:
            return


def default_org_for(peer_url: str) -> str:
    """The organization that holds a peer's reports that name none: `peer-HOST-PORT`."""
    parts = urlsplit(peer_url)
    return f"peer-{parts.hostname}-{parts.port or (443 if parts.scheme == 'https' else 80)}"


def pull(
    store: Store,
    peer_url: str,
    key: str,
    *,
    default_org: str | None = None,
    basic_user: str | None = None,
    page: int = 1000,
    transport: httpx.BaseTransport | None = None,
    progress: Progress | None = None,
    from_start: bool = False,
) -> SyncResult:
    """Pull every collection PEER_URL (a TAXII discovery URL or API root) lets KEY read.
    FROM_START: every object of every collection, not only those added since the last pull
    (what is held unchanged counts as unchanged): after this node's organization rejoined a
    group, say, whose reports it deleted when it left."""
    # InputError naming the URL (a port above 65535, an unclosed [) before anything is sent
    peer = _Peer(store, peer_url, key, basic_user=basic_user, transport=transport)
    peer_url = peer_url if peer_url.endswith("/") else peer_url + "/"
    org = default_org or default_org_for(peer_url)
    run = _Run(store, peer_url)
    ids = IdentifierIds()
    count = 0
    for root in _api_roots(peer, peer_url):
        listing, _ = peer.get(urljoin(root, "collections/"))
        for info in listing.get("collections") or []:
            if not isinstance(info, dict) or not info.get("can_read") or not info.get("id"):
                continue
            count += 1
            url = urljoin(root, f"collections/{info['id']}/objects/")
            _pull_collection(
                store,
                peer,
                run,
                peer_url,
                url,
                f"{root}|{info['id']}",
                default_org=org,
                page=page,
                ids=ids,
                progress=progress,
                from_start=from_start,
            )
    with store.begin() as conn:
        conn.execute(
            sync_runs.update().where(sync_runs.c.id == run.id).values(finished_at=datetime.now(UTC))
        )
    return SyncResult(
        peer_url,
        run.id,
        count,
        run.received,
        run.stored,
        run.rejected,
        run.new,
        run.updated,
        run.unchanged,
        run.withdrawn,
    )


def rejections(store: Store, run_id: int) -> list[tuple[str, str]]:
    """The (object id, reason) of every object run RUN_ID rejected."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(sync_rejections.c.object_id, sync_rejections.c.reason)
            .where(sync_rejections.c.run_id == run_id)
            .order_by(sync_rejections.c.id)
        ).all()
    return [(str(r.object_id), str(r.reason)) for r in rows]


__all__ = ["OVERLAP", "SyncResult", "default_org_for", "pull", "rejections"]


def pull_every(
    pull_once: Callable[[], SyncResult],
    every: float,
    *,
    runs: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Iterator[SyncResult | PeerError]:
    """Scheduled pulls: PULL_ONCE, then again EVERY seconds after each one began, RUNS times
    (for ever when None). A pull that fails on the peer's side (down, refusing, answering
    nonsense) is yielded as its error and tried again at the next turn: a partner's outage
    must not stop the schedule. Pulls never overlap; a pull longer than EVERY is followed at
    once by the next."""
    if every <= 0:
        raise InputError("the interval must be positive", field="every")
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    done = 0
    while runs is None or done < runs:
        began = clock()
        try:
            yield pull_once()
        except PeerError as exc:
            yield exc
        done += 1
        if runs is None or done < runs:
            sleep(max(0.0, every - (clock() - began)))

"""`bigfish sync pull`: pull a peer's TAXII 2.1 collections into this node, accounted and resumable.

Each page is stored and the peer's position (`next`, then `added_after`) advanced in one
transaction, so a pull killed at any point resumes where its last committed page ended and a
re-pull stores nothing twice (reports keep their STIX id and version). Every page ends with
received = stored + rejected; each rejection is kept with the object's id and a reason
(`sync_rejections`). Outgoing requests go through `bigfish.outgoing.guarded_request`: loopback,
link-local and private addresses are refused unless an administrator allowed that exact peer.

Nothing a peer answers can exhaust the node or hold a pull for ever: an answer is read up to
MAX_RESPONSE_BYTES (decompressed; a longer one is asked for again in pages a tenth as long),
each request ends within REQUEST_DEADLINE seconds, a collection is read for at most MAX_PAGES
pages a pull (and MAX_EMPTY_PAGES empty ones in a row). What the peer got wrong — JSON nested
too deep, a listing that is not a list, a token the node cannot keep — is a PeerError naming
the peer, which `pull_every` reports and retries at the next turn; an object the node cannot
store (a NUL in its text: `bigfish.interop.importer`) is rejected alone, with its field.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigfish.alerts import send_webhooks
from bigfish.errors import InputError, PeerError, StoreError
from bigfish.interop.feed import parse_time
from bigfish.interop.importer import import_objects
from bigfish.interop.stix import timestamp
from bigfish.outgoing import AnswerTooLarge, bounded_get, origin_of
from bigfish.store import Store
from bigfish.store.schema_interop import sync_rejections, sync_runs, sync_state
from bigfish.store.writes import IdentifierIds
from bigfish.webhooks import list_allowed_peers

TAXII = "application/taxii+json;version=2.1"
#: Objects stored while a pull was reading may carry an earlier date_added; re-read this much.
OVERLAP = timedelta(minutes=2)
#: Bytes of one answer a pull reads at most. A bigfish node's page of 1,000 reports (`--page`)
#: is a few MB; after a longer answer the pull asks for a tenth as many objects, down to one,
#: and an object longer than this fails the pull.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Seconds one request of a pull may take in all (connect, headers, body), whatever the peer
#: does: the 120 s read timeout alone never fires on a peer that sends a byte a minute.
REQUEST_DEADLINE = 300.0
#: Pages of one collection one pull reads at most (100 million objects at 1,000 a page); a
#: pull that stops here keeps what it read, and the next pull goes on from there.
MAX_PAGES = 100_000
#: Pages in a row that hold no object but say there is more: a peer making no progress.
MAX_EMPTY_PAGES = 10
#: API roots, and collections of one, a pull reads at most: each costs requests, to wherever
#: the peer says (a bigfish node lists one root and a few collections for each reader).
MAX_API_ROOTS = 100
MAX_COLLECTIONS = 1000
#: What `sync_state` keeps of a peer's position (its columns' sizes).
_MAX_TOKEN = 1000
_MAX_COLLECTION_KEY = 200
#: date_added a peer may claim, at most this far ahead of this node's clock: a later one would
#: become the next pull's added_after and hide everything the peer adds until then.
_FUTURE_LEEWAY = timedelta(days=1)

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
    elsewhere does not: `bigfish.outgoing.guarded_request`)."""

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
        response = bounded_get(
            full,
            self.allowed,
            headers=headers,
            deadline=REQUEST_DEADLINE,
            read_timeout=120.0,
            max_body_bytes=MAX_RESPONSE_BYTES,
            transport=self.transport,
        )
        if response.status_code != 200:
            raise PeerError(f"{url} answered {response.status_code}")
        return _json_object(url, response.content), response.headers


def _json_object(url: str, content: bytes) -> dict[str, Any]:
    """CONTENT, a JSON object, or PeerError naming URL and what is wrong with it."""
    try:
        body = json.loads(content)
    except RecursionError:  # not a ValueError: it ended the pull and `--every` with it
        raise PeerError(f"{url} answered JSON nested too deep to read") from None
    except ValueError as exc:  # not UTF-8, not JSON, an integer of more than 4300 digits
        raise PeerError(f"{url} did not answer JSON ({str(exc)[:200]})") from None
    if not isinstance(body, dict):
        raise PeerError(f"{url} did not answer a JSON object")
    return body


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
        roots = body.get("api_roots") or []
        if not isinstance(roots, list) or len(roots) > MAX_API_ROOTS:
            raise PeerError(
                f"{url} answered api_roots that are not a list of at most {MAX_API_ROOTS}"
            )
        return [urljoin(url, str(r)) for r in roots]
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
        value = parse_time(text, "date_added")
    except InputError:  # a peer's malformed header is ignored, never fatal
        return None
    # so is a time the pull could not go back OVERLAP from, or that lies ahead
    if not _EARLIEST <= value <= datetime.now(UTC) + _FUTURE_LEEWAY:
        return None
    return value


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class _Run:
    """The accounting of one pull, committed page by page with the pages."""

    def __init__(self, store: Store, peer_url: str, *, webhooks: bool = True) -> None:
        self.store = store
        self.webhooks = webhooks
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
        """Count OUTCOME and keep every rejection, without the NUL characters PostgreSQL keeps
        no text with."""
        self.received += outcome.received
        self.stored += outcome.stored
        self.rejected += outcome.rejected
        self.new += outcome.new
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.withdrawn += outcome.withdrawn
        rejections = outcome.rejections
        if rejections:
            conn.execute(
                sync_rejections.insert(),
                [
                    {
                        "run_id": self.id,
                        "object_id": (i or "").replace("\x00", "\\x00")[:200],
                        "reason": r.replace("\x00", "\\x00")[:1000],
                    }
                    for i, r in rejections
                ],
            )
        conn.execute(
            sync_runs.update()
            .where(sync_runs.c.id == self.id)
            .values(received=self.received, stored=self.stored, rejected=self.rejected)
        )

    def alert(self, written: Sequence[int]) -> None:
        """Once a page is committed: the alerts its reports WRITTEN raise go to this node's
        organizations' webhooks, as for a submission through the API (failures are logged by
        origin, never retried; `GET /api/v1/alerts?since=…` catches up)."""
        if self.webhooks and written:
            send_webhooks(self.store, written)


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
    pages = empty = 0
    asking = page  # objects asked for a page: a tenth at a time while answers are too long
    while True:
        if pages == MAX_PAGES:
            raise PeerError(
                f"{url}: read {MAX_PAGES} pages in one pull and the peer says there is more; "
                "what was read is kept and the next pull goes on from there"
            )
        if empty == MAX_EMPTY_PAGES:
            raise PeerError(
                f"{url} answered {MAX_EMPTY_PAGES} pages in a row without objects that say "
                "there is more (more: true): the pull would never end"
            )
        params = {"limit": str(asking)}
        if since:
            params["added_after"] = since
        if next_token:
            params["next"] = next_token
        try:
            body, headers = peer.get(url, params)
        except AnswerTooLarge:
            if asking == 1:
                raise
            asking = max(1, asking // 10)  # large objects: fewer of them at a time
            continue
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
        if next_token is not None and (
            len(next_token) > _MAX_TOKEN or not next_token.isprintable()
        ):
            raise PeerError(
                f"{url} answered a next token this node cannot keep ({len(next_token)} "
                f"characters; at most {_MAX_TOKEN} printable ones)"
            )
        pages += 1
        empty = empty + 1 if more and not objects else 0
        page_key = (asked, next_token, _fingerprint(objects))
        if more and page_key in answered:
            raise PeerError(
                f"{url} answers the same page again for next token {str(asked)[:40]!r} "
                "(more: true, no progress): the pull would never end"
            )
        answered.add(page_key)
        try:
            with store.begin() as conn:
                outcome = import_objects(
                    conn, objects, peer=peer_url, default_org=default_org, ids=ids
                )
                run.record(conn, outcome)
                _save_state(conn, peer_url, collection, added_after if more else newest, next_token)
            run.alert(outcome.written)
        except RecursionError:  # an object the parser read but nothing after it can walk
            raise PeerError(f"{url} answered an object nested too deep to store") from None
        except sa.exc.DataError as exc:  # a value the database refuses that no check caught
            raise PeerError(
                f"{url}: the database refused a value of this page, which is not stored "
                f"({str(exc.orig).splitlines()[0][:200]})"
            ) from None
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
    webhooks: bool = True,
) -> SyncResult:
    """Pull every collection PEER_URL (a TAXII discovery URL or API root) lets KEY read.
    FROM_START: every object of every collection, not only those added since the last pull
    (what is held unchanged counts as unchanged): after this node's organization rejoined a
    group, say, whose reports it deleted when it left. WEBHOOKS: the alerts the pulled reports
    raise go to this node's organizations' webhooks, page by page."""
    # InputError naming the URL (a port above 65535, an unclosed [) before anything is sent
    peer = _Peer(store, peer_url, key, basic_user=basic_user, transport=transport)
    peer_url = peer_url if peer_url.endswith("/") else peer_url + "/"
    org = default_org or default_org_for(peer_url)
    run = _Run(store, peer_url, webhooks=webhooks)
    ids = IdentifierIds()
    count = 0
    for root in _api_roots(peer, peer_url):
        listing, _ = peer.get(urljoin(root, "collections/"))
        found = listing.get("collections") or []
        if not isinstance(found, list) or len(found) > MAX_COLLECTIONS:
            raise PeerError(
                f"{root} answered collections that are not a list of at most {MAX_COLLECTIONS}"
            )
        for info in found:
            if not isinstance(info, dict) or not info.get("can_read") or not info.get("id"):
                continue
            key = f"{root}|{info['id']}"
            if len(key) > _MAX_COLLECTION_KEY or not key.isprintable():
                raise PeerError(
                    f"{root} lists a collection id this node cannot keep its position in "
                    f"({str(info['id'])[:40]!r}…: with the API root, at most "
                    f"{_MAX_COLLECTION_KEY} printable characters)"
                )
            count += 1
            url = urljoin(root, f"collections/{info['id']}/objects/")
            _pull_collection(
                store,
                peer,
                run,
                peer_url,
                url,
                key,
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


__all__ = [
    "MAX_API_ROOTS",
    "MAX_COLLECTIONS",
    "MAX_EMPTY_PAGES",
    "MAX_PAGES",
    "MAX_RESPONSE_BYTES",
    "OVERLAP",
    "REQUEST_DEADLINE",
    "SyncResult",
    "default_org_for",
    "pull",
    "rejections",
]


def pull_every(
    pull_once: Callable[[], SyncResult],
    every: float,
    *,
    runs: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> Iterator[SyncResult | PeerError | StoreError]:
    """Scheduled pulls: PULL_ONCE, then again EVERY seconds after each one began, RUNS times
    (for ever when None). A pull that fails on the peer's side (down, refusing, answering
    nonsense) or on this node's database's (unreachable, locked, its file gone) is yielded as
    its error and tried again at the next turn: neither outage may stop the schedule. Pulls
    never overlap; a pull longer than EVERY is followed at once by the next."""
    if every <= 0:
        raise InputError("the interval must be positive", field="every")
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    done = 0
    while runs is None or done < runs:
        began = clock()
        try:
            yield pull_once()
        except (PeerError, StoreError) as exc:
            yield exc
        except sa.exc.OperationalError as exc:  # a read (`Store.connect`) says it so
            yield StoreError(f"database error: {str(exc.orig).splitlines()[0][:200]}")
        done += 1
        if runs is None or done < runs:
            sleep(max(0.0, every - (clock() - began)))

"""What a peer answers a pull, read within limits: its API roots and readable collections, then
each collection page by page from this node's position in it (`sync_state`).

Nothing a peer answers can exhaust the node or hold a pull for ever: an answer is read up to
MAX_RESPONSE_BYTES (decompressed; a longer one is asked for again in pages a tenth as long),
each request ends within REQUEST_DEADLINE seconds, a collection is read for at most MAX_PAGES
pages a pull (and MAX_EMPTY_PAGES empty ones in a row). What the peer got wrong — JSON nested
too deep, a listing that is not a list, a token the node cannot keep — is a PeerError naming
the peer. Storing the pages and accounting for them is `bigfish.interop.sync`'s.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bigfish.errors import InputError, PeerError
from bigfish.interop.feed import parse_time
from bigfish.interop.stix import timestamp
from bigfish.outgoing import AnswerTooLarge, bounded_get, origin_of
from bigfish.store import Store
from bigfish.store.schema_interop import sync_state
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
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class Peer:
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
        parts = urlsplit(peer_url)
        if parts.username is not None or parts.password is not None:
            # The URL goes into messages, runs and positions: a key in it would show everywhere.
            raise InputError(
                "the peer URL carries a user name or password: give the key with --key (and"
                " --basic-user), never inside the URL",
                field="url",
            )
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
        """The JSON object URL answers with PARAMS, and its headers; PeerError otherwise."""
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
            raise PeerError(f"{url} answered {response.status_code}" + _refused(response))
        return _json_object(url, response.content), response.headers


def _refused(response: httpx.Response) -> str:
    """What a 401 or 403 of the peer means for the operator (never the key itself): "answered
    401" alone did not say that the key was the problem, nor what to check."""
    if response.status_code == 401:
        return (
            ": the peer refused the key (wrong, revoked or expired); check that --key (or"
            " BIGFISH_PEER_KEY) is the key the peer issued to this node, or ask the peer's"
            " administrator for a new one (bigfish key create --org ORG --role sync on the peer)"
        )
    if response.status_code == 403:
        return (
            ": the peer knows the key but its role may not read this; ask the peer's"
            " administrator for a key of role sync (bigfish key create --org ORG --role sync"
            " on the peer)"
        )
    return ""


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


def _api_roots(peer: Peer, url: str) -> list[str]:
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


def readable_collections(peer: Peer, peer_url: str) -> Iterator[tuple[str, str]]:
    """The collections PEER_URL (a TAXII discovery URL or API root) lets the key read, one API
    root after the other: the key this node keeps its position under, and the objects' URL."""
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
            yield key, urljoin(root, f"collections/{info['id']}/objects/")


def _state(store: Store, peer_url: str, collection: str) -> tuple[str | None, str | None]:
    with store.connect() as conn:
        row = conn.execute(
            sa.select(sync_state.c.added_after, sync_state.c.next_token).where(
                sync_state.c.peer == peer_url, sync_state.c.collection == collection
            )
        ).first()
    return (row.added_after, row.next_token) if row else (None, None)


def save_position(
    conn: sa.Connection,
    peer_url: str,
    collection: str,
    added_after: str | None,
    next_token: str | None,
) -> None:
    """Keep where the next pull of COLLECTION goes on, in CONN's transaction."""
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


def _fingerprint(objects: list[Any]) -> str:
    """What a page holds, as the ids and versions of its objects."""
    keys = [
        f"{o.get('id')}|{o.get('modified')}" if isinstance(o, dict) else repr(o)[:200]
        for o in objects
    ]
    return hashlib.sha256("\n".join(keys).encode("utf-8", "backslashreplace")).hexdigest()


@dataclass(frozen=True, slots=True)
class Page:
    """One page a peer answered: its objects, and the position to keep once they are stored."""

    objects: list[Any]
    added_after: str | None
    next_token: str | None


def read_pages(
    store: Store,
    peer: Peer,
    peer_url: str,
    url: str,
    collection: str,
    *,
    page: int,
    from_start: bool = False,
) -> Iterator[Page]:
    """The pages of collection URL from this node's position in it (from the first object
    when FROM_START), PAGE objects asked a time. The next page is asked for only once the
    caller has taken this one (and stored it, with its position: `save_position`)."""
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
        yield Page(objects, added_after if more else newest, next_token)
        if not more:
            return

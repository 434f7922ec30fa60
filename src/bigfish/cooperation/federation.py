"""Cooperation requests between nodes: how the `x-bigfish-cooperation-request` object travels.

A request whose two organizations live on different nodes travels with `bigfish sync pull`: each
node serves a request, with its whole history, in the TAXII collection `Cooperation requests ORG`
of each of the two organizations, and nowhere else (drafts never leave their node). A node that
pulls it keeps the organizations' events as they are (ids, times, actors) and merges histories
by union of event ids; the status is what the merged history replays to (`model.replay`), so
two nodes holding the same events show the same request. Status changes travel back the same
way. A node refuses a request that names none of its own organizations, and any event that
claims a change its organization may not make (a recipient cannot send, a requester cannot
fulfil): `bigfish.cooperation.wire` checks every field.

A peer speaks only for the organizations it hosts: an event this node does not hold yet is
accepted from a peer only when its organization lives on that peer's node (`organizations.node`,
compared by origin: scheme, host and port), so a partner's node cannot forge another node's
acknowledgement or fulfilment, nor a change by one of this node's own organizations. The one
exception is an expiry, which any node holding the request records by itself: it is accepted
when it is exactly the event the deadline implies (the system's, from the status the history
had at the deadline, with its deterministic id). No expiry is accepted, signed or not, before the
deadline this node holds has passed (with ten minutes of leeway for the peer's clock) or dated
before it. Requests travel by sync pull only; an import with no peer carries none.

Every other change a peer sends must carry the Ed25519 signature of the peer's node key
(`bigfish.cooperation.signing`; the node serving a request signs its own organizations' changes
and sends its public key along). The key a peer signs with is pinned per origin: by the operator
(`pin_node_key`, `bigfish org add --node URL --node-key FINGERPRINT`) or on first use, and a
change signed by any other key, or whose signature does not match it, is refused. The signature
is kept with the event, so this node can later show which node made each change.

A peer pulls the changes after the newest date_added (`updated_at`) it was served. Every
transaction that stamps requests (creation, a change, an expiry, a merge) announces itself as a
writer first (`bigfish.store.stamps.announce_writer`), and every page of a pull serves no stamp
later than the bound its first page read (`settled_request_stamp`), so no change is stamped
earlier than one served before it was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from bigfish.cooperation.model import (
    EXPIRY_NOTE,
    RequestEvent,
    RequestStatus,
    expiry_event_id,
    replay,
)
from bigfish.cooperation.service import events_of, settle_status, with_parties
from bigfish.cooperation.signing import FINGERPRINT, event_signed_by, sign_event
from bigfish.cooperation.wire import (
    RemoteRequest,
    parse_request,
    request_content,
    request_object,
    utc,
)
from bigfish.errors import InputError, IntegrityError
from bigfish.evidence.custody import NodeKey, fingerprint, load_public_key
from bigfish.interop.stix import timestamp
from bigfish.organizations import check_new_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations
from bigfish.store.schema_evidence import cooperation_requests, request_events
from bigfish.store.schema_interop import peer_keys
from bigfish.store.stamps import announce_writer, settled_newest, stamp_now

if TYPE_CHECKING:
    from bigfish.audit import ConsoleAudit


@dataclass(frozen=True, slots=True)
class RequestEntry:
    """One request as a TAXII entry: its row id (the page key), date_added and object."""

    pk: int
    date_added: datetime
    object: dict[str, Any]


def party_condition(viewer: Viewer) -> sa.ColumnElement[bool]:
    """Requests VIEWER's organization is a party to and that have left their draft."""
    if viewer.org_id is None:
        return sa.false()
    return sa.and_(
        sa.or_(
            cooperation_requests.c.from_org_id == viewer.org_id,
            cooperation_requests.c.to_org_id == viewer.org_id,
        ),
        cooperation_requests.c.status != RequestStatus.DRAFT.value,
    )


def has_requests(conn: Connection, viewer: Viewer) -> bool:
    """Whether VIEWER's organization is a party to any request that was sent."""
    query = sa.select(cooperation_requests.c.id).where(party_condition(viewer)).limit(1)
    return conn.execute(query).first() is not None


def _signatures(
    conn: Connection,
    pk: int,
    request_id: str,
    events: Sequence[RequestEvent],
    signer: NodeKey | None,
    content: Mapping[str, Any],
) -> dict[str, tuple[str, str]]:
    """(signature, signer's fingerprint) by event id: SIGNER's for the changes of organizations
    this node hosts (of the request asking CONTENT), the peer's as received for the others."""
    rows = conn.execute(
        sa.select(
            request_events.c.event_id,
            request_events.c.signature,
            request_events.c.signed_by,
            organizations.c.node,
        )
        .join(organizations, organizations.c.id == request_events.c.actor_org_id)
        .where(request_events.c.request_pk == pk)
    ).all()
    out = {r.event_id: (r.signature, r.signed_by) for r in rows if r.signature and r.signed_by}
    if signer is not None:
        local = {r.event_id for r in rows if r.node is None}
        for event in events:
            if event.event_id in local:
                signature = sign_event(signer, request_id, event, content)
                out[event.event_id] = (signature, signer.fingerprint)
    return out


def _check_content(conn: Connection, pk: int, remote: RemoteRequest) -> None:
    """InputError naming the first field in which what REMOTE asks differs from the request
    held here as row PK: what a request asks never changes once sent (the signatures of its
    events cover it), so a difference is an alteration on the way or at the peer."""
    row = conn.execute(with_parties().where(cooperation_requests.c.id == pk)).one()
    held = request_content(request_object(row, []))
    for field, value in held.items():
        if remote.content.get(field) != value:
            raise InputError(
                "what the request asks differs from the request held here, which cannot change"
                " once sent",
                field=field,
            )


def settled_request_stamp(conn: Connection) -> datetime | None:
    """The newest stamp of a request (`updated_at`), read so that every request stamped and
    committed after it is stamped later (`bigfish.store.stamps.settled_newest`: every writer
    of requests announces itself first, as writers of reports do); None when there is none. A
    pull that serves no stamp later than it never serves a change before an earlier-stamped
    one its client would then never be served (a slow writer, or a change between pages)."""
    return settled_newest(conn, sa.select(sa.func.max(cooperation_requests.c.updated_at)))


def request_page(
    conn: Connection,
    condition: sa.ColumnElement[bool],
    *,
    after: int | None = None,
    added_after: datetime | None = None,
    upto: datetime | None = None,
    limit: int = 1000,
    signer: NodeKey | None = None,
) -> list[RequestEntry]:
    """Up to LIMIT requests matching CONDITION with a row id above AFTER, changed on this node
    after ADDED_AFTER and not after UPTO (the pull's bound, `settled_request_stamp`), in row id
    order (the keyset of TAXII pages); SIGNER signs the changes of this node's organizations
    and its public key goes with every request."""
    query = with_parties().where(condition)
    if added_after is not None:
        query = query.where(cooperation_requests.c.updated_at > added_after)
    if upto is not None:
        query = query.where(cooperation_requests.c.updated_at <= upto)
    if after is not None:
        query = query.where(cooperation_requests.c.id > after)
    rows = conn.execute(query.order_by(cooperation_requests.c.id).limit(limit)).all()
    key = signer.public_pem().decode() if signer is not None else None
    entries = []
    for r in rows:
        events = events_of(conn, r.id)
        content = request_content(request_object(r, events))
        signed = _signatures(conn, r.id, r.request_id, events, signer, content)
        entries.append(
            RequestEntry(int(r.id), utc(r.updated_at), request_object(r, events, signed, key))
        )
    return entries


def _party(conn: Connection, name: str) -> tuple[int, str | None] | None:
    """(id, node it lives on — None for this node) of organization NAME, or None when this node
    does not know it."""
    row = conn.execute(
        sa.select(organizations.c.id, organizations.c.node).where(organizations.c.name == name)
    ).first()
    return None if row is None else (int(row.id), row.node)


def origin(url: str) -> tuple[str, str]:
    """(scheme, host:port) of URL, the part that names a node."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower()


def _speaks_for(conn: Connection, org: str, peer: str) -> bool:
    """Whether PEER's node hosts ORG (an organization this node does not know yet is one the
    peer introduces, and is recorded as the peer's)."""
    found = _party(conn, org)
    if found is None:
        return True
    node = found[1]
    return node is not None and origin(node) == origin(peer)


def _implied_expiry(remote: RemoteRequest, event: RequestEvent) -> bool:
    """Whether EVENT is the expiry REMOTE's deadline implies, which every node records alike."""
    if event.to_status is not RequestStatus.EXPIRED or event.actor != "system":
        return False
    if event.from_status is None or event.org != remote.to_org:
        return False
    return event.event_id == expiry_event_id(remote.request_id, event.from_status)


# How far ahead of this node's clock a peer's clock may run when it expires a request.
_CLOCK_LEEWAY = timedelta(minutes=10)


def _now() -> datetime:
    """This node's clock (a seam for the tests, which move it past a deadline)."""
    return datetime.now(UTC)


def _check_times(remote: RemoteRequest, new: Sequence[RequestEvent]) -> None:
    """InputError naming the first event of NEW dated ahead of this node's clock (beyond the
    leeway): it would sort after every later change, and every change made here after it would
    be dated after it in turn (`service.transition`), so the audit trail would show times that
    never were."""
    position = {e.event_id: i for i, e in enumerate(remote.events)}
    now = _now()
    for event in new:
        if event.at > now + _CLOCK_LEEWAY:
            raise InputError(
                f"a change dated {timestamp(event.at)}, ahead of this node's clock "
                f"({timestamp(now)})",
                field=f"history[{position[event.event_id]}].at",
            )


def _check_expiries(
    remote: RemoteRequest, new: Sequence[RequestEvent], deadline: datetime | None
) -> None:
    """InputError naming the first expiry in NEW that the request's DEADLINE (this node's copy
    when it holds the request) does not imply: none set, not passed yet, or dated before it.
    Nothing moves a request before its deadline but the parties' own changes; an expiry needs no
    signature, so without this any peer could close an open request at once."""
    position = {e.event_id: i for i, e in enumerate(remote.events)}
    now = _now()
    for event in new:
        if event.to_status is not RequestStatus.EXPIRED:
            continue
        where = f"history[{position[event.event_id]}]"
        if deadline is None:
            raise InputError("the request has no deadline, so it cannot expire", field=where)
        if event.at < deadline or deadline > now + _CLOCK_LEEWAY:
            raise InputError(
                f"an expiry at {timestamp(event.at)} but the deadline is "
                f"{timestamp(deadline)} (this node's clock: {timestamp(now)})",
                field=f"{where}.at",
            )
        if _implied_expiry(remote, event) and event.note != EXPIRY_NOTE:
            # Unsigned, so it may say only what every node records: any other text would
            # enter both parties' history under `system`, from no one.
            raise InputError(f"an expiry's note is {EXPIRY_NOTE!r}", field=f"{where}.note")


def _check_speakers(
    conn: Connection, remote: RemoteRequest, new: Sequence[RequestEvent], peer: str
) -> None:
    position = {e.event_id: i for i, e in enumerate(remote.events)}
    for event in new:
        if _implied_expiry(remote, event) or _speaks_for(conn, event.org, peer):
            continue
        raise InputError(
            f"{event.org} is not hosted on the node that sent this change",
            field=f"history[{position[event.event_id]}].org",
        )


def node_origin(url: str) -> str:
    """The origin of node URL as it is keyed in `peer_keys`: scheme://host:port."""
    scheme, netloc = origin(url)
    return f"{scheme}://{netloc}"


def pin_node_key(
    store: Store, node: str, key_fingerprint: str, *, audit: ConsoleAudit | None = None
) -> None:
    """Pin the key NODE signs its changes with (the operator's word, compared out of band;
    it replaces any earlier pin of that node). AUDIT records it in the pin's transaction as
    (console actor, None, `node key pin`, `ORIGIN FINGERPRINT`, 201), as a sync pull records
    the key it pins on first use (`node key pin by sync pull`); None: no row."""
    key_fingerprint = key_fingerprint.strip().lower()
    if not FINGERPRINT.match(key_fingerprint):
        raise InputError("a key fingerprint is 64 hex digits (SHA-256)", field="node_key")
    origin = node_origin(node)
    signed: Callable[[], None] | None = None
    with store.begin() as conn:
        conn.execute(peer_keys.delete().where(peer_keys.c.origin == origin))
        conn.execute(
            peer_keys.insert().values(
                origin=origin,
                fingerprint=key_fingerprint,
                public_key=None,
                pinned_by="operator",
                pinned_at=datetime.now(UTC),
            )
        )
        if audit is not None:  # last: the log's head stays locked until the commit
            row = (None, "node key pin", f"{origin} {key_fingerprint}", 201)
            signed = audit.within(conn, [row])
    if signed is not None:
        signed()


@dataclass(frozen=True, slots=True)
class _PeerKey:
    key: Ed25519PublicKey
    fingerprint: str
    write: dict[str, Any] | None  # the pin to record once every check has passed


def _peer_key(conn: Connection, peer: str, pem: str | None) -> _PeerKey:
    """The key PEER's node signs with: pinned, or the one it sent (PEM) pinned on first use."""
    pinned = conn.execute(
        sa.select(peer_keys).where(peer_keys.c.origin == node_origin(peer))
    ).first()
    if pinned is not None and pinned.public_key is not None:
        return _PeerKey(load_public_key(pinned.public_key.encode()), pinned.fingerprint, None)
    if pem is None:
        raise InputError("the peer sent no node key to check its changes with", field="node_key")
    try:
        key = load_public_key(pem.encode())
    except IntegrityError as exc:
        raise InputError(str(exc), field="node_key") from None
    sent = fingerprint(key)
    if pinned is not None and sent != pinned.fingerprint:
        raise InputError(
            f"the peer's node key {sent[:16]}… is not the key pinned for it, "
            f"{pinned.fingerprint[:16]}…",
            field="node_key",
        )
    row: dict[str, Any] = {"origin": node_origin(peer), "fingerprint": sent, "public_key": pem}
    if pinned is None:
        row |= {"pinned_by": "first use", "pinned_at": datetime.now(UTC)}
    return _PeerKey(key, sent, row)


def _check_signatures(
    conn: Connection, remote: RemoteRequest, new: Sequence[RequestEvent], peer: str
) -> tuple[dict[str, tuple[str, str]], dict[str, Any] | None]:
    """The signatures of NEW to keep and the pin to record; InputError naming the first event
    whose signature is missing, made by another key, or not a signature of that event."""
    position = {e.event_id: i for i, e in enumerate(remote.events)}
    keep: dict[str, tuple[str, str]] = {}
    peer_key: _PeerKey | None = None
    for event in new:
        if _implied_expiry(remote, event):
            continue
        where = f"history[{position[event.event_id]}]"
        signed = remote.signatures.get(event.event_id)
        if signed is None:
            raise InputError("a change from a peer must carry its node's signature", field=where)
        peer_key = peer_key or _peer_key(conn, peer, remote.node_key)
        if signed[1] != peer_key.fingerprint:
            raise InputError(
                f"signed by key {signed[1][:16]}…, not by the key of the node that sent it "
                f"({peer_key.fingerprint[:16]}…)",
                field=f"{where}.signed_by",
            )
        if not event_signed_by(peer_key.key, signed[0], remote.request_id, event, remote.content):
            raise InputError("the signature does not match this change", field=f"{where}.signature")
        keep[event.event_id] = signed
    return keep, (peer_key.write if peer_key is not None else None)


def _record_pin(conn: Connection, row: dict[str, Any]) -> None:
    updated = conn.execute(
        peer_keys.update()
        .where(peer_keys.c.origin == row["origin"])
        .values(public_key=row["public_key"])
    )
    if not updated.rowcount:
        conn.execute(peer_keys.insert().values(**row))


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _ensure_party(conn: Connection, name: str, peer: str | None) -> int:
    found = _party(conn, name)
    if found is not None:
        return found[0]
    inserted = conn.execute(
        organizations.insert()
        .values(name=name, node=peer, created_at=datetime.now(UTC))
        .returning(organizations.c.id)
    )
    return int(inserted.scalar_one())


def merge_request(conn: Connection, remote: RemoteRequest, *, peer: str | None) -> bool:
    """Store REMOTE, or add the events of it this node does not hold; whether anything changed.
    Every check comes before the first write, so a refused request leaves nothing behind.
    Announced first as a writer (`announce_writer`, which an import has done already): the
    request's stamp is taken after, so a pull's bound waits for it."""
    if peer is None:
        raise InputError("cooperation requests travel by sync pull only", field="type")
    announce_writer(conn)
    parties = [_party(conn, remote.from_org), _party(conn, remote.to_org)]
    if not any(p is not None and p[1] is None for p in parties):
        raise InputError("the request names no organization of this node", field="to_org")
    for field, name, party in (
        ("from_org", remote.from_org, parties[0]),
        ("to_org", remote.to_org, parties[1]),
    ):
        if party is None:  # `_ensure_party` creates it: never one that shows like a held one
            check_new_org(conn, name, field=field)
    existing = conn.execute(
        sa.select(
            cooperation_requests.c.id,
            cooperation_requests.c.from_org_id,
            cooperation_requests.c.to_org_id,
            cooperation_requests.c.deadline,
        ).where(cooperation_requests.c.request_id == remote.request_id)
    ).first()
    known = tuple(p[0] if p is not None else None for p in parties)
    if existing is not None and (existing.from_org_id, existing.to_org_id) != known:
        raise InputError("this request id belongs to other organizations", field="request_id")
    if existing is not None:
        _check_content(conn, int(existing.id), remote)
    held = set() if existing is None else {e.event_id for e in events_of(conn, int(existing.id))}
    new = [e for e in remote.events if e.event_id not in held]
    if not new:
        return False
    _check_speakers(conn, remote, new, peer)
    _check_times(remote, new)
    _check_expiries(
        remote, new, remote.deadline if existing is None else _utc_or_none(existing.deadline)
    )
    signatures, pin = _check_signatures(conn, remote, new, peer)
    if pin is not None:
        _record_pin(conn, pin)
    ids = {
        remote.from_org: _ensure_party(conn, remote.from_org, peer),
        remote.to_org: _ensure_party(conn, remote.to_org, peer),
    }
    now = stamp_now(conn)
    if existing is not None:
        pk = int(existing.id)
    else:
        pk = int(
            conn.execute(
                cooperation_requests.insert()
                .values(
                    request_id=remote.request_id,
                    request_type=remote.request_type.value,
                    from_org_id=ids[remote.from_org],
                    to_org_id=ids[remote.to_org],
                    status=(replay(new) or RequestStatus.SENT).value,
                    urgency=remote.urgency.value,
                    legal_basis=remote.legal_basis,
                    subjects=[
                        {
                            "kind": s.kind.value,
                            "value": s.value,
                            "identifier_kind": s.identifier_kind,
                        }
                        for s in remote.subjects
                    ],
                    summary=remote.summary,
                    details=remote.details,
                    deadline=remote.deadline,
                    created_by=remote.created_by,
                    created_at=remote.created_at,
                    updated_at=now,
                )
                .returning(cooperation_requests.c.id)
            ).scalar_one()
        )
    conn.execute(
        request_events.insert(),
        [
            {
                "request_pk": pk,
                "event_id": e.event_id,
                "at": e.at,
                "actor_org_id": ids[e.org],
                "actor": e.actor,
                "from_status": e.from_status.value if e.from_status else None,
                "to_status": e.to_status.value,
                "note": e.note,
                "signature": signatures.get(e.event_id, (None, None))[0],
                "signed_by": signatures.get(e.event_id, (None, None))[1],
            }
            for e in new
        ],
    )
    settle_status(conn, pk, now)
    return True


def import_requests(
    conn: Connection, objects: Sequence[Mapping[str, Any]], *, peer: str | None
) -> list[tuple[str | None, str]]:
    """Merge request OBJECTS a peer served into CONN's transaction; (object id, reason) of each
    object refused."""
    rejections: list[tuple[str | None, str]] = []
    for obj in objects:
        try:
            merge_request(conn, parse_request(obj), peer=peer)
        except InputError as exc:
            reason = f"{exc.field}: {exc.message}" if exc.field else exc.message
            rejections.append((str(obj.get("id")), reason))
    return rejections

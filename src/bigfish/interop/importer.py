"""Store STIX objects received from a peer (a TAXII pull) or posted to a collection, accounted:
received = stored + rejected, every rejection with the object's id and a reason.

Reports are stored under their originating organization (created on this node, marked with the
peer it came from) and keep their STIX id and version, so a re-pull of the same version changes
nothing. A peer speaks only for the organizations it hosts (`organizations.node`: the node an
organization was registered with, or the peer that first supplied it); a report of another
node's organization, or of this node's own, is rejected. A report takes the most restrictive of
its own and its items' markings (docs/interop.md, "Markings on import"); one about a sharing
group this node does not know, or whose members here do not include the report's organization,
falls back to `organization` distribution.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.confusables import LOOKALIKE, name_keys
from bigfish.cooperation.federation import import_requests
from bigfish.cooperation.wire import REQUEST_TYPE
from bigfish.errors import InputError
from bigfish.fx import Rates, node_rates
from bigfish.intake.prepare import prepare_mentions
from bigfish.intake.records import build_report, escape_nul, nul_path
from bigfish.interop.held_ids import first_other, stix_id_holders
from bigfish.interop.markings import REPORT_EXTENSION, marking_from_object, marking_refs
from bigfish.interop.revocation import Revoked, node_of, withdraw_copies
from bigfish.interop.stix_import import (
    OBSERVABLE_TYPES,
    SUPPORTING,
    check_report_id,
    item_markings,
    report_fields,
)
from bigfish.interop.views import utc
from bigfish.models import Distribution, Marking, Report, narrowest
from bigfish.organizations import NewOrgs, _check_name, check_new_org
from bigfish.reports import resolve_marking
from bigfish.sharing.policy import Viewer
from bigfish.store.fast import upsert
from bigfish.store.name_locks import lock_names
from bigfish.store.schema import (
    group_members,
    ingest_runs,
    organizations,
    reports,
    sharing_groups,
)
from bigfish.store.schema_interop import interop_imports, interop_observables, peer_keys
from bigfish.store.stamps import announce_writer
from bigfish.store.writes import (
    IdentifierIds,
    Pending,
    write_batch,
)

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What one batch of objects did: received = stored + rejected."""

    received: int
    stored: int
    rejected: int
    new: int  # reports stored for the first time
    updated: int  # reports replaced by a newer version
    unchanged: int  # reports already held in this version or a newer one
    rejections: tuple[tuple[str | None, str], ...]  # (object id, reason)
    withdrawn: int = 0  # copies deleted: their node revoked the report (deleted or re-marked)
    written: tuple[int, ...] = ()  # the reports stored or updated (their keys), for alerts


@dataclass
class _Report:
    stix_id: str
    org: str
    modified: datetime
    report: Report


def source_scope(peer: str | None, owner: str | None) -> str:
    """Whose stored objects an import reads and writes (`interop_observables`): the peer's node,
    or the posting organization's. What one source sent never stands for another's: a poster or
    another peer sending a peer's marking-definition id with TLP:CLEAR does not make that
    peer's TLP:RED reports clear (the ids are chosen by the sender, not derived from content)."""
    source = f"org:{owner}" if owner is not None else f"peer:{node_of(peer or '')}"
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16] + "|"


def _key(scope: str, stix_id: str) -> str:
    return (scope + stix_id)[:200]


def _lookup(conn: Connection, wanted: set[str], scope: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    keys = {_key(scope, i): i for i in wanted}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        query = sa.select(interop_observables.c.stix_id, interop_observables.c.body).where(
            interop_observables.c.stix_id.in_(ordered[start : start + _CHUNK])
        )
        found.update({keys[row.stix_id]: row.body for row in conn.execute(query)})
    return found


def _org_of(obj: Mapping[str, Any], lookup: Mapping[str, Mapping[str, Any]]) -> str | None:
    extensions = obj.get("extensions")
    ext = extensions.get(REPORT_EXTENSION) if isinstance(extensions, dict) else None
    if isinstance(ext, dict) and isinstance(ext.get("org"), str):
        return str(ext["org"])
    creator = lookup.get(str(obj.get("created_by_ref")))
    name = creator.get("name") if creator else None
    return name.replace(" ", "-")[:100] if isinstance(name, str) else None


def _marking(
    conn: Connection,
    obj: Mapping[str, Any],
    lookup: Mapping[str, Mapping[str, Any]],
    poster: int | None,
    org: str,
) -> tuple[Marking, int | None]:
    """The marking of report OBJ narrowed to its items', with its group's id. A sync resolves
    the group against this node's groups that the report's organization ORG is a member of (a
    group of that name without it is another audience: `organization`, as for an unknown
    group); a POST by organization POSTER is checked as the REST API checks it (a group it is
    not in is an unknown group: InputError)."""
    own = marking_from_object(obj, lookup) or Marking()
    marking = narrowest(own, *item_markings(obj, lookup))
    if poster is not None:
        return marking, resolve_marking(conn, Viewer(poster), marking)
    if marking.distribution is not Distribution.GROUP:
        return marking, None
    row = conn.execute(
        sa.select(sharing_groups.c.id)
        .join(group_members, group_members.c.group_id == sharing_groups.c.id)
        .join(organizations, organizations.c.id == group_members.c.org_id)
        .where(sharing_groups.c.name == marking.group, organizations.c.name == org)
    ).first()
    if row is None:  # an unknown group: the most restrictive distribution, never the widest
        return Marking(marking.tlp, Distribution.ORGANIZATION), None
    return marking, int(row[0])


def _not_spoken_for(conn: Connection, org: str, peer: str, cache: dict[str, str | None]) -> None:
    """InputError unless PEER's node may speak for ORG: ORG is new here (it is then recorded as
    the peer's) or was first supplied by, or registered with, that peer. A peer never speaks for
    this node's own organizations nor for another node's."""
    if org not in cache:
        row = conn.execute(
            sa.select(organizations.c.node).where(organizations.c.name == org)
        ).first()
        if row is None:
            cache[org] = None
        elif row.node is None:
            cache[org] = f"{org} is hosted on this node, not on the node that sent this report"
        elif node_of(row.node) != node_of(peer):
            cache[org] = (
                f"{org} is hosted on {node_of(row.node)}, not on the node that sent this report"
            )
        else:
            cache[org] = None
    if cache[org] is not None:
        raise InputError(str(cache[org]), field="org")


#: The end of a refusal of a peer's look-alike organization: the operator's advice, "use the
#: name taken", fails for a peer, which may not send reports for an organization held here.
_PEER_LOOKALIKE = (
    "its reports are not stored: a partner's organization needs a name of its own on this node "
    "(ask the partner to rename it, or its node's operator to send it under another name)"
)


def _refuse_lookalike(
    conn: Connection, org: str, checked: dict[str, str | None], introduced: dict[str, str]
) -> bool:
    """InputError (field org, naming the name taken) when ORG is new here and would show like
    an organization this node has, or like another the same page introduces (`name_keys`), or
    mixes scripts in a word: its reports are rejected, never stored under a second name that
    looks like the first (whose keys would neither see nor edit them). Nor are they filed under
    the organization it looks like: a peer speaks only for the organizations it hosts, and
    which one was meant is not this node's guess. CHECKED and INTRODUCED keep what the page
    decided.

    True when ORG, missing when first read, is held once the lock of organization names is
    (`check_new_org` takes it, until the transaction ends): another writer, an admin, created
    it meanwhile, and what was decided of ORG as a missing organization is decided again."""
    appeared = False
    if org not in checked:
        held = sa.select(organizations.c.id).where(organizations.c.name == org)
        reason = None
        if conn.execute(held).first() is None:
            try:
                check_new_org(conn, org, field="org", advice=_PEER_LOOKALIKE)
            except InputError as exc:
                reason = exc.message
            else:
                appeared = conn.execute(held).first() is not None
            if reason is None and not appeared:
                keys = sorted(name_keys(org))
                first = next((introduced[k] for k in keys if k in introduced), None)
                if first is None:
                    introduced.update(dict.fromkeys(keys, org))
                else:
                    reason = (
                        f"organization {org!r} would show like organization {first!r}, which "
                        f"this page brings too: it {LOOKALIKE}"
                    )
        checked[org] = reason
    if checked[org] is not None:
        raise InputError(str(checked[org]), field="org")
    return appeared


def _echo(conn: Connection, org: str, report_id: str, modified: datetime) -> bool:
    """True when ORG is this node's own and REPORT_ID of it is held in the version MODIFIED or a
    newer one: a peer serving back what it pulled from here (two nodes that sync both ways do),
    neither stored nor a forgery. A newer version of an own report from a peer is rejected
    (`_not_spoken_for`)."""
    row = conn.execute(
        sa.select(reports.c.updated_at)
        .join(organizations, organizations.c.id == reports.c.org_id)
        .where(
            organizations.c.name == org,
            organizations.c.node.is_(None),
            reports.c.report_id == report_id,
        )
    ).first()
    return row is not None and utc(row.updated_at) >= modified


def _org_id(
    conn: Connection,
    name: str,
    peer: str | None,
    cache: dict[str, int],
    created: NewOrgs | None = None,
) -> int:
    """The id of organization NAME, created (as PEER's) when missing and recorded by CREATED."""
    if name in cache:
        return cache[name]
    name = _check_name(name)
    row = conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first()
    if row is None:
        row = conn.execute(
            organizations.insert()
            .values(name=name, node=peer, created_at=datetime.now(UTC))
            .returning(organizations.c.id)
        ).first()
        if created is not None:
            created.created(name)
    assert row is not None
    cache[name] = int(row[0])
    return cache[name]


def _held_versions(
    conn: Connection, org_id: int, report_ids: Sequence[str]
) -> dict[str, tuple[int, datetime]]:
    held: dict[str, tuple[int, datetime]] = {}
    for start in range(0, len(report_ids), _CHUNK):
        query = (
            sa.select(
                reports.c.report_id,
                reports.c.id,
                sa.func.coalesce(interop_imports.c.modified, reports.c.updated_at),
            )
            .outerjoin(interop_imports, interop_imports.c.report_pk == reports.c.id)
            .where(
                reports.c.org_id == org_id,
                reports.c.report_id.in_(report_ids[start : start + _CHUNK]),
            )
        )
        for report_id, pk, version in conn.execute(query):
            held[report_id] = (int(pk), utc(version))
    return held


def _merged_copies(objects: Sequence[object]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The first copy of each id among OBJECTS, and the ids given again with other content. A
    copy that differs from the first only in its `object_marking_refs` (a feed serves an
    observable once with each report that holds it, in that report's marking) is no conflict:
    the first copy takes the markings of both, so the most restrictive one counts."""
    first: dict[str, dict[str, Any]] = {}
    merged: dict[str, set[str]] = {}  # the markings of the copies of an id, gathered once
    conflicting: set[str] = set()
    for obj in objects:
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            continue
        held = first.setdefault(obj["id"], obj)
        if held is obj or held == obj:
            continue
        if obj["type"] != "marking-definition" and _sans_marks(held) == _sans_marks(obj):
            # each copy adds its markings to a set: a page of N copies is N steps, not N**2
            marks = merged.setdefault(obj["id"], set(_refs(held.get("object_marking_refs"))))
            marks.update(_refs(obj.get("object_marking_refs")))
        else:
            conflicting.add(obj["id"])
    for ident, marks in merged.items():
        first[ident] = {**first[ident], "object_marking_refs": sorted(marks)}
    return first, conflicting


def _sans_marks(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "object_marking_refs"}


def _resolve(
    conn: Connection, objects: Sequence[object], scope: str
) -> tuple[dict[str, Mapping[str, Any]], dict[str, dict[str, Any]], set[str]]:
    """Every object the reports of OBJECTS refer to (their author, the objects they list and the
    marking definitions of both), from OBJECTS or else as stored from earlier pages; the first
    copy of each id among OBJECTS; and the ids given again with other content. Stored objects
    are read from SCOPE's only (`source_scope`). Of those, a marking definition is left out
    (not understood: TLP:RED, organization, even if an earlier page stored one), and another
    object is read in its first copy."""
    first, conflicting = _merged_copies(objects)
    unsure = {i for i in conflicting if i.startswith("marking-definition--")}
    batch = {i: o for i, o in first.items() if i not in unsure}
    reports_ = [o for o in batch.values() if o.get("type") == "report"]
    wanted = {str(o.get("created_by_ref")) for o in reports_}
    wanted |= {r for o in reports_ for r in _refs(o.get("object_refs"))}
    lookup: dict[str, Mapping[str, Any]] = {
        **_lookup(conn, wanted - set(batch) - unsure, scope),
        **batch,
    }
    marks = {r for o in reports_ for r in _refs(marking_refs(o))}
    for o in reports_:
        for ref in _refs(o.get("object_refs")):
            target = lookup.get(ref)
            marks |= set(_refs(marking_refs(target))) if target is not None else set()
    lookup.update(_lookup(conn, marks - set(lookup) - unsure, scope))
    return lookup, first, conflicting


def _is_first(first: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    """Whether OBJ is the first copy of its id (FIRST, its markings merged with later copies')."""
    return first is obj or _sans_marks(first) == _sans_marks(obj)


def _refs(value: object) -> list[str]:
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def import_objects(
    conn: Connection,
    objects: Sequence[object],
    *,
    peer: str | None,
    default_org: str,
    owner: str | None = None,
    rates: Rates | None = None,
    ids: IdentifierIds | None = None,
    created: NewOrgs | None = None,
) -> ImportOutcome:
    """Store OBJECTS in CONN's transaction. OWNER, when given (a TAXII POST), overrides the
    organization named in the objects: the credential decides, never the body, and a sharing
    group must be one OWNER belongs to. From PEER (a pull), a report of an organization PEER
    does not host (`organizations.node`) is rejected. Cooperation requests are merged
    (`bigfish.cooperation.federation`) when pulled, refused when posted.

    Every organization it creates (a report's, or a party of a pulled request) is recorded by
    CREATED in the audit log, at its end in CONN's transaction (None: not recorded).

    Announced first as a writer of reports (`announce_writer`: it stores, replaces and, for a
    revocation, deletes them), before it takes any lock or stamp, so a link run reads no stamp
    out of commit order and waits for no writer that waits for it."""
    announce_writer(conn)
    rejections: list[tuple[str | None, str]] = []
    keep: list[dict[str, Any]] = []
    requests: list[dict[str, Any]] = []  # cooperation requests (bigfish.cooperation.federation)
    pending: dict[tuple[str, str], tuple[_Report, int | None]] = {}
    sent: dict[tuple[str, str], dict[str, Any]] = {}  # the object each of PENDING came as
    superseded = 0  # reports given again in the page, in the same or an older version
    # a pulled cooperation request is checked, its fields named, by the federation's import
    nuls = [
        nul_path(obj)
        if isinstance(obj, dict) and (owner is not None or obj.get("type") != REQUEST_TYPE)
        else None
        for obj in objects
    ]
    # an object holding a NUL is rejected alone: none of it may reach a report or the store
    clean = [o for o, n in zip(objects, nuls, strict=True) if n is None]
    scope = source_scope(peer, owner)
    lookup, first, conflicting = _resolve(conn, clean, scope)
    poster = _org_id(conn, owner, None, {}, created) if owner is not None else None
    speakers: dict[str, str | None] = {}
    checked: dict[str, str | None] = {}  # organization name: why it may not be created, or None
    introduced: dict[str, str] = {}  # the key of each organization this page creates: its name
    echoes = 0
    revoked: list[Revoked] = []
    for obj, where in zip(objects, nuls, strict=True):
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or "id" not in obj:
            rejections.append((None, "not a STIX object (needs a type and an id)"))
            continue
        if where is not None:
            rejections.append((shown_id(obj["id"]), f"{where}: {NUL_REASON}"))
            continue
        stix_type, stix_id = obj["type"], str(obj["id"])
        if stix_id in conflicting and stix_type != "report":
            if stix_id.startswith("marking-definition--"):  # which copy was meant? neither
                rejections.append((stix_id, f"{_TWICE}: the marking is not understood"))
                continue
            if not _is_first(first[stix_id], obj):
                rejections.append((stix_id, f"{_TWICE}; this copy is not read"))
                continue
        if stix_type in OBSERVABLE_TYPES or stix_type in SUPPORTING:
            keep.append({"stix_id": _key(scope, stix_id), "body": first.get(stix_id, obj)})
            continue
        if stix_type == REQUEST_TYPE:
            if owner is None:
                requests.append(obj)
            else:
                rejections.append((stix_id, "cooperation requests travel by sync pull only"))
            continue
        if stix_type != "report":
            rejections.append((stix_id, f"STIX type {stix_type!r} is not imported (reports only)"))
            continue
        if obj.get("revoked") is True:
            if owner is not None or peer is None:
                rejections.append((stix_id, _POSTED_REVOCATION))
                continue
            try:
                fields, _ = report_fields(obj, lookup)
                org = _check_name(_org_of(obj, lookup) or default_org)
                report_id = str(fields.get("report_id") or "")
                revoked.append(Revoked(stix_id, org, report_id, _modified(obj)))
            except (InputError, ValueError) as exc:
                field = getattr(exc, "field", None)
                reason = getattr(exc, "message", str(exc))
                rejections.append((stix_id, f"{field}: {reason}" if field else reason))
            continue
        try:
            check_report_id(obj)
            fields, found = report_fields(obj, lookup)
            named = owner or _org_of(obj, lookup)
            org = _check_name(named or default_org)
            marking, group_id = _marking(conn, obj, lookup, poster, org)
            report = build_report(fields, identifiers=found, marking=marking)
            modified = _modified(obj)
            speaker = peer if owner is None and named is not None else None  # a peer naming ORG
            if speaker is not None:
                if _echo(conn, org, report.report_id, modified):
                    echoes += 1  # this node's own report, come back from a peer: held
                    continue
                _not_spoken_for(conn, org, speaker, speakers)
            if _refuse_lookalike(conn, org, checked, introduced) and speaker is not None:
                speakers.pop(org, None)  # found missing, created here meanwhile: held now
                _not_spoken_for(conn, org, speaker, speakers)
        except (InputError, ValueError) as exc:
            field = getattr(exc, "field", None)
            reason = getattr(exc, "message", str(exc))
            rejections.append((stix_id, f"{field}: {reason}" if field else reason))
            continue
        report = dataclasses.replace(report, source_id=stix_id)
        key = (org, report.report_id)
        earlier = pending.get(key)
        if earlier is not None:  # the page gave this report before: each copy is accounted
            repeat = _repeated_report(earlier[0], sent[key], stix_id, modified, obj)
            if repeat is not None:
                rejections.append((stix_id, repeat))
                continue
            superseded += 1  # an older version, or the same again: held unchanged
        if earlier is None or earlier[0].modified < modified:
            pending[key] = (_Report(stix_id, org, modified, report), group_id)
            sent[key] = obj
    gone = {(r.stix_id[:200], r.org, r.report_id) for r in revoked}
    poster_view = _poster_view(conn, poster, owner) if poster is not None else None
    for key in _ids_held_elsewhere(conn, pending, gone, rejections, poster_view):
        del pending[key]
    upsert(conn, interop_observables, list({k["stix_id"]: k for k in keep}.values()), ["stix_id"])
    rejections += _merged_requests(conn, requests, peer, created)
    written: list[int] = []
    new, updated, unchanged = _store_reports(
        conn,
        list(pending.values()),
        peer,
        rates,
        ids or IdentifierIds(),
        rejections,
        written,
        created,
    )
    withdrawn, held_newer = withdraw_copies(conn, revoked, peer or "", rejections)
    if created is not None:
        created.record(conn)  # last: the log's head stays locked until the commit
    stored = len(objects) - len(rejections)
    return ImportOutcome(
        len(objects),
        stored,
        len(rejections),
        new,
        updated,
        unchanged + echoes + held_newer + superseded,
        tuple(rejections),
        withdrawn,
        tuple(written),
    )


_TWICE = "given twice in this page with different content"


def _merged_requests(
    conn: Connection,
    requests: Sequence[Mapping[str, Any]],
    peer: str | None,
    created: NewOrgs | None,
) -> list[tuple[str | None, str]]:
    """`import_requests`, and what its requests create on their way recorded by CREATED: the
    organizations new here (a party), and the key of the peer's node pinned on first use
    (`node key pin by sync pull`, target `ORIGIN FINGERPRINT`: whose signatures this node
    trusts from then on). The federation creates them itself; they are the names and pins that
    appear meanwhile. Names are read under the lock of organization names (`lock_names`),
    which every creator of one holds until it commits: none but these requests' can appear
    in between. Pins are those made on first use: an operator's (`org add --node-key`) is
    that command's, and the pin of a node another pull of it made at the same moment is the
    rare one taken for this page's."""
    if not requests or created is None:
        return import_requests(conn, requests, peer=peer)
    lock_names(conn, "organization")
    names = sa.select(organizations.c.name)
    pins = sa.select(peer_keys.c.origin, peer_keys.c.fingerprint).where(
        peer_keys.c.pinned_by == "first use"
    )
    before = set(conn.execute(names).scalars())
    pinned = {(str(o), str(f)) for o, f in conn.execute(pins)}
    rejections = import_requests(conn, requests, peer=peer)
    for name in sorted(set(conn.execute(names).scalars()) - before):
        created.created(str(name))
    for origin, fingerprint in sorted({(str(o), str(f)) for o, f in conn.execute(pins)} - pinned):
        created.also(None, "node key pin by sync pull", f"{origin} {fingerprint}", 201)
    return rejections


def _poster_view(conn: Connection, org_id: int, org: str | None) -> Viewer:
    """What the organization posting a TAXII envelope may see (its groups, as its keys)."""
    groups = conn.execute(
        sa.select(group_members.c.group_id).where(group_members.c.org_id == org_id)
    ).scalars()
    return Viewer(org_id, org, group_ids=frozenset(int(g) for g in groups))


def _ids_held_elsewhere(
    conn: Connection,
    pending: Mapping[tuple[str, str], tuple[_Report, int | None]],
    gone: set[tuple[str, str, str]],
    rejections: list[tuple[str | None, str]],
    viewer: Viewer | None,
) -> list[tuple[str, str]]:
    """The keys of PENDING whose STIX id this node holds for another report
    (`bigfish.interop.held_ids`), each rejected naming the object and its `id`. In one page or
    envelope, the first report under an id holds it; a copy the page revokes (GONE: STIX id,
    organization, report id) no longer does. VIEWER, the organization posting (a TAXII POST,
    which is answered with the rejections), is refused only an id held by a report it may
    see: a refusal for a hidden one would tell it that a report it may not see exists (an id
    made of an organization and a report_id can be guessed). A pull's rejections stay on this
    node: every holder counts."""
    wanted: dict[str, tuple[str, str]] = {}
    refused: list[tuple[str, str]] = []
    for key, (r, _) in pending.items():
        first = wanted.setdefault(r.stix_id[:200], key)
        if first != key:
            refused.append(key)
            named = f"{first[0]}/{first[1]}"  # both sent by this sender: it may be named
            rejections.append((r.stix_id, f"id: given before in this page for report {named}"))
    holders = stix_id_holders(conn, wanted, viewer)
    for stix_id, key in wanted.items():
        kept = [h for h in holders.get(stix_id, []) if (stix_id, *h.key) not in gone]
        holder = first_other(kept, key)
        if holder is None:
            continue
        refused.append(key)
        mine = sorted(h.report_id for h in kept if h.org == key[0] and h.key != key)
        if mine:  # the sender's own report: it may be named
            held = f"this organization's report {mine[0]}"
        else:  # another's: neither named nor confirmed beyond what the sender already sent
            held = "a report of another organization"
        rejections.append(
            (
                pending[key][0].stix_id,
                f"id: {stix_id} is held on this node for {held}; a STIX"
                " id is its author's: send the report under an id of its own",
            )
        )
    return refused


def _repeated_report(
    earlier: _Report,
    earlier_obj: Mapping[str, Any],
    stix_id: str,
    modified: datetime,
    obj: Mapping[str, Any],
) -> str | None:
    """Why report OBJ, whose organization and report_id the page gave before (EARLIER, as
    EARLIER_OBJ), is rejected; None when it is a version of the same object (the newest one
    is stored) or the same object again. Another object under that report_id, or one version
    given twice with different content, is rejected naming the first: never kept silently in
    place of the other."""
    if stix_id != earlier.stix_id:
        named = f"{earlier.org}/{earlier.report.report_id}"
        return f"report {named} was given before in this page as {earlier.stix_id}"
    if modified == earlier.modified and obj != earlier_obj:
        return f"{_TWICE}; this copy is not read"
    return None


NUL_REASON = "holds a NUL character (U+0000), which this node cannot store"


def shown_id(ident: object) -> str | None:
    """An object's id as a rejection may keep it: text, its NUL characters written out."""
    return escape_nul(ident) if isinstance(ident, str) else None


_POSTED_REVOCATION = (
    "a revoked report is not taken by POST: delete the report"
    " (DELETE /api/v1/reports/ORG/REPORT_ID) or re-mark it"
)


def _modified(obj: Mapping[str, Any]) -> datetime:
    """The object's version; ValueError naming the field when it is not a timestamp in range."""
    text = str(obj.get("modified") or obj.get("published"))
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # 9999-12-31T23:59:59-01:00 overflows in UTC
        raise InputError("not an RFC 3339 timestamp in range", field="modified") from None


def _store_reports(
    conn: Connection,
    items: list[tuple[_Report, int | None]],
    peer: str | None,
    rates: Rates | None,
    ids: IdentifierIds,
    rejections: list[tuple[str | None, str]],
    written: list[int],
    created: NewOrgs | None = None,
) -> tuple[int, int, int]:
    """Write ITEMS (each with its group id) as their organizations' reports, newer versions
    only; (new, updated, unchanged), the keys of the reports written added to WRITTEN. A report
    the store refuses (a value it cannot keep) is added to REJECTIONS with its STIX id and the
    reason, and the others are written.

    Organizations are written in the order of their names, not the envelope's: each takes its
    organization's row (created when new, then `write_batch` locks it), so two envelopes naming
    the same organizations in opposite orders each waited for the other (a deadlock on
    PostgreSQL, which undoes one; `Store.transaction` runs it again after deadlock_timeout).
    An organization created is recorded by CREATED."""
    by_org: dict[str, list[tuple[_Report, int | None]]] = {}
    for item in items:
        by_org.setdefault(item[0].org, []).append(item)
    org_ids: dict[str, int] = {}
    new = updated = unchanged = 0
    now = datetime.now(UTC)
    for org in sorted(by_org):
        group = by_org[org]
        org_id = _org_id(conn, org, peer, org_ids, created)
        held = _held_versions(conn, org_id, [r.report.report_id for r, _ in group])
        fresh = [
            (r, g)
            for r, g in group
            if r.report.report_id not in held or held[r.report.report_id][1] < r.modified
        ]
        unchanged += len(group) - len(fresh)
        if not fresh:
            continue
        run_id = int(
            conn.execute(
                ingest_runs.insert()
                .values(org_id=org_id, source=peer or "taxii", started_at=now, finished_at=now)
                .returning(ingest_runs.c.id)
            ).scalar_one()
        )
        batch = [Pending(r.report, prepare_mentions(r.report), peer, None, g) for r, g in fresh]
        outcome = write_batch(
            conn,
            org_id=org_id,
            run_id=run_id,
            batch=batch,
            ids=ids,
            rates=rates or node_rates(),
        )
        new += outcome.stored
        updated += outcome.updated
        received = len(fresh)
        refused = {p.report.report_id for p, _ in outcome.duplicates}
        sent_as = {r.report.report_id: r.stix_id for r, _ in fresh}  # one lookup per refusal
        for p, reason in outcome.duplicates:  # a value the store cannot keep: this one alone
            rejections.append((sent_as[p.report.report_id], reason))
        fresh = [(r, g) for r, g in fresh if r.report.report_id not in refused]
        after = _held_versions(conn, org_id, [r.report.report_id for r, _ in fresh])
        written.extend(outcome.written)  # not those sent again unchanged: no alert is new
        upsert(
            conn,
            interop_imports,
            [
                {
                    "report_pk": after[r.report.report_id][0],
                    "stix_id": r.stix_id[:200],
                    "modified": r.modified,
                    "peer": peer,
                }
                for r, _ in fresh
            ],
            ["report_pk"],
        )
        conn.execute(
            ingest_runs.update()
            .where(ingest_runs.c.id == run_id)
            .values(received=received, stored=outcome.stored, updated=outcome.updated)
        )
    return new, updated, unchanged

"""Organizations of the partnership and their sharing groups."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish import vocab
from bigfish.confusables import LOOKALIKE, looks_alike, refuse_mixed_script
from bigfish.errors import InputError, NotFound
from bigfish.store import Store
from bigfish.store.name_locks import lock_names
from bigfish.store.schema import group_members, organizations, sharing_groups
from bigfish.store.schema_interop import peer_keys

if TYPE_CHECKING:
    from bigfish.audit import ConsoleAudit

SECTORS = ("anti_scam_centre", "police", "bank", "telco", "international", "regulator", "other")


@dataclass(frozen=True, slots=True)
class Organization:
    """An organization of the partnership."""

    id: int
    name: str
    country: str | None
    sector: str | None


def _check_name(name: str) -> str:
    name = name.strip()
    if (
        not name
        or len(name) > 100
        or any(c.isspace() or not c.isprintable() for c in name)  # NUL, controls, zero-width
        or "/" in name
        or name in (".", "..")  # a path step in every link to the organization's reports
    ):
        raise InputError(
            "an organization name is 1-100 printable characters without spaces or '/', "
            "not '.' or '..'",
            field="name",
        )
    return name


def _lookalike(conn: Connection, column: sa.Column[str], name: str) -> str | None:
    """A name in COLUMN other than NAME that shows like it (`looks_alike`), or None. Both tables
    stay small (a partnership's organizations and groups), so they are read whole."""
    return next(
        (
            str(taken)
            for taken in conn.execute(sa.select(column)).scalars()
            if taken != name and looks_alike(str(taken), name)
        ),
        None,
    )


def check_new_org(
    conn: Connection, name: str, *, field: str = "name", advice: str | None = None
) -> None:
    """InputError (FIELD, naming the name taken) when NAME, an organization this node does not
    have, would show like one it has (`looks_alike`) or mixes scripts in a word. Every new
    organization passes here: `org add`, `ingest --org`, and those a peer's import creates.
    ADVICE ends the refusal (by default: use the name taken, or another), for a caller whose
    reader cannot simply use the name taken (a peer, which speaks only for its own).
    It takes the lock of organization names (`lock_names`), held until CONN's transaction ends:
    create the organization in that transaction, and no look-alike is created meanwhile."""
    refuse_mixed_script(name, what="organization", field=field)
    lock_names(conn, "organization")
    taken = _lookalike(conn, organizations.c.name, name)
    if taken is not None:
        raise InputError(
            f"organization {name!r} would show like organization {taken!r}: it {LOOKALIKE}; "
            f"{advice or f'use {taken!r}, or another name'}",
            field=field,
        )


class NewOrgs:
    """The audit rows of the organizations one transaction creates, appended in that
    transaction beside the organizations' rows, so that an organization never stands on the
    node without the row that says when and why it appeared: by AUDIT's actor (`console:<OS
    user>`), its head signed as AUDIT signs. ACTION says what created it (`org add`, `org add
    by ingest`, `org add by sync pull`), SOURCE what brought its name (the file read, the peer
    pulled; never a key): the row's target is `NAME from SOURCE`, or NAME alone without one.

    `created` notes each organization (`also`: another change the transaction makes on its
    way, such as a peer's node key pinned on first use), `record` appends the rows of those
    noted (last in the transaction: the log's head stays locked until the commit, and a lock
    taken after it could wait for a writer that waits for the head), `committed` marks the
    head signed once the transaction has committed. One per transaction: one run again after
    the database undid it takes a new one."""

    def __init__(self, audit: ConsoleAudit, action: str, source: str | None = None) -> None:
        self.audit = audit
        self.action = action
        self.source = source
        self.names: list[str] = []  # the organizations noted, in order
        self._recorded = 0
        self._also: list[tuple[str | None, str, str, int]] = []
        self._marks: list[Callable[[], None]] = []

    def created(self, name: str) -> None:
        """Note that organization NAME was created in the transaction."""
        self.names.append(name)

    def also(self, org: str | None, action: str, target: str, status: int) -> None:
        """Note another change of the transaction, recorded as `ConsoleAudit.done` takes it."""
        self._also.append((org, action, target, status))

    def record(self, conn: Connection) -> None:
        """Append, in CONN's transaction, the rows of the changes noted since the last call
        (the organizations first; none: nothing is written)."""
        new, self._recorded = self.names[self._recorded :], len(self.names)
        rows = [(name, self.action, self._target(name), 201) for name in new] + self._also
        self._also = []
        if rows:
            self._marks.append(self.audit.within(conn, rows))

    def _target(self, name: str) -> str:
        return name if self.source is None else f"{name} from {self.source}"

    def committed(self) -> None:
        """The transaction committed: mark the log's head signed up to its rows."""
        marks, self._marks = self._marks, []
        for mark in marks:
            mark()


def _group_taken(conn: Connection, name: str) -> str | None:
    """The sharing group named NAME, or one that would show like it (`looks_alike`: case,
    Unicode form, accents, letters and digits drawn alike); None when there is none."""
    alike = [
        str(taken)
        for taken in conn.execute(sa.select(sharing_groups.c.name)).scalars()
        if looks_alike(str(taken), name)
    ]
    return name if name in alike else next(iter(alike), None)


def group_name_taken(conn: Connection, name: str) -> bool:
    """True when a sharing group is named NAME or like it (`_group_taken`)."""
    return _group_taken(conn, name) is not None


def _check_country(country: str | None) -> str | None:
    if country is None:
        return None
    code = country.strip().upper()
    if code not in vocab.countries():
        raise InputError(f"unknown ISO 3166 country code {country!r}", field="country")
    return code


def add_org(
    store: Store,
    name: str,
    *,
    country: str | None = None,
    sector: str | None = None,
    node: str | None = None,
    audit: NewOrgs | None = None,
) -> Organization:
    """Create organization NAME; an existing name is an error. NODE is the URL of the partner
    node it lives on (None: this node); only that node may speak for it in cooperation
    requests (`bigfish.cooperation.federation`). AUDIT records it in the audit log, in the
    same transaction (None: no row, for a caller that writes its own)."""
    name = _check_name(name)
    code = _check_country(country)
    if sector is not None and sector not in SECTORS:
        raise InputError(f"sector must be one of {', '.join(SECTORS)}", field="sector")
    if node is not None:
        parts = urlsplit(node)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(node) > 200:
            raise InputError("node must be the http(s) URL of a partner node", field="node")
    with store.begin() as conn:
        lock_names(conn, "organization")  # before the read: one created at once is seen
        if conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first():
            raise InputError(f"organization {name!r} already exists", field="name")
        check_new_org(conn, name)
        org_id = conn.execute(
            organizations.insert()
            .values(name=name, country=code, sector=sector, node=node, created_at=datetime.now(UTC))
            .returning(organizations.c.id)
        ).scalar_one()
        if audit is not None:
            audit.created(name)
            audit.record(conn)
    if audit is not None:
        audit.committed()
    return Organization(int(org_id), name, code, sector)


def ensure_org(
    conn: Connection, name: str, *, country: str | None = None, audit: NewOrgs | None = None
) -> int:
    """The id of organization NAME, created if missing (as `bigfish ingest --org` does), and
    then noted in AUDIT (its caller records it, last in CONN's transaction: `NewOrgs`)."""
    name = _check_name(name)
    held = sa.select(organizations.c.id).where(organizations.c.name == name)
    row = conn.execute(held).first()
    if row is None:  # read again under the lock: another run may be creating it right now
        lock_names(conn, "organization")
        row = conn.execute(held).first()
    if row is not None:
        return int(row[0])
    check_new_org(conn, name)  # `--org bank` beside Bank would split Bank's reports
    result = conn.execute(
        organizations.insert()
        .values(name=name, country=_check_country(country), created_at=datetime.now(UTC))
        .returning(organizations.c.id)
    )
    org_id = int(result.scalar_one())
    if audit is not None:
        audit.created(name)
    return org_id


def list_orgs(store: Store) -> list[Organization]:
    """Every organization, by name."""
    with store.connect() as conn:
        rows = conn.execute(sa.select(organizations).order_by(organizations.c.name)).all()
    return [Organization(r.id, r.name, r.country, r.sector) for r in rows]


@dataclass(frozen=True, slots=True)
class OrgNode:
    """Organization ORG and the node it lives on: NODE, the URL of the partner node that alone
    speaks for it in cooperation requests (None: this node's own), and KEY, the fingerprint
    (SHA-256, 64 hex digits) of the key pinned for that node, PINNED_BY the operator or on first
    use (None, None: no key pinned yet, so the first the node signs with will be)."""

    org: Organization
    node: str | None
    key: str | None
    pinned_by: str | None


def list_org_nodes(store: Store) -> list[OrgNode]:
    """Every organization, by name, with its node and the key pinned for that node: the
    binding a peer's changes are checked against (`bigfish.cooperation.federation`)."""
    # imported here: federation imports this module; node_origin is how peer_keys is keyed
    from bigfish.cooperation.federation import node_origin

    with store.connect() as conn:
        rows = conn.execute(sa.select(organizations).order_by(organizations.c.name)).all()
        pins = {
            str(p.origin): (str(p.fingerprint), str(p.pinned_by))
            for p in conn.execute(sa.select(peer_keys)).all()
        }
    found = []
    for r in rows:
        key, pinned_by = pins.get(node_origin(r.node), (None, None)) if r.node else (None, None)
        found.append(
            OrgNode(Organization(r.id, r.name, r.country, r.sector), r.node, key, pinned_by)
        )
    return found


def get_org(conn: Connection, name: str) -> Organization:
    """Organization NAME or NotFound."""
    if "\x00" in name or any("\ud800" <= c <= "\udfff" for c in name):
        # no organization is named so (`_check_name`), and neither database takes the text: a
        # NUL failed on PostgreSQL, a lone surrogate (a JSON list item may hold one) on both
        raise NotFound("organization", name)
    row = conn.execute(sa.select(organizations).where(organizations.c.name == name)).first()
    if row is None:
        raise NotFound("organization", name)
    return Organization(row.id, row.name, row.country, row.sector)


@dataclass(frozen=True, slots=True)
class SharingGroup:
    """A sharing group: its members see what is distributed to it."""

    id: int
    name: str
    owner: str
    members: tuple[str, ...]


def add_group(
    store: Store, name: str, *, owner: str, members: list[str], taken_answer: str | None = None
) -> SharingGroup:
    """Create sharing group NAME owned by OWNER with MEMBERS (the owner is always a member).
    A name taken, or like a taken one, is refused naming the group taken (the operator's
    console), or with TAKEN_ANSWER when given, which names none (an admin's API call:
    `bigfish.memberships.create_group`). Checked under the lock of group names
    (`lock_names`), held until the group is created."""
    name = name.strip()
    if (
        not name
        or len(name) > 100
        or "/" in name  # a group is addressed by its name in a URL path (the API's routes)
        or name in (".", "..")
        or name == "0"  # what a submission's group may not be (a zero id), so never usable
        or not name.isprintable()
    ):
        raise InputError(
            "a group name is 1-100 printable characters without '/', not '.', '..' or '0'",
            field="name",
        )
    with store.begin() as conn:
        lock_names(conn, "group")
        taken = _group_taken(conn, name)
        if taken is not None and taken_answer is not None:
            raise InputError(taken_answer, field="name")
        if taken == name:
            raise InputError(f"sharing group {name!r} already exists", field="name")
        if taken is not None:
            raise InputError(
                f"sharing group {name!r} would show like sharing group {taken!r}: its name "
                f"{LOOKALIKE}",
                field="name",
            )
        refuse_mixed_script(name, what="group", field="name")
        owner_org = get_org(conn, owner)
        # a member named twice (`--org C --org C`, a form's list) is one member
        orgs = [owner_org] + [get_org(conn, m) for m in dict.fromkeys(members) if m != owner]
        group_id = conn.execute(
            sharing_groups.insert()
            .values(
                name=name,
                owner_org_id=owner_org.id,
                community_key=secrets.token_hex(32),
                created_at=datetime.now(UTC),
            )
            .returning(sharing_groups.c.id)
        ).scalar_one()
        conn.execute(group_members.insert(), [{"group_id": group_id, "org_id": o.id} for o in orgs])
    return SharingGroup(int(group_id), name, owner_org.name, tuple(sorted(o.name for o in orgs)))


def group_id_by_name(conn: Connection, name: str) -> int:
    """The id of sharing group NAME or NotFound."""
    row = conn.execute(sa.select(sharing_groups.c.id).where(sharing_groups.c.name == name)).first()
    if row is None:
        raise NotFound("sharing group", name)
    return int(row[0])

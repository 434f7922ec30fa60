"""Credentials: API keys (shown once, only a SHA-256 hash stored), users with argon2 passwords,
and who may manage whose credentials and groups.

An API key is 256 random bits; a fast keyed-free hash is enough for such a key (nothing to
brute-force), while user passwords, which people choose, get argon2id. The key determines the
organization and the role of every request, never a field in a body.

Rules of administration (spec/security-tests.md class 8): an organization's admin manages the
keys, users and groups of its own organization only; only a platform admin creates organizations,
platform-admin keys or credentials of another organization.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from bigfish.confusables import LOOKALIKE, looks_alike, refuse_mixed_script
from bigfish.errors import AccessDenied, InputError, NotFound
from bigfish.models import ApiRole
from bigfish.organizations import get_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.name_locks import lock_names
from bigfish.store.schema import group_members, organizations
from bigfish.store.schema_access import api_keys, users

KEY_PREFIX = "bf_"
_HASHER = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a credential is: the organization and role, and whether it is a platform admin."""

    actor: str  # "key:12" or "user:alice", for the audit log
    org_id: int
    org_name: str
    role: ApiRole
    platform: bool
    group_ids: frozenset[int]

    def viewer(self) -> Viewer:
        """The policy's view of this principal: never the node operator."""
        return Viewer(self.org_id, self.org_name, self.role, self.group_ids, operator=False)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly created key: `secret` is shown once and never stored."""

    id: int
    org: str
    role: ApiRole
    platform: bool
    secret: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What is kept about a key: never the key itself."""

    id: int
    org: str
    role: ApiRole
    platform: bool
    prefix: str  # the first characters of the key's hash
    label: str | None
    created_at: datetime
    revoked: bool


def hash_key(secret: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_role(role: str, *, for_user: bool = False) -> ApiRole:
    """ROLE as an ApiRole, or InputError naming the field and the roles there are (FOR_USER:
    those of web users, who are never `sync`)."""
    try:
        return ApiRole(role)
    except ValueError:
        roles = [r for r in ApiRole if not (for_user and r is ApiRole.SYNC)]
        known = ", ".join(r.value for r in roles)
        raise InputError(f"unknown role {role!r} (one of {known})", field="role") from None


def _check_grant(granter: Principal | None, org_id: int, platform: bool) -> None:
    """May GRANTER manage credentials of ORG_ID (None: the operator at the console)?"""
    if granter is None:
        return
    if granter.role is not ApiRole.ADMIN:
        raise AccessDenied("only an admin manages credentials")
    if platform and not granter.platform:
        raise AccessDenied("only a platform admin creates platform-admin credentials")
    if org_id != granter.org_id and not granter.platform:
        raise AccessDenied("an organization admin manages its own organization only")


def create_key(
    store: Store,
    *,
    org: str,
    role: ApiRole,
    platform: bool = False,
    label: str | None = None,
    granter: Principal | None = None,
) -> NewKey:
    """A new API key for ORG; GRANTER None means the operator at the console."""
    if platform and role is not ApiRole.ADMIN:
        raise InputError("a platform key has the admin role", field="platform")
    _check_label(label)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.begin() as conn:
        organization = get_org(conn, org)
        _check_grant(granter, organization.id, platform)
        key_id = conn.execute(
            api_keys.insert()
            .values(
                org_id=organization.id,
                key_hash=hash_key(secret),
                prefix=hash_key(secret)[:8],  # tells keys apart, reveals nothing
                role=role.value,
                platform=platform,
                label=label,
                created_at=datetime.now(UTC),
            )
            .returning(api_keys.c.id)
        ).scalar_one()
    return NewKey(int(key_id), organization.name, role, platform, secret)


def _check_label(label: str | None) -> None:
    """A label is shown in `bigfish key list`, one key a line, on the operator's terminal: a
    line break, tab, escape sequence or direction override in it would forge or hide lines."""
    if label is not None and (len(label) > 200 or not label.isprintable()):
        raise InputError(
            "a key label is at most 200 printable characters, without line breaks, tabs or "
            "control characters",
            field="label",
        )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _key_info(row: sa.Row[tuple[object, ...]]) -> KeyInfo:
    m = row._mapping
    return KeyInfo(
        id=int(m["id"]),
        org=str(m["name"]),
        role=ApiRole(m["role"]),
        platform=bool(m["platform"]),
        prefix=str(m["prefix"]),
        label=m["label"],
        created_at=_utc(m["created_at"]),
        revoked=m["revoked_at"] is not None,
    )


def list_keys(store: Store, granter: Principal | None, org: str | None = None) -> list[KeyInfo]:
    """Keys of ORG (default: the granter's organization) that GRANTER may manage."""
    with store.connect() as conn:
        query = sa.select(api_keys, organizations.c.name).join(
            organizations, organizations.c.id == api_keys.c.org_id
        )
        if org is not None:
            org_id = get_org(conn, org).id
            _check_grant(granter, org_id, False)
            query = query.where(api_keys.c.org_id == org_id)
        elif granter is not None:
            _check_grant(granter, granter.org_id, False)
            query = query.where(api_keys.c.org_id == granter.org_id)
        if granter is not None and not granter.platform:
            query = query.where(api_keys.c.platform.is_(False))
        rows = conn.execute(query.order_by(api_keys.c.id)).all()
    return [_key_info(r) for r in rows]


def revoke_key(store: Store, key_id: int, granter: Principal | None = None) -> None:
    """Revoke key KEY_ID; effective on the next request. A key GRANTER may not manage is
    reported as not found, like a key that does not exist."""
    with store.begin() as conn:
        row = conn.execute(
            sa.select(api_keys.c.org_id, api_keys.c.platform).where(api_keys.c.id == key_id)
        ).first()
        if row is None:
            raise NotFound("api key", str(key_id))
        try:
            _check_grant(granter, int(row.org_id), bool(row.platform))
        except AccessDenied:
            raise NotFound("api key", str(key_id)) from None
        conn.execute(
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )


def _groups_of(conn: Connection, org_id: int) -> frozenset[int]:
    rows = conn.execute(sa.select(group_members.c.group_id).where(group_members.c.org_id == org_id))
    return frozenset(int(r[0]) for r in rows)


def viewer_as(store: Store, org: str) -> Viewer:
    """What ORG sees, for the operator at the console (`--as-org`): its organization and the
    sharing groups it belongs to, as its API keys would."""
    with store.connect() as conn:
        found = get_org(conn, org)
        return Viewer(found.id, found.name, group_ids=_groups_of(conn, found.id))


_AUTH_QUERY = (
    sa.select(
        api_keys.c.id,
        api_keys.c.org_id,
        api_keys.c.role,
        api_keys.c.platform,
        organizations.c.name,
        group_members.c.group_id,
    )
    .join(organizations, organizations.c.id == api_keys.c.org_id)
    .outerjoin(group_members, group_members.c.org_id == api_keys.c.org_id)
    .where(api_keys.c.key_hash == sa.bindparam("key_hash"), api_keys.c.revoked_at.is_(None))
)


def authenticate_key(conn: Connection, secret: str) -> Principal | None:
    """The principal of API key SECRET, or None for an unknown or revoked key.

    Read on every request, never cached: a revocation or a group change counts at once."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    rows = conn.execute(_AUTH_QUERY, {"key_hash": hash_key(secret)}).all()
    if not rows:
        return None
    row = rows[0]
    return Principal(
        actor=f"key:{row.id}",
        org_id=int(row.org_id),
        org_name=str(row.name),
        role=ApiRole(row.role),
        platform=bool(row.platform),
        group_ids=frozenset(int(r.group_id) for r in rows if r.group_id is not None),
    )


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in to the web application."""

    id: int
    username: str
    org: str
    role: ApiRole
    disabled: bool = False


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or any(c.isspace() or not c.isprintable() for c in name):
        raise InputError(
            "a username is 1-100 printable characters without spaces", field="username"
        )
    return name


def _check_username_lookalike(conn: Connection, name: str) -> None:
    """InputError (field username, naming the user taken) when NAME, a new username, would show
    like a user's name held here or mixes scripts in a word: a username is who did it in the
    audit log and on a cooperation request a partner reads (`bigfish.confusables`). Read under
    the lock of usernames (`lock_names`): create the user in CONN's transaction."""
    refuse_mixed_script(name, what="user", field="username")
    lock_names(conn, "user")
    for taken in conn.execute(sa.select(users.c.username)).scalars():
        if looks_alike(str(taken), name):
            raise InputError(
                f"username {name!r} would show like user {str(taken)!r}: it {LOOKALIKE}",
                field="username",
            )


def add_user(
    store: Store,
    *,
    org: str,
    username: str,
    password: str,
    role: ApiRole,
    granter: Principal | None = None,
) -> User:
    """Create a web user of ORG with an argon2id password hash."""
    name = _check_username(username)
    _check_password(password)
    if role is ApiRole.SYNC:
        raise InputError("the sync role is for API keys of peers, not for users", field="role")
    password_hash = _HASHER.hash(password)  # before the lock below: it takes a while
    with store.begin() as conn:
        lock_names(conn, "user")  # before the read: a user created at once is seen
        organization = get_org(conn, org)
        _check_grant(granter, organization.id, False)
        if conn.execute(sa.select(users.c.id).where(users.c.username == name)).first():
            raise InputError(f"user {name!r} already exists", field="username")
        _check_username_lookalike(conn, name)
        user_id = conn.execute(
            users.insert()
            .values(
                org_id=organization.id,
                username=name,
                password_hash=password_hash,
                role=role.value,
                created_at=datetime.now(UTC),
            )
            .returning(users.c.id)
        ).scalar_one()
    return User(int(user_id), name, organization.name, role)


def disable_user(store: Store, username: str, *, disabled: bool = True) -> None:
    """Disable (or enable again) USERNAME: a disabled user cannot sign in, and its sessions end
    at their next request."""
    with store.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(disabled_at=datetime.now(UTC) if disabled else None)
        )
        if disabled:
            _end_sessions(conn, user_id)


def set_password(store: Store, username: str, password: str) -> None:
    """Give USERNAME a new password (argon2id); every session it had ends."""
    _check_password(password)
    with store.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(
            users.update().where(users.c.id == user_id).values(password_hash=_HASHER.hash(password))
        )
        _end_sessions(conn, user_id)


def _user_id(conn: Connection, username: str) -> int:
    found = conn.execute(sa.select(users.c.id).where(users.c.username == username.strip())).first()
    if found is None:
        raise NotFound("user", username)
    return int(found[0])


def _end_sessions(conn: Connection, user_id: int) -> None:
    from bigfish.store.schema_web import web_sessions

    conn.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise InputError("a password has at least 12 characters", field="password")
    if len(password) > 1000:
        raise InputError("a password has at most 1000 characters", field="password")


def authenticate_user(store: Store, username: str, password: str) -> Principal | None:
    """The principal of a user whose password matches, else None (same answer for any failure)."""
    with store.connect() as conn:
        row = conn.execute(
            sa.select(users, organizations.c.name)
            .join(organizations, organizations.c.id == users.c.org_id)
            .where(users.c.username == username.strip(), users.c.disabled_at.is_(None))
        ).first()
        if row is None:
            _HASHER.hash(password)  # the same work as a real check: no user enumeration by time
            return None
        try:
            _HASHER.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return Principal(
            actor=f"user:{row.username}",
            org_id=int(row.org_id),
            org_name=str(row.name),
            role=ApiRole(row.role),
            platform=False,
            group_ids=_groups_of(conn, int(row.org_id)),
        )


def user_viewers(store: Store) -> list[Viewer]:
    """The policy viewer of every organization with an enabled web user, once each (what a
    signed-in user's pages show depends on the organization and its groups alone)."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.id, organizations.c.name)
            .where(
                organizations.c.id.in_(
                    sa.select(users.c.org_id).where(users.c.disabled_at.is_(None))
                )
            )
            .order_by(organizations.c.id)
        ).all()
        return [
            Viewer(int(r.id), str(r.name), ApiRole.READONLY, _groups_of(conn, int(r.id)))
            for r in rows
        ]


def list_users(store: Store, granter: Principal | None) -> list[User]:
    """Users of the granter's organization (every user for the operator)."""
    query = sa.select(users, organizations.c.name).join(
        organizations, organizations.c.id == users.c.org_id
    )
    if granter is not None:
        _check_grant(granter, granter.org_id, False)
        query = query.where(users.c.org_id == granter.org_id)
    with store.connect() as conn:
        rows = conn.execute(query.order_by(users.c.username)).all()
    return [
        User(int(r.id), str(r.username), str(r.name), ApiRole(r.role), r.disabled_at is not None)
        for r in rows
    ]

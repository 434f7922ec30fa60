"""Organizations of the partnership and their sharing groups."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish import vocab
from bigfish.errors import InputError, NotFound
from bigfish.store import Store
from bigfish.store.schema import group_members, organizations, sharing_groups

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


def _name_key(name: str) -> str:
    """NAME as organization and group names are told apart: whatever its case, its Unicode
    form (composed or not, fullwidth or not) and its runs of spaces (a page shows one). Two
    names with one key would show alike in every list and page, so the second is refused."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def _lookalike(conn: Connection, column: sa.Column[str], name: str) -> str | None:
    """A name in COLUMN other than NAME with NAME's key, or None. Both tables stay small (a
    partnership's organizations and groups), so they are read whole."""
    key = _name_key(name)
    return next(
        (
            str(taken)
            for taken in conn.execute(sa.select(column)).scalars()
            if taken != name and _name_key(taken) == key
        ),
        None,
    )


def _check_org_lookalike(conn: Connection, name: str) -> None:
    taken = _lookalike(conn, organizations.c.name, name)
    if taken is not None:
        raise InputError(
            f"organization {name!r} differs from organization {taken!r} only in case or "
            f"Unicode form; use {taken!r}, or another name",
            field="name",
        )


def group_name_taken(conn: Connection, name: str) -> bool:
    """True when a sharing group is named NAME, whatever its case and Unicode form."""
    key = _name_key(name)
    return any(
        _name_key(str(taken)) == key
        for taken in conn.execute(sa.select(sharing_groups.c.name)).scalars()
    )


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
) -> Organization:
    """Create organization NAME; an existing name is an error. NODE is the URL of the partner
    node it lives on (None: this node); only that node may speak for it in cooperation
    requests (`bigfish.cooperation.federation`)."""
    name = _check_name(name)
    code = _check_country(country)
    if sector is not None and sector not in SECTORS:
        raise InputError(f"sector must be one of {', '.join(SECTORS)}", field="sector")
    if node is not None:
        parts = urlsplit(node)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(node) > 200:
            raise InputError("node must be the http(s) URL of a partner node", field="node")
    with store.begin() as conn:
        if conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first():
            raise InputError(f"organization {name!r} already exists", field="name")
        _check_org_lookalike(conn, name)
        org_id = conn.execute(
            organizations.insert()
            .values(name=name, country=code, sector=sector, node=node, created_at=datetime.now(UTC))
            .returning(organizations.c.id)
        ).scalar_one()
    return Organization(int(org_id), name, code, sector)


def ensure_org(conn: Connection, name: str, *, country: str | None = None) -> int:
    """The id of organization NAME, created if missing (as `bigfish ingest --org` does)."""
    name = _check_name(name)
    row = conn.execute(sa.select(organizations.c.id).where(organizations.c.name == name)).first()
    if row is not None:
        return int(row[0])
    _check_org_lookalike(conn, name)  # `--org bank` beside Bank would split Bank's reports
    result = conn.execute(
        organizations.insert()
        .values(name=name, country=_check_country(country), created_at=datetime.now(UTC))
        .returning(organizations.c.id)
    )
    return int(result.scalar_one())


def list_orgs(store: Store) -> list[Organization]:
    """Every organization, by name."""
    with store.connect() as conn:
        rows = conn.execute(sa.select(organizations).order_by(organizations.c.name)).all()
    return [Organization(r.id, r.name, r.country, r.sector) for r in rows]


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


def add_group(store: Store, name: str, *, owner: str, members: list[str]) -> SharingGroup:
    """Create sharing group NAME owned by OWNER with MEMBERS (the owner is always a member)."""
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
        if group_name_taken(conn, name):
            raise InputError(
                f"sharing group {name!r} already exists, or one whose name differs from it "
                "only in case or Unicode form",
                field="name",
            )
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

"""Blinded (privacy-preserving) matching with a sharing group's community key.

A partner blinds its values offline (`bigfish blind FILE`, spec/identifiers.md:
``HMAC-SHA256(key, "v1|" + kind + "|" + canonical)``) and sends only the blinded forms; the node
answers with the blinded values that match something the caller may see, with counts, and says
nothing about the others. The node keeps an index of the blinded forms of its valid identifiers
per group, filled on demand, so a match is an indexed join and not a hash of every value.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bigfish.errors import InputError, NotFound
from bigfish.identifiers import blind, normalize
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store
from bigfish.store.schema import group_members, identifiers, mentions, reports, sharing_groups
from bigfish.store.schema_access import blind_index

MAX_BATCH = 10_000
_CHUNK = 500
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Match:
    """A blinded value that matches reports the caller may see."""

    blinded: str
    report_count: int


@dataclass(frozen=True, slots=True)
class GroupKey:
    """A sharing group and its community key (a secret: never logged or exported, so not in
    its repr either: a traceback with locals or a debug log of one would carry the key)."""

    group_id: int
    key: bytes = field(repr=False)


def _member_groups(conn: Connection, viewer: Viewer, group: str | None) -> list[GroupKey]:
    query = sa.select(sharing_groups.c.id, sharing_groups.c.community_key)
    if not viewer.operator:
        query = query.join(group_members, group_members.c.group_id == sharing_groups.c.id).where(
            group_members.c.org_id == viewer.org_id
        )
    if group is not None:
        query = query.where(sharing_groups.c.name == group)
    rows = conn.execute(query.order_by(sharing_groups.c.id)).all()
    if group is not None and not rows:
        raise NotFound("sharing group", group)  # unknown and not-a-member look the same
    return [GroupKey(int(r.id), bytes.fromhex(r.community_key)) for r in rows]


def community_key(store: Store, group: str) -> GroupKey:
    """GROUP's community key, for the operator at the console (`bigfish blind`)."""
    with store.connect() as conn:
        return _member_groups(conn, Viewer.node_operator(), group)[0]


def rotate_community_key(conn: Connection, group_id: int) -> None:
    """Give group GROUP_ID a new community key and forget the blinded forms made with the old
    one (the index is refilled under the new key on the next match). Called when a member
    leaves, so lists blinded from then on are not readable with the key it was given; lists
    blinded before stay readable to whoever held the old key, and stop matching here."""
    conn.execute(
        sharing_groups.update()
        .where(sharing_groups.c.id == group_id)
        .values(community_key=secrets.token_hex(32))
    )
    conn.execute(blind_index.delete().where(blind_index.c.group_id == group_id))


def refresh_blind_index(conn: Connection, group: GroupKey) -> int:
    """Blind every valid identifier not yet indexed for GROUP; returns how many were added."""
    missing = (
        sa.select(identifiers.c.id, identifiers.c.kind, identifiers.c.canonical)
        .outerjoin(
            blind_index,
            sa.and_(
                blind_index.c.identifier_id == identifiers.c.id,
                blind_index.c.group_id == group.group_id,
            ),
        )
        .where(identifiers.c.valid.is_(True), blind_index.c.identifier_id.is_(None))
    )
    rows = [
        {
            "group_id": group.group_id,
            "identifier_id": int(ident_id),
            "blinded": blind(group.key, kind, canonical),
        }
        for ident_id, kind, canonical in conn.execute(missing)
    ]
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
        blind_index
    ).on_conflict_do_nothing(index_elements=["group_id", "identifier_id"])
    for start in range(0, len(rows), 5000):
        conn.execute(insert, rows[start : start + 5000])
    return len(rows)


def _clean(values: Sequence[str]) -> list[str]:
    if len(values) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} blinded values per call", field="blinded")
    cleaned = []
    for index, value in enumerate(values):
        text = value.strip().lower()
        if not _HEX64.fullmatch(text):
            raise InputError(
                "a blinded value is 64 hexadecimal characters", field=f"blinded[{index}]"
            )
        cleaned.append(text)
    return cleaned


def match_blinded(
    store: Store, viewer: Viewer, blinded: Sequence[str], group: str | None = None
) -> list[Match]:
    """The values of BLINDED that match identifiers of reports VIEWER may see, under the key of
    GROUP (default: every group VIEWER belongs to), in the order first given."""
    wanted = _clean(blinded)
    with store.begin() as conn:
        groups = _member_groups(conn, viewer, group)
        for key in groups:
            refresh_blind_index(conn, key)
        counts: dict[str, int] = {}
        unique = sorted(set(wanted))
        group_ids = [g.group_id for g in groups] or [-1]
        for start in range(0, len(unique), _CHUNK):
            query = (
                sa.select(blind_index.c.blinded, sa.func.count(sa.distinct(reports.c.id)))
                .select_from(blind_index)
                .join(mentions, mentions.c.identifier_id == blind_index.c.identifier_id)
                .join(reports, reports.c.id == mentions.c.report_pk)
                .where(
                    blind_index.c.group_id.in_(group_ids),
                    blind_index.c.blinded.in_(unique[start : start + _CHUNK]),
                    visible_reports(viewer),
                )
                .group_by(blind_index.c.blinded)
            )
            for value, count in conn.execute(query):
                counts[str(value)] = int(count)
    seen: set[str] = set()
    result = []
    for value in wanted:
        if value in counts and value not in seen:
            seen.add(value)
            result.append(Match(value, counts[value]))
    return result


@dataclass(frozen=True, slots=True)
class BlindedLine:
    """The blinded form of one input line, or why it has none."""

    line: int
    blinded: str | None
    error: str | None


def blind_lines(
    key: GroupKey, items: Iterable[tuple[int, str, str, str | None]]
) -> list[BlindedLine]:
    """Blind (line, kind, value, country) items for offline exchange; invalid values are named."""
    out = []
    for line, kind, value, country in items:
        try:
            ident = normalize(kind, value, country)
        except InputError as exc:
            out.append(BlindedLine(line, None, str(exc)))
            continue
        if not ident.valid:
            out.append(BlindedLine(line, None, ident.error or "invalid"))
            continue
        out.append(BlindedLine(line, blind(key.key, ident.canonical_kind, ident.canonical), None))
    return out

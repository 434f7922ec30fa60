"""Sharing-group administration through the API: who sees which groups, and who changes them.

A group's name and members are visible to its members only (spec/security-tests.md class 10):
for anyone else an existing group looks exactly like a missing one. Only the owning
organization's admins change the membership; a change counts on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.accounts import Principal
from bigfish.errors import AccessDenied, InputError, NotFound
from bigfish.matching import rotate_community_key
from bigfish.models import Distribution
from bigfish.organizations import SharingGroup, add_group, get_org, group_name_taken
from bigfish.store import Store
from bigfish.store.schema import group_members, organizations, reports, sharing_groups
from bigfish.store.stamps import announce_writer, stamp_now
from bigfish.store.writes import WITHDRAWAL_COLUMNS, record_withdrawals


@dataclass(frozen=True, slots=True)
class _GroupRow:
    id: int
    name: str
    owner_org_id: int


def _visible_group(conn: Connection, principal: Principal, name: str) -> _GroupRow:
    row = conn.execute(
        sa.select(sharing_groups.c.id, sharing_groups.c.name, sharing_groups.c.owner_org_id)
        .join(group_members, group_members.c.group_id == sharing_groups.c.id)
        .where(sharing_groups.c.name == name, group_members.c.org_id == principal.org_id)
    ).first()
    if row is None:
        raise NotFound("sharing group", name)
    return _GroupRow(int(row.id), str(row.name), int(row.owner_org_id))


def _describe(conn: Connection, group: _GroupRow) -> SharingGroup:
    names = conn.execute(
        sa.select(organizations.c.name)
        .join(group_members, group_members.c.org_id == organizations.c.id)
        .where(group_members.c.group_id == group.id)
        .order_by(organizations.c.name)
    ).scalars()
    owner = conn.execute(
        sa.select(organizations.c.name).where(organizations.c.id == group.owner_org_id)
    ).scalar_one()
    return SharingGroup(group.id, group.name, str(owner), tuple(str(n) for n in names))


def groups_of(store: Store, principal: Principal) -> list[SharingGroup]:
    """The groups PRINCIPAL's organization belongs to, with their members."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(sharing_groups.c.id, sharing_groups.c.name, sharing_groups.c.owner_org_id)
            .join(group_members, group_members.c.group_id == sharing_groups.c.id)
            .where(group_members.c.org_id == principal.org_id)
            .order_by(sharing_groups.c.name)
        ).all()
        return [
            _describe(conn, _GroupRow(int(r.id), str(r.name), int(r.owner_org_id))) for r in rows
        ]


def get_group(store: Store, principal: Principal, name: str) -> SharingGroup:
    """Group NAME if PRINCIPAL's organization is a member, else NotFound."""
    with store.connect() as conn:
        return _describe(conn, _visible_group(conn, principal, name))


_TAKEN = "this group name cannot be used"


def create_group(store: Store, principal: Principal, name: str, members: list[str]) -> SharingGroup:
    """A new group owned by PRINCIPAL's organization. A taken name answers like any bad name,
    without saying whose it is."""
    name = name.strip()  # as add_group keeps it: ' mekong' is mekong
    with store.connect() as conn:
        taken = group_name_taken(conn, name)
    if taken:  # before add_group's checks: 'gulf\xa0of thailand' is taken, not malformed
        raise InputError(_TAKEN, field="name")
    # add_group checks again under its lock: a group created meanwhile is answered the same
    return add_group(store, name, owner=principal.org_name, members=members, taken_answer=_TAKEN)


def _owned(conn: Connection, principal: Principal, name: str) -> _GroupRow:
    group = _visible_group(conn, principal, name)
    if group.owner_org_id != principal.org_id:
        raise AccessDenied("only the owning organization changes a group's members")
    return group


def _others_shared(group_id: int, org_id: int) -> ColumnElement[bool]:
    """The reports shared with group GROUP_ID by organizations other than ORG_ID: those member
    ORG_ID sees through the group, from its joining until its leaving."""
    return sa.and_(
        reports.c.distribution == Distribution.GROUP.value,
        reports.c.group_id == group_id,
        reports.c.org_id != org_id,
    )


def add_member(store: Store, principal: Principal, name: str, org: str) -> SharingGroup:
    """Add ORG to group NAME (owner's admins only). The group's reports of other organizations
    become visible to ORG, but they were dated before: ORG's alert poller (`since`) and TAXII
    client (`added_after`), already past those dates, would never be served them. So a join
    stamps them (`updated_at`, content and digest kept), announcing itself first as a writer
    (`announce_writer`) as `remove_member` does. Every reader of them is served them again
    (the same alerts, a new TAXII version of the same content) and a link run re-reads them;
    no webhook is called (a group may hold many reports: its members poll)."""
    with store.begin() as conn:
        announce_writer(conn)
        group = _owned(conn, principal, name)
        org_id = get_org(conn, org).id
        present = conn.execute(
            sa.select(group_members.c.org_id).where(
                group_members.c.group_id == group.id, group_members.c.org_id == org_id
            )
        ).first()
        if present is None:
            conn.execute(group_members.insert().values(group_id=group.id, org_id=org_id))
            conn.execute(
                reports.update()
                .where(_others_shared(group.id, org_id))
                .values(updated_at=stamp_now(conn))
            )
        return _describe(conn, group)


def remove_member(store: Store, principal: Principal, name: str, org: str) -> SharingGroup:
    """Remove ORG from group NAME (owner's admins only; the owner stays). The group's reports
    of other organizations are withdrawn from ORG: a node that pulled them for ORG is sent
    their revoked versions and deletes its copies (`bigfish.interop.feed`). It stamps those
    withdrawals, so it announces itself first as a writer (`announce_writer`): a TAXII page
    bounded by the newest stamp waits for it and never passes one it has not committed.
    The group's community key is rotated (`bigfish.matching.rotate_community_key`): ORG keeps
    the key it was given, so values blinded with it from now on would be readable to it. Lists
    blinded with the old key stop matching: the remaining members blind theirs again."""
    with store.begin() as conn:
        announce_writer(conn)
        group = _owned(conn, principal, name)
        org_id = get_org(conn, org).id
        if org_id == group.owner_org_id:
            raise InputError("the owning organization stays a member", field="org")
        done = conn.execute(
            group_members.delete().where(
                group_members.c.group_id == group.id, group_members.c.org_id == org_id
            )
        )
        if done.rowcount == 0:
            raise NotFound("member", org)
        rotate_community_key(conn, group.id)
        shared = conn.execute(
            sa.select(reports.c.id, *WITHDRAWAL_COLUMNS).where(_others_shared(group.id, org_id))
        )
        record_withdrawals(conn, shared, stamp_now(conn), audience=org_id)
        return _describe(conn, group)

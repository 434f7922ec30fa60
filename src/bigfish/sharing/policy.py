"""The one place that decides who sees what.

Every read path (get, list, search, lookup, match, networks, alerts, exports, statistics, TAXII,
web pages) asks this module, either with `can_see` for one item, with `visible_reports` for a
SQL condition on the reports table, or with `reaches` for figures computed once per `Audience`
(the web's overviews and rankings; a test holds it equal to `visible_reports`). Derived things
(identifiers, networks, alerts, counts) are visible only through the reports a viewer may see.

The rule is the intersection of the distribution and the TLP (spec/api.md):

- the submitting organization always sees its own reports;
- `organization`: nobody else; `group`: members of the group; `partnership`: every organization;
- TLP:RED reaches only a named audience: the members of its group, never the whole partnership;
- TLP:CLEAR with `partnership` distribution is what the public check endpoint may reveal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from bigfish.models import TLP, ApiRole, Distribution
from bigfish.store.schema import UTCDateTime, reports


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking: an organization with its groups, or the node's operator (sees all)."""

    org_id: int | None
    org_name: str | None = None
    role: ApiRole = ApiRole.READONLY
    group_ids: frozenset[int] = field(default_factory=frozenset)
    operator: bool = False

    @classmethod
    def node_operator(cls) -> Viewer:
        """The operator at the console: the CLI without --as-org."""
        return cls(org_id=None, org_name=None, role=ApiRole.ADMIN, operator=True)


@dataclass(frozen=True, slots=True)
class ItemMarking:
    """The facts the policy needs about one report-like item."""

    owner_org_id: int
    tlp: TLP
    distribution: Distribution
    group_id: int | None


def can_see(viewer: Viewer, item: ItemMarking) -> bool:
    """True when VIEWER may see ITEM."""
    if viewer.operator:
        return True
    if viewer.org_id is None:  # a viewer without an organization sees nothing (visible_reports)
        return False
    if item.owner_org_id == viewer.org_id:
        return True
    if item.distribution is Distribution.GROUP:
        return item.group_id is not None and item.group_id in viewer.group_ids
    if item.distribution is Distribution.PARTNERSHIP:
        return item.tlp is not TLP.RED
    return False


def can_edit(viewer: Viewer, item: ItemMarking) -> bool:
    """Only the submitting organization's analysts and admins edit or re-mark an item."""
    return (
        not viewer.operator
        and item.owner_org_id == viewer.org_id
        and viewer.role in (ApiRole.ANALYST, ApiRole.ADMIN)
    )


def visible_reports(viewer: Viewer, table: sa.Table = reports) -> ColumnElement[bool]:
    """A SQL condition on TABLE (reports or a table with the same marking columns)."""
    if viewer.operator:
        return sa.true()
    if viewer.org_id is None:
        return sa.false()
    shared = sa.and_(
        table.c.distribution == Distribution.PARTNERSHIP.value, table.c.tlp != TLP.RED.value
    )
    conditions: list[ColumnElement[bool]] = [table.c.org_id == viewer.org_id, shared]
    if viewer.group_ids:
        conditions.append(
            sa.and_(
                table.c.distribution == Distribution.GROUP.value,
                table.c.group_id.in_(sorted(viewer.group_ids)),
            )
        )
    return sa.or_(*conditions)


def newest_visible_stamp(
    conn: Connection, viewer: Viewer, upto: datetime, *, floor: datetime | None = None
) -> datetime | None:
    """The newest `updated_at` of the reports VIEWER may see, UPTO at the latest (None when it
    sees none): a time shown to VIEWER as "as of" — the newest stamp of every report would date
    the last change of one it may not see, and tell that there is one.

    A max() over this filter read every report up to UPTO on SQLite (20 ms at 50,000 reports,
    on every poll), so the updated_at index is walked down from UPTO instead: first down to
    FLOOR (a poll's `since`: the reports stored since the caller's last poll, which the poll
    reads anyway), then, when it sees none of those, its own newest is read through the
    (org_id, updated_at) index and only the others' reports above it are walked. FLOOR changes
    the cost, never the answer."""
    stamp = reports.c.updated_at
    visible = visible_reports(viewer)
    top = sa.literal(upto, UTCDateTime)
    if floor is not None and floor <= upto:
        low = sa.literal(floor, UTCDateTime)
        recent = sa.select(stamp).where(visible, stamp >= low, stamp <= top)
        found: datetime | None = conn.execute(recent.order_by(stamp.desc()).limit(1)).scalar()
        if found is not None:
            return _aware(found)
        top = low  # nothing it sees is stamped from FLOOR on
    own: datetime | None = None
    if viewer.org_id is not None:
        own = conn.execute(
            sa.select(sa.func.max(stamp)).where(reports.c.org_id == viewer.org_id, stamp <= top)
        ).scalar()
        visible = sa.and_(visible, reports.c.org_id != viewer.org_id)
    query = sa.select(stamp).where(visible, stamp <= top).order_by(stamp.desc()).limit(1)
    if own is not None:
        query = query.where(stamp > sa.literal(own, UTCDateTime))
    found = conn.execute(query).scalar()
    found = found if found is not None else own
    return None if found is None else _aware(found)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see a report besides the operator, as `visible_reports` decides: every
    organization (PARTNERSHIP), else the owner and, when set, the members of GROUP_ID. Reports
    with the same audience are visible to exactly the same viewers, so statistics computed once
    per audience serve every viewer (`bigfish.linking.views.AudienceSplit`)."""

    partnership: bool
    owner_org_id: int | None  # None when PARTNERSHIP: the owner sees it like everyone else
    group_id: int | None


_EVERYONE = Audience(partnership=True, owner_org_id=None, group_id=None)


def audience(org_id: int, distribution: str, tlp: str, group_id: int | None) -> Audience:
    """The audience of a report with these stored markings (the columns `visible_reports`
    reads)."""
    if distribution == Distribution.PARTNERSHIP.value and tlp != TLP.RED.value:
        return _EVERYONE
    group = group_id if distribution == Distribution.GROUP.value else None
    return Audience(partnership=False, owner_org_id=org_id, group_id=group)


def reached(viewer: Viewer, audiences: Iterable[Audience]) -> frozenset[Audience]:
    """The AUDIENCES that VIEWER reaches (`reaches` of each)."""
    return frozenset(a for a in audiences if reaches(viewer, a))


def reaches(viewer: Viewer, target: Audience) -> bool:
    """True when VIEWER sees the reports of TARGET: `visible_reports(viewer)` in Python."""
    if viewer.operator:
        return True
    if viewer.org_id is None:
        return False
    return (
        target.partnership
        or target.owner_org_id == viewer.org_id
        or (target.group_id is not None and target.group_id in viewer.group_ids)
    )


def public(table: sa.Table = reports) -> ColumnElement[bool]:
    """What the public check endpoint may reveal: TLP:CLEAR shared with the partnership."""
    return sa.and_(
        table.c.tlp == TLP.CLEAR.value,
        table.c.distribution == Distribution.PARTNERSHIP.value,
    )

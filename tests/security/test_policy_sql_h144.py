"""The three forms of the sharing policy decide alike, on both backends: `can_see` (Python, one
item), `visible_reports` (the SQL condition every list, search and count uses) and
`reaches(audience(...))` (figures computed once per audience). Every combination of owner, TLP,
distribution and group id is stored once, including those no writer produces (a group id with
another distribution, distribution `group` without one), and hypothesis draws the viewers:
member of some groups or none, an organization id no row has, no organization, the operator."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from bigfish.models import TLP, ApiRole, Distribution
from bigfish.organizations import add_group, add_org
from bigfish.sharing.policy import (
    ItemMarking,
    Viewer,
    audience,
    can_see,
    public,
    reaches,
    visible_reports,
)
from bigfish.store import Store
from bigfish.store.schema import reports

_ORGS = ("A", "B", "C", "D")


@pytest.fixture
def marked(store: Store) -> Iterator[tuple[Store, dict[str, int], list[int], list[sa.Row]]]:
    """STORE with four organizations, three groups and one report per combination of markings."""
    org_ids = {name: add_org(store, name).id for name in _ORGS}
    group_ids = [
        add_group(store, "g1", owner="A", members=["C"]).id,
        add_group(store, "g2", owner="B", members=["C", "D"]).id,
        add_group(store, "g3", owner="D", members=[]).id,
    ]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "org_id": org_ids[owner],
            "report_id": f"r{n}",
            "reported_at": now,
            "country": "TH",
            "tlp": tlp.value,
            "distribution": distribution.value,
            "group_id": group,
            "created_at": now,
            "updated_at": now,
        }
        for n, (owner, tlp, distribution, group) in enumerate(
            itertools.product(_ORGS, TLP, Distribution, [None, *group_ids])
        )
    ]
    with store.begin() as conn:
        conn.execute(reports.insert(), rows)
    with store.connect() as conn:
        stored = conn.execute(
            sa.select(
                reports.c.id, reports.c.org_id, reports.c.tlp, reports.c.distribution,
                reports.c.group_id,
            )
        ).all()  # fmt: skip
    yield store, org_ids, group_ids, list(stored)


def _viewers(org_ids: list[int], group_ids: list[int]) -> st.SearchStrategy[Viewer]:
    return st.builds(
        Viewer,
        org_id=st.sampled_from([*org_ids, max(org_ids) + 100, None]),
        role=st.sampled_from(list(ApiRole)),
        group_ids=st.frozensets(st.sampled_from([*group_ids, max(group_ids) + 100])),
        operator=st.booleans(),
    )


def _marking(row: sa.Row) -> ItemMarking:
    return ItemMarking(int(row.org_id), TLP(row.tlp), Distribution(row.distribution), row.group_id)


_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.slow
@_SETTINGS
@given(data=st.data())
def test_sql_filter_python_check_and_audience_decide_alike(
    marked: tuple[Store, dict[str, int], list[int], list[sa.Row]], data: st.DataObject
) -> None:
    store, org_ids, group_ids, rows = marked
    viewer = data.draw(_viewers(list(org_ids.values()), group_ids))
    with store.connect() as conn:
        by_sql = set(conn.execute(sa.select(reports.c.id).where(visible_reports(viewer))).scalars())
    by_python = {int(r.id) for r in rows if can_see(viewer, _marking(r))}
    by_audience = {
        int(r.id)
        for r in rows
        if reaches(viewer, audience(int(r.org_id), r.distribution, r.tlp, r.group_id))
    }
    assert by_python == by_sql, (viewer, sorted(by_python ^ by_sql))
    assert by_audience == by_sql, (viewer, sorted(by_audience ^ by_sql))


def test_public_rows_are_seen_by_every_organization(
    marked: tuple[Store, dict[str, int], list[int], list[sa.Row]],
) -> None:
    store, org_ids, _, rows = marked
    with store.connect() as conn:
        shown = set(conn.execute(sa.select(reports.c.id).where(public())).scalars())
        assert shown, "no TLP:CLEAR partnership row"
        for org_id in org_ids.values():
            seen = set(
                conn.execute(
                    sa.select(reports.c.id).where(visible_reports(Viewer(org_id)))
                ).scalars()
            )
            assert shown <= seen
    assert all(
        TLP(r.tlp) is TLP.CLEAR and Distribution(r.distribution) is Distribution.PARTNERSHIP
        for r in rows
        if int(r.id) in shown
    )

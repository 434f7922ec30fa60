"""`audience` and `reaches` decide in Python what `visible_reports` decides in SQL. The web
rankings read every network's members once, split by audience, and give each viewer the
audiences it reaches (`bigfish.linking.views.AudienceSplit`): the two must agree on every
marking and every viewer, on both backends."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import sqlalchemy as sa

from bigfish.models import TLP, Distribution
from bigfish.organizations import add_group, add_org, list_orgs
from bigfish.sharing import Viewer, audience, reaches, visible_reports
from bigfish.store import Store
from bigfish.store.schema import reports


def test_reaches_is_visible_reports_for_every_marking_and_viewer(store: Store) -> None:
    for name in ("A", "B", "C"):
        add_org(store, name, country="TH")
    mekong = add_group(store, "mekong", owner="A", members=["C"]).id
    andaman = add_group(store, "andaman", owner="B", members=[]).id
    orgs = {o.name: o.id for o in list_orgs(store)}
    now = datetime.now(UTC)
    rows = [
        {
            "org_id": orgs[owner],
            "report_id": f"r-{n}",
            "reported_at": now,
            "country": "TH",
            "tlp": tlp.value,
            "distribution": distribution.value,
            "group_id": group,
            "created_at": now,
            "updated_at": now,
        }
        for n, (owner, tlp, distribution, group) in enumerate(
            itertools.product("ABC", TLP, Distribution, (None, mekong, andaman))
        )
    ]
    with store.begin() as conn:
        conn.execute(reports.insert(), rows)
    viewers = [Viewer.node_operator(), Viewer(None)] + [
        Viewer(orgs[name], name, group_ids=frozenset(groups))
        for name in "ABC"
        for groups in ((), (mekong,), (andaman,), (mekong, andaman), (999,))
    ]
    seen: set[frozenset[int]] = set()
    with store.connect() as conn:
        markings = {
            int(pk): (int(org), str(dist), str(tlp), group)
            for pk, org, dist, tlp, group in conn.execute(
                sa.select(
                    reports.c.id,
                    reports.c.org_id,
                    reports.c.distribution,
                    reports.c.tlp,
                    reports.c.group_id,
                )
            )
        }
        for viewer in viewers:
            in_sql = frozenset(
                int(pk)
                for (pk,) in conn.execute(sa.select(reports.c.id).where(visible_reports(viewer)))
            )
            in_python = frozenset(
                pk for pk, marking in markings.items() if reaches(viewer, audience(*marking))
            )
            assert in_python == in_sql, viewer
            seen.add(in_sql)
    assert len(markings) == 3 * 5 * 3 * 3
    assert len(seen) >= 10  # the viewers see different things: the comparison can fail
    everyone = audience(orgs["A"], "partnership", "green", None)
    assert everyone == audience(orgs["B"], "partnership", "amber", mekong)  # one audience
    assert audience(orgs["A"], "partnership", "red", None) != everyone

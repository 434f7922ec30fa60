"""A viewer's parts as a property, with rings forgotten (helper-140): the random sequences of
`test_part_ids_property_h136` (B's and H's reports, deletions, link steps as an update in one
store and a rebuild in the other, B's reads), and a step that drops every part id's ring in
both stores, as a store upgraded from a release before part rings holds them. Whenever B reads,
both stores show it the same groups under the same ids, each id once, each opening for B to
the reports it was listed with: rings recorded by reads (`parts._record_rings`) and groups
shown under a row further in than their first report (`parts._chosen`) leave the link runs'
ids alone and agree with the lookup of one id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigfish.linking import rebuild_networks, update_networks
from bigfish.reports import delete_report
from bigfish.store import Store
from bigfish.store.schema_linking import network_rings, networks
from tests.linking.conftest import report
from tests.linking.test_ids_history_h124 import NOW
from tests.linking.test_part_ids_property_h136 import (
    PHONES,
    START,
    Delete,
    Link,
    Read,
    Send,
    Step,
    _pair,
    _read,
    _steps,
)


@dataclass(frozen=True)
class Forget:
    """Every part id's ring dropped: as the release before part rings left them."""


def _forget(store: Store) -> None:
    parts = sa.select(networks.c.id).where(networks.c.status == "part")
    with store.begin() as conn:
        conn.execute(network_rings.delete().where(network_rings.c.network_id.in_(parts)))


def _with_forget() -> st.SearchStrategy[list[Step | Forget]]:
    return st.tuples(_steps(), st.lists(st.integers(0, 16), max_size=2)).map(
        lambda both: _insert(both[0], both[1])
    )


def _insert(steps: list[Step], at: list[int]) -> list[Step | Forget]:
    out: list[Step | Forget] = list(steps)
    for index in sorted(at, reverse=True):
        out.insert(min(index, len(out)), Forget())
    return out


def _run(migrated: Path, steps: list[Step | Forget]) -> None:
    with _pair(migrated) as (incremental, full):
        for number, step in enumerate([*START, Forget(), Read(), *steps, Link(), Read()]):
            for node in (incremental, full):
                if isinstance(step, Forget):
                    _forget(node.store)
                elif isinstance(step, Send):
                    row = report(step.report_id, *(("phone", PHONES[p]) for p in step.phones))
                    node.ingest(node.store, step.org, [row])
                    node.held.add((step.org, step.report_id))
                elif isinstance(step, Delete) and (step.org, step.report_id) in node.held:
                    delete_report(node.store, node.viewers[step.org], step.org, step.report_id)
                    node.held.discard((step.org, step.report_id))
            if isinstance(step, Link):
                update_networks(incremental.store, now=NOW)
                rebuild_networks(full.store, now=NOW)
            if isinstance(step, Link | Read):
                assert _read(incremental) == _read(full), f"after step {number}"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_with_forget())
def test_a_viewer_is_shown_the_same_parts_when_rings_were_forgotten(
    _migrated_sqlite: Path, steps: list[Step | Forget]
) -> None:
    _run(_migrated_sqlite, steps)

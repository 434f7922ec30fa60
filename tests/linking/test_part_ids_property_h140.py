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

from bigfish.store import Store
from bigfish.store.schema_linking import network_rings, networks
from tests.linking.test_part_ids_property_h136 import (
    Read,
    Step,
    _Node,
    _steps,
)
from tests.linking.test_part_ids_property_h136 import _run as run_steps


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


def _forgotten(node: _Node, step: object) -> bool:
    if isinstance(step, Forget):
        _forget(node.store)
        return True
    return False


def _run(migrated: Path, steps: list[Step | Forget]) -> None:
    run_steps(migrated, steps, first=(Forget(), Read()), other=_forgotten)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_with_forget())
def test_a_viewer_is_shown_the_same_parts_when_rings_were_forgotten(
    _migrated_sqlite: Path, steps: list[Step | Forget]
) -> None:
    _run(_migrated_sqlite, steps)

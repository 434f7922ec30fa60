"""A viewer's parts as a property (helper-136): two stores take the same random sequence of
reports of B (who reads) and of H (private: B never sees them, yet they link B's reports),
deletions, link steps (an update in one store, a rebuild in the other) and B's reads. Whenever B
reads, both stores show it the same networks and parts under the same ids, every id shown once,
and each id opens for B to the reports it was listed with. Part ids and their rings, taken back
after deletions, must leave the link runs' ids alone and agree with the lookup of one id."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bigfish.linking import get_network, list_networks, rebuild_networks, update_networks
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.reports import delete_report
from bigfish.sharing import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations
from tests.linking.conftest import jsonl_ingest, report
from tests.linking.kept_stores import kept_store
from tests.linking.test_ids_history_h124 import NOW

PHONES = ("+66811111111", "+66822222222", "+66833333333")
ORGS = ("org-b", "org-h")


@dataclass(frozen=True)
class Send:
    """ORG sends report REPORT_ID (new, or again) mentioning PHONES."""

    org: str
    report_id: str
    phones: tuple[int, ...]


@dataclass(frozen=True)
class Delete:
    org: str
    report_id: str


@dataclass(frozen=True)
class Link:
    pass


@dataclass(frozen=True)
class Read:
    pass


Step = Send | Delete | Link | Read


#: Where every sequence starts: B's three pairs, one per phone, joined by H's two reports into
#: one network that B is shown in three groups (two of them under part ids).
START: list[Step] = [
    *(Send("org-b", f"b{n}", (n // 2,)) for n in range(6)),
    Send("org-h", "h0", (0, 1)),
    Send("org-h", "h1", (1, 2)),
    Link(),
    Read(),
]


def _steps() -> st.SearchStrategy[list[Step]]:
    """B's reports name one phone each (they link where they share it); H's name two, and
    join B's groups that B sees apart."""
    number = st.integers(0, 6)
    phone = st.integers(0, len(PHONES) - 1)
    by_b = st.builds(lambda n, p: Send("org-b", f"b{n}", (p,)), number, phone)
    pair = st.lists(phone, min_size=2, max_size=2, unique=True).map(lambda p: tuple(sorted(p)))
    by_h = st.builds(lambda n, p: Send("org-h", f"h{n}", p), st.integers(0, 2), pair)
    delete = st.builds(lambda o, n: Delete(o, f"{o[-1]}{n}"), st.sampled_from(ORGS), number)
    step = st.one_of(by_b, by_h, delete, delete, st.just(Link()), st.just(Read()))
    return st.lists(step, min_size=1, max_size=16)


@dataclass
class _Node:
    store: Store
    ingest: Any
    held: set[tuple[str, str]]
    viewers: dict[str, Viewer]


@contextmanager
def _pair(migrated: Path) -> Iterator[tuple[_Node, _Node]]:
    with tempfile.TemporaryDirectory(prefix="h136-") as tmp:
        nodes = []
        for name in ("update", "rebuild"):
            folder = Path(tmp) / name
            folder.mkdir()
            shutil.copyfile(migrated, folder / "bigfish.db")
            store = open_store(f"sqlite:///{folder / 'bigfish.db'}")
            viewers = {
                org: Viewer(add_org(store, org, country="TH").id, org, ApiRole.ANALYST)
                for org in ORGS
            }
            nodes.append(_Node(store, jsonl_ingest(folder), set(), viewers))
        try:
            yield nodes[0], nodes[1]
        finally:
            for node in nodes:
                node.store.close()


@dataclass(frozen=True)
class _Started:
    """The two stores after START and a sequence's FIRST steps (files closed, their WAL folded
    in), what each holds and its viewers: every sequence starts from copies of them."""

    folder: Path
    held: frozenset[tuple[str, str]]
    viewers: tuple[dict[str, Viewer], dict[str, Viewer]]


_started: dict[tuple[Path, tuple[object, ...]], _Started] = {}


def _start(
    migrated: Path,
    first: Sequence[object] = (),
    other: Callable[[_Node, object], bool] = lambda node, step: False,
) -> _Started:
    """START and FIRST run once a worker (beside MIGRATED, in pytest's temporary directory):
    their steps are the same for every sequence, and their reads checked the same way."""
    key = (migrated, tuple(first))
    if key not in _started:
        folder = migrated.parent / f"h136-started-{len(_started)}"
        folder.mkdir(exist_ok=True)  # made again after a START that failed
        with _pair(migrated) as (incremental, full):
            _steps_on(incremental, full, [*START, *first], other)
            for name, node in (("update", incremental), ("rebuild", full)):
                node.store.close()
                path = Path(node.store.engine.url.database or "")
                assert not path.with_name(path.name + "-wal").exists(), path
                shutil.copyfile(path, folder / f"{name}.db")
            assert incremental.held == full.held
            viewers = (incremental.viewers, full.viewers)
            _started[key] = _Started(folder, frozenset(incremental.held), viewers)
    return _started[key]


@contextmanager
def _started_pair(started: _Started) -> Iterator[tuple[_Node, _Node]]:
    """Copies of the two stores STARTED left, in the worker's kept stores (`kept_store`: the
    same two for every START and FIRST)."""
    kept = started.folder.parent / "h136-kept"
    with tempfile.TemporaryDirectory(prefix="h136-") as tmp:
        nodes = []
        for name, viewers in zip(("update", "rebuild"), started.viewers, strict=True):
            store = kept_store(kept / name / "bigfish.db", started.folder / f"{name}.db")
            folder = Path(tmp) / name
            folder.mkdir()
            nodes.append(_Node(store, jsonl_ingest(folder), set(started.held), dict(viewers)))
        try:
            yield nodes[0], nodes[1]
        finally:
            for node in nodes:
                node.store.close()


def _read(node: _Node) -> dict[int, tuple[str, ...]]:
    """What B is shown: id -> members; each id once, and each opens to its members."""
    viewer = node.viewers["org-b"]
    page = list_networks(node.store, viewer, now=NOW, limit=1000).networks
    shown = {n.id: tuple(sorted(r.report_id for r in n.reports)) for n in page}
    assert len(shown) == len(page), [n.id for n in page]
    for nid, members in shown.items():
        doc = get_network(node.store, viewer, nid, now=NOW).to_json()
        assert doc["id"] == nid and "redirected_from" not in doc, nid
        assert tuple(sorted(r["report_id"] for r in doc["reports"])) == members, nid
    return shown


def _org_of(store: Store, name: str) -> int:
    with store.connect() as conn:
        query = sa.select(organizations.c.id).where(organizations.c.name == name)
        return int(conn.execute(query).scalar_one())


def _run(
    migrated: Path,
    steps: Sequence[object],
    *,
    first: Sequence[object] = (),
    other: Callable[[_Node, object], bool] = lambda node, step: False,
) -> None:
    """START, FIRST, STEPS, then a link run and a read, on an incrementally updated node and
    a rebuilt one, whose viewers must be shown the same parts after every link run and read.
    OTHER applies a step of another kind to a node and says whether it did. START and FIRST
    are the same for every sequence: run once, their stores copied for each."""
    with _started_pair(_start(migrated, first, other)) as (incremental, full):
        _steps_on(incremental, full, [*steps, Link(), Read()], other, after=len(START) + len(first))


def _steps_on(
    incremental: _Node,
    full: _Node,
    steps: Sequence[object],
    other: Callable[[_Node, object], bool],
    after: int = 0,
) -> None:
    """STEPS on both nodes (numbered from AFTER in the messages)."""
    for number, step in enumerate(steps, start=after):
        for node in (incremental, full):
            if other(node, step):
                continue
            if isinstance(step, Send):
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


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps())
def test_a_viewer_is_shown_the_same_parts_after_an_update_as_after_a_rebuild(
    _migrated_sqlite: Path, steps: list[Step]
) -> None:
    _run(_migrated_sqlite, steps)

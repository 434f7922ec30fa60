"""Review h142 of part ids under concurrency (b20db65, 768961f): readers that show, at the same
time, a part id given out before rings (so each records its ring) and a group with no id yet
(so each gives one out) agree on the ids and record each ring once, without an error."""

from __future__ import annotations

import threading

from bigfish.linking import rebuild_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report
from tests.linking.test_ids_history_h124 import NOW, A, B
from tests.linking.test_part_ids_h136 import _org, _seen
from tests.linking.test_part_ids_h140 import _as_before_rings, _ring

READERS = 4


def _read_at_once(store: Store, viewer: Viewer) -> list[dict[tuple[str, ...], int]]:
    """What each of READERS threads is shown, all reading at once; an error fails the test."""
    start = threading.Barrier(READERS)
    seen: list[dict[tuple[str, ...], int]] = []
    errors: list[BaseException] = []

    def read() -> None:
        start.wait()
        try:
            seen.append(_seen(store, viewer))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return seen


def test_readers_at_once_give_out_one_id_and_record_a_ring_once(
    store: Store, ingest: Ingest
) -> None:
    """B's pair and its ring, glued by H's report: no read has shown them yet, so READERS at
    once each want a part id for (c1..c4); then its ring is dropped (as a release before rings
    left it) and READERS at once each record it."""
    b = _org(store, "org-b")
    _org(store, "org-h")
    ingest(store, "org-b", [report(f"b{i}", ("phone", A)) for i in (1, 2)])
    ingest(store, "org-b", [report(f"c{i}", ("phone", B)) for i in (1, 2, 3, 4)])
    ingest(store, "org-h", [report("glue", ("phone", A), ("phone", B))])
    rebuild_networks(store, now=NOW)
    views = _read_at_once(store, b)
    final = _seen(store, b)
    assert set(final) == {("b1", "b2"), ("c1", "c2", "c3", "c4")}
    for view in views:  # a reader may be shown a part later (lock busy), never another id
        assert all(final[group] == nid for group, nid in view.items())
    part = final[("c1", "c2", "c3", "c4")]
    _as_before_rings(store, part)
    for view in _read_at_once(store, b):
        assert view == final
    assert _ring(store, part) == {"c1", "c2", "c3", "c4"}
    assert _seen(store, b) == final

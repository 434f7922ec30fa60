"""Paging through the ranking while it changes: a page starts after the last network shown,
so no network is shown twice and none that stayed is skipped (on SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from bigfish.errors import InputError
from bigfish.linking import list_networks, rebuild_networks
from bigfish.sharing import Viewer
from bigfish.store import Store
from tests.linking.conftest import Ingest, report

NOW = datetime(2025, 2, 1, tzinfo=UTC)
OP = Viewer.node_operator()


def _ring(name: str, size: int, loss: str) -> list[dict[str, object]]:
    phone = f"081{ord(name):07d}"
    return [report(f"{name}{i}", ("phone", phone), loss=loss) for i in range(size)]


def _walk(store: Store, cursor: str | None) -> list[int]:
    seen: list[int] = []
    while cursor is not None:
        page = list_networks(store, OP, cursor=cursor, limit=1, now=NOW)
        seen += [n.id for n in page.networks]
        cursor = page.next_cursor
    return seen


def test_a_network_that_enters_the_ranking_moves_none_across_the_cut(
    store: Store, ingest: Ingest
) -> None:
    ingest(store, "th-aoc", _ring("a", 2, "1000") + _ring("b", 2, "500") + _ring("c", 2, "100"))
    rebuild_networks(store, now=NOW)
    first = list_networks(store, OP, limit=1, now=NOW)
    before = [n.id for n in list_networks(store, OP, now=NOW).networks]
    assert [n.id for n in first.networks] == before[:1]
    # A bigger ring ranks first now: a position-based cursor showed the first network again.
    ingest(store, "th-aoc", _ring("d", 4, "90000"))
    rebuild_networks(store, now=NOW)
    rest = _walk(store, first.next_cursor)
    assert rest == before[1:], (before, rest)


def test_a_network_that_leaves_the_ranking_skips_none(store: Store, ingest: Ingest) -> None:
    ingest(store, "th-aoc", _ring("a", 3, "1000") + _ring("b", 2, "500") + _ring("c", 2, "100"))
    rebuild_networks(store, now=NOW)
    before = [n.id for n in list_networks(store, OP, now=NOW).networks]
    second = list_networks(
        store, OP, cursor=list_networks(store, OP, limit=1, now=NOW).next_cursor, limit=1, now=NOW
    )
    assert [n.id for n in second.networks] == before[1:2]
    # The first network's reports name other phones now, so it is gone: a position-based
    # cursor skipped the third network.
    ingest(store, "th-aoc", [report(f"a{i}", ("phone", f"08900000{i:02d}")) for i in range(3)])
    rebuild_networks(store, now=NOW)
    assert _walk(store, second.next_cursor) == before[2:]


@pytest.mark.parametrize(
    "cursor",
    [
        "²",
        "1",
        "not base64!",
        base64.urlsafe_b64encode(b"[1.0, 2, -1]").decode(),
        base64.urlsafe_b64encode(json.dumps(["x", 2, 1]).encode()).decode(),
        base64.urlsafe_b64encode(b"[1e999, 2, 1]").decode(),
    ],
)
def test_a_cursor_it_did_not_give_is_refused(store: Store, cursor: str) -> None:
    with pytest.raises(InputError) as caught:
        list_networks(store, OP, cursor=cursor, limit=1, now=NOW)
    assert caught.value.field == "cursor"

"""Applications made by create_app share their routes (included once per process), and each
still answers from its own store, settings and audit log."""

from __future__ import annotations

from pathlib import Path

from bigfish.api import ApiSettings, create_app
from bigfish.store import open_store
from tests.api.helpers import TestClient, build_partnership, report


def test_two_applications_in_one_process_answer_from_their_own_stores(tmp_path: Path) -> None:
    one = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    two = open_store(f"sqlite:///{tmp_path / 'two.db'}")
    try:
        for first in build_partnership(one):
            for second in build_partnership(two):
                first.submit("A", [report("one-1"), report("one-2")])
                second.submit("A", [report("two-1", phone="+66899999999")])
                shared = first.client.app.router.routes[-1]
                assert any(route is shared for route in second.client.app.router.routes)
                # A key of one node's store is nobody on the other.
                mine = first.client.get("/api/v1/reports/A/one-1", headers=first.headers("A"))
                theirs = second.client.get("/api/v1/reports/A/one-1", headers=first.headers("A"))
                assert mine.status_code == 200, mine.text
                assert theirs.status_code == 401, theirs.text
                absent = second.client.get("/api/v1/reports/A/one-1", headers=second.headers("A"))
                assert absent.status_code == 404, absent.text
                got = second.client.get("/api/v1/reports/A/two-1", headers=second.headers("A"))
                assert got.status_code == 200, got.text
    finally:
        one.close()
        two.close()


def test_the_public_check_is_routed_only_where_it_is_turned_on(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'node.db'}")
    try:
        with (
            TestClient(create_app(store, ApiSettings(public_check=True))) as on,
            TestClient(create_app(store)) as off,
        ):
            assert on.get("/check").status_code == 200
            assert off.get("/check").status_code == 404
            assert on.get("/api/v1/check").status_code != 404
            assert off.get("/api/v1/check").status_code == 404
    finally:
        store.close()

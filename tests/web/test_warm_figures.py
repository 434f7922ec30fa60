"""Warming the page figures when the server starts: every organization with a web user gets its
overview and ranking computed (or loaded from the store) in the background, so that its first
page after a start needs no computation; a first page never computes beside its own running
warm-up, and never waits behind other organizations' warm-ups."""

from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigfish.accounts import user_viewers
from bigfish.api.server import app_from_environment
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_access import users
from bigfish.web import data, freshness
from tests.polling import WAIT
from tests.web.conftest import Computations, WebPartnership, wait_until
from tests.web.test_freshness import _count, _stale, _viewer
from tests.web.test_stored_figures import restarted

CACHES = (data._overviews, data._rankings)


def test_every_organization_with_an_enabled_user_is_a_viewer_once(web: WebPartnership) -> None:
    found = {v.org_name: v for v in user_viewers(web.store)}
    assert sorted(found) == ["A", "B", "C"]
    for name in ("A", "B", "C"):
        expected = _viewer(web.store, name, in_groups=True)
        assert freshness.viewer_key(found[name]) == freshness.viewer_key(expected)
        assert not found[name].operator
    assert found["C"].group_ids  # C is in "mekong"
    with web.store.begin() as conn:
        conn.execute(
            sa.update(users).where(users.c.username == "bob").values(disabled_at=datetime.now(UTC))
        )
    assert sorted(v.org_name or "" for v in user_viewers(web.store)) == ["A", "C"]


def test_warmed_figures_need_no_computation_on_the_first_page(
    web: WebPartnership, computed: Computations
) -> None:
    with restarted(web) as (store, signed_in):
        assert data.warm_figures(store) == 3
        freshness.settle()
        assert computed.background == {"overview": 3, "ranking": 3}
        computed.reset()
        for user, expected in (("alice", 4), ("bob", 2), ("carol", 2)):
            page = signed_in(user).get("/").text
            assert (_count(page), _stale(page)) == (expected, False), user
            ranking = signed_in(user).get("/networks").text
            assert "/networks/" in ranking.split('id="results"')[1], user
        assert computed.page == {}
        assert computed.background == {}  # current figures: no refresh either


def test_a_first_page_waits_for_its_running_warm_up_instead_of_computing_beside_it(
    web: WebPartnership, computed: Computations
) -> None:
    with restarted(web) as (store, signed_in):
        alice = signed_in("alice")
        computed.hold()
        freshness.warm(store, [_viewer(store, "A", in_groups=True)], CACHES)
        wait_until(lambda: computed.background["overview"] == 1)  # running, held
        pages: list[str] = []
        waiting = threading.Thread(target=lambda: pages.append(alice.get("/").text))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # the page waits for the warm-up
        computed.release()
        waiting.join(timeout=WAIT)
        assert (_count(pages[0]), _stale(pages[0])) == (4, False)
        assert computed.page == {}
        assert computed.background == {"overview": 1, "ranking": 1}


def test_a_queued_warm_up_gives_way_to_the_first_page(
    web: WebPartnership, computed: Computations
) -> None:
    with restarted(web) as (store, signed_in):
        alice = signed_in("alice")
        computed.hold()
        b, a = _viewer(store, "B", in_groups=True), _viewer(store, "A", in_groups=True)
        freshness.warm(store, [b, a], CACHES)  # B's runs (held), A's waits behind it
        wait_until(lambda: computed.background["overview"] == 1)
        page = alice.get("/").text  # answers while B's warm-up is still held
        assert (_count(page), _stale(page)) == (4, False)
        assert computed.page == {"overview": 1, "ranking": 1}
        computed.release()
        freshness.settle()
        assert computed.background == {"overview": 1, "ranking": 1}  # B's only: A's was cancelled


def test_warming_serves_the_kept_figures_at_once_then_makes_them_current(
    web: WebPartnership, computed: Computations
) -> None:
    assert _count(web.clients["A"].get("/").text) == 4
    web.clients["A"].get("/networks")
    freshness.settle()  # kept in the store
    a = _viewer(web.store, "A", in_groups=True)
    kept_at = data._overviews._kept.read(web.store, freshness.viewer_key(a))  # type: ignore[union-attr]
    assert kept_at is not None
    computed.reset()
    with restarted(web) as (store, signed_in):
        alice = signed_in("alice")
        computed.hold()
        freshness.warm(store, [_viewer(store, "A", in_groups=True)], CACHES)
        wait_until(lambda: computed.background["overview"] == 1)  # computing, held
        page = alice.get("/").text  # the kept figures, at once
        assert (_count(page), _stale(page)) == (4, True)
        computed.release()
        freshness.settle()
        page = alice.get("/").text
        assert (_count(page), _stale(page)) == (4, False)
        assert computed.page == {}
        # one computation each: the refresh the marked page asked for found them current
        assert computed.background == {"overview": 1, "ranking": 1}
    again = data._overviews._kept.read(web.store, freshness.viewer_key(a))  # type: ignore[union-attr]
    assert again is not None and again.computed_at == kept_at.computed_at  # not rewritten


def test_warmed_figures_are_only_their_viewers(web: WebPartnership, computed: Computations) -> None:
    with restarted(web) as (store, signed_in):
        freshness.warm(store, [_viewer(store, "A", in_groups=True)], CACHES)
        freshness.settle()
        computed.reset()
        page = signed_in("bob").get("/").text
        assert (_count(page), _stale(page)) == (2, False)
        assert computed.page["overview"] == 1  # B computes its own
        operator = Viewer.node_operator()
        assert data.overview_statistics(store, operator).figures.report_count == 6


def test_the_server_factory_warms_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warmed: list[Store] = []
    monkeypatch.setattr(data, "warm_figures", lambda store: warmed.append(store) or 0)
    monkeypatch.setenv("BIGFISH_DATABASE_URL", f"sqlite:///{tmp_path / 'bigfish.db'}")
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "data"))
    for setting, expected in (("0", 0), ("1", 1)):
        monkeypatch.setenv("BIGFISH_WARM_FIGURES", setting)
        app = app_from_environment()
        gc.unfreeze()  # the factory freezes its start-up objects (tests/api/test_server.py)
        app.state.store.close()
        assert len(warmed) == expected, setting

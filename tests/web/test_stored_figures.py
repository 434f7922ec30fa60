"""Page figures kept in the store: a new server process serves a viewer's last figures at once,
marked with their time, under the rules of the figures in memory (`bigfish.web.freshness`);
another viewer, or the same one after a re-marking hid a report from it, never gets them."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.api import ApiSettings, create_app
from bigfish.linking.service import rebuild_networks
from bigfish.reporting.period import Period
from bigfish.reporting.stats import compute_statistics
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import group_members, organizations
from bigfish.store.schema_web import page_figures
from bigfish.web import data, freshness
from bigfish.web.render import TEMPLATES
from bigfish.web.stored_figures import (
    HEAD,
    KEPT_FOR,
    Codec,
    KeptFigures,
    KeptSequence,
    StoredFigures,
    dump_version,
    load_version,
    viewer_digest,
)
from tests.api.helpers import TestClient, report
from tests.web.conftest import Computations, WebPartnership, sign_in
from tests.web.test_freshness import _count, _remark, _stale, _viewer


@contextmanager
def restarted(web: WebPartnership) -> Iterator[tuple[Store, Callable[[str], TestClient]]]:
    """An application as after a restart: a new engine and store over the same database, so
    every figure in memory belongs to another store. Yields the store and a function that signs
    a user in."""
    store = open_store(web.store.engine.url.render_as_string(hide_password=False))
    app = create_app(store, ApiSettings())
    clients: list[TestClient] = []

    def signed_in(username: str) -> TestClient:
        client = TestClient(app)
        clients.append(client)
        return sign_in(client, username)

    try:
        with TestClient(app):  # the application's lifespan
            yield store, signed_in
            freshness.settle()
    finally:
        for client in clients:
            client.close()
        store.close()


@contextmanager
def new_process(web: WebPartnership) -> Iterator[Callable[[str], TestClient]]:
    """`restarted`, signing users in."""
    with restarted(web) as (_, signed_in):
        yield signed_in


def _kept_overview(store: Store, viewer: Viewer) -> StoredFigures[Any] | None:
    kept: KeptFigures[Any] = KeptFigures("overview", tuple[data.KeyFigures, data.Changes])
    return kept.read(store, freshness.viewer_key(viewer))


def test_a_new_process_serves_the_kept_figures_at_once_then_refreshes_them(
    web: WebPartnership, computed: Computations
) -> None:
    first = web.clients["A"].get("/").text
    assert (_count(first), _stale(first)) == (4, False)
    freshness.settle()  # kept in the store by the refresh thread
    web.api.submit("A", [report("a-3", phone="+66811111111")])
    computed.reset()
    computed.hold()
    with new_process(web) as signed_in:
        alice = signed_in("alice")
        page = alice.get("/").text
        assert (_count(page), _stale(page)) == (4, True)
        assert re.search(r"As of \d\d:\d\d UTC", page)
        ranking = alice.get("/networks").text.split('id="results"')[1]
        assert _stale(ranking) and "/networks/" in ranking
        assert computed.page == {}
        computed.release()
        freshness.settle()
        assert computed.background == {"overview": 1, "ranking": 1}
        page = alice.get("/").text
        assert (_count(page), _stale(page)) == (5, False)
    kept = _kept_overview(web.store, _viewer(web.store, "A", in_groups=True))
    assert kept is not None and kept.value[0].report_count == 5  # the refresh was kept too
    computed.reset()
    with new_process(web) as signed_in:  # nothing changed since: still marked, never computed
        page = signed_in("alice").get("/").text
        assert (_count(page), _stale(page)) == (5, True)
        assert computed.page == {}


def test_kept_figures_are_never_another_viewers(
    web: WebPartnership, computed: Computations
) -> None:
    assert _count(web.clients["A"].get("/").text) == 4
    freshness.settle()
    computed.reset()
    with new_process(web) as signed_in:
        for user, expected in (("bob", 2), ("carol", 2)):
            page = signed_in(user).get("/").text
            assert (_count(page), _stale(page)) == (expected, False), user
        assert computed.page == {"overview": 2, "ranking": 2}


def test_a_viewer_who_left_a_group_never_gets_the_groups_figures(
    web: WebPartnership, computed: Computations
) -> None:
    assert _count(web.clients["C"].get("/").text) == 2  # g-1, g-2 through the group
    freshness.settle()
    with web.store.begin() as conn:
        c_id = conn.execute(
            sa.select(organizations.c.id).where(organizations.c.name == "C")
        ).scalar_one()
        conn.execute(sa.delete(group_members).where(group_members.c.org_id == c_id))
    computed.reset()
    with new_process(web) as signed_in:
        page = signed_in("carol").get("/").text
        assert (_count(page), _stale(page)) == (0, False)
        assert computed.page["overview"] == 1


def test_the_kept_figures_key_is_the_whole_viewer(web: WebPartnership) -> None:
    calls: list[Viewer] = []  # computed while the caller waited

    def compute(store: Store, viewer: Viewer) -> int:
        if not threading.current_thread().name.startswith("bigfish-figures"):
            calls.append(viewer)
        return compute_statistics(store, viewer).report_count

    c_alone = _viewer(web.store, "C")
    c_in_group = _viewer(web.store, "C", in_groups=True)
    operator = Viewer.node_operator()
    before = freshness.ViewerCache(compute, kept=KeptFigures("test-count", int))
    assert before.get(web.store, c_alone).value == 0
    assert before.get(web.store, operator).value == 6
    freshness.settle()
    after = freshness.ViewerCache(compute, kept=KeptFigures("test-count", int))  # a new process
    store = Store(web.store.engine)
    calls.clear()
    for viewer, expected in (
        (c_alone, (0, True)),
        (operator, (6, True)),
        (c_in_group, (2, False)),
        (Viewer(None, None), (0, False)),  # neither an organization nor the operator
        (Viewer(c_alone.org_id, "C", operator=True), (6, False)),
    ):
        found = after.get(store, viewer)
        assert (found.value, found.stale) == expected, viewer
    assert calls == [c_in_group, Viewer(None, None), Viewer(c_alone.org_id, "C", operator=True)]
    freshness.settle()
    keys = [
        (None, frozenset(), True),
        (None, frozenset(), False),
        (1, frozenset(), False),
        (1, frozenset({2}), False),
        (1, frozenset({2, 3}), False),
        (1, frozenset({2}), True),
        (2, frozenset({1}), False),
    ]
    assert len({viewer_digest(k) for k in keys}) == len(keys)
    assert viewer_digest((1, frozenset({3, 2}), False)) == viewer_digest(
        (1, frozenset({2, 3}), False)
    )


def test_a_process_keeps_a_viewers_figures_at_most_every_keep_every(web: WebPartnership) -> None:
    now = [0.0]
    computed = iter(range(1, 10))
    kept: KeptFigures[int] = KeptFigures("test-every", int)
    cache = freshness.ViewerCache(lambda store, viewer: next(computed), ttl=1.0, kept=kept)
    viewer = _viewer(web.store, "A", in_groups=True)

    def page_then_refresh(at: float) -> int | None:
        now[0] = at
        cache.get(web.store, viewer, clock=lambda: now[0])
        freshness.settle()
        found = kept.read(web.store, freshness.viewer_key(viewer))
        return None if found is None else found.value

    assert page_then_refresh(0.0) == 1  # computed for the page, kept
    assert page_then_refresh(10.0) == 1  # refreshed (ttl) to 2, not kept yet
    assert page_then_refresh(freshness.KEEP_EVERY + 1) == 3


@pytest.mark.parametrize("marking", [{"tlp": "red"}, {"distribution": "organization"}])
def test_kept_figures_counting_a_report_now_hidden_are_not_served(
    web: WebPartnership, computed: Computations, marking: dict[str, str]
) -> None:
    web.api.submit("A", [report("p-1")], distribution="partnership", tlp="green")
    page = web.clients["B"].get("/").text
    assert (_count(page), _stale(page)) == (3, False)  # b-1, b-2, p-1
    freshness.settle()
    _remark(web, "p-1", **marking)  # hidden from B
    web.api.submit("A", [report("a-6")])  # a new report too: still never served stale
    computed.reset()
    with new_process(web) as signed_in:
        page = signed_in("bob").get("/").text
        assert (_count(page), _stale(page)) == (2, False)
        assert computed.page["overview"] == 1
    kept = _kept_overview(web.store, _viewer(web.store, "B", in_groups=True))
    assert kept is not None and kept.value[0].report_count == 2


def test_a_kept_ranking_with_a_report_now_hidden_is_not_served(
    web: WebPartnership, computed: Computations
) -> None:
    carol = web.clients["C"]
    assert "/networks/" in carol.get("/networks").text.split('id="results"')[1]
    freshness.settle()
    _remark(web, "g-1", distribution="organization")
    computed.reset()
    with new_process(web) as signed_in:
        results = signed_in("carol").get("/networks").text.split('id="results"')[1]
        assert "/networks/" not in results and not _stale(results)
        assert computed.page["ranking"] == 1


def test_the_figures_of_every_viewer_round_trip_exactly(web: WebPartnership) -> None:
    overview: KeptFigures[Any] = KeptFigures("overview", tuple[data.KeyFigures, data.Changes])
    ranking: KeptFigures[Any] = KeptFigures("ranking", Sequence[data.RankedNetwork])
    viewers = [Viewer.node_operator()] + [
        _viewer(web.store, name, in_groups=True) for name in ("A", "B", "C")
    ]
    now = datetime.now(UTC)
    for viewer in viewers:
        key = freshness.viewer_key(viewer)
        figures = data._compute_overview(web.store, viewer)
        overview.write(web.store, key, StoredFigures(figures, (), now))
        back = overview.read(web.store, key)
        assert back is not None and back.value == figures
        assert repr(back.value) == repr(figures)  # an int stays an int, UTC stays UTC
        networks = data._compute_ranking(web.store, viewer)
        assert networks, viewer
        ranking.write(web.store, key, StoredFigures(networks, (), now))
        read = ranking.read(web.store, key)
        assert read is not None and isinstance(read.value, KeptSequence)
        assert repr(tuple(read.value)) == repr(tuple(networks))
        assert read.value[-1] == networks[-1] and read.value[1:3] == tuple(networks[1:3])


def test_a_filtered_ranking_of_kept_figures_decodes_only_the_networks_it_shows(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    types = ("investment", "romance", "job_task")
    for ring in range(6):  # shared rings of one to three countries, from A, or A and B
        phone, kind = f"+6683000000{ring}", types[ring % 3]
        first = report(f"r{ring}-a", phone=phone, country=("TH", "SG")[ring % 2], scam_type=kind)
        web.api.submit("A", [first], distribution="partnership")
        more = [
            report(f"r{ring}-{n}", phone=phone, country=("VN", "KH")[n % 2], scam_type=kind)
            for n in range(ring % 3)
        ]
        web.api.submit("B" if ring % 2 else "A", more, distribution="partnership")
    rebuild_networks(web.store)
    viewer = _viewer(web.store, "A", in_groups=True)
    choices = [
        data.NetworkFilters(country="TH"),
        data.NetworkFilters(min_countries=2),
        data.NetworkFilters(org="A", period=Period(None, datetime(2100, 1, 1, tzinfo=UTC), "")),
        data.NetworkFilters(scam_type="investment"),
        data.NetworkFilters(country="VN", org="B"),
    ]
    whole = data.rank_networks(web.store, viewer, data.NetworkFilters(), limit=100).networks
    assert len(whole) >= 4
    fresh = {f: data.rank_networks(web.store, viewer, f, limit=100).networks for f in choices}
    assert all(fresh.values()) and {len(found) for found in fresh.values()} != {len(whole)}
    web.clients["A"].get("/")
    freshness.settle()  # the figures are kept
    codec = data._rankings._kept.codec  # type: ignore[union-attr]
    decoded: list[str] = []
    real = codec.loads
    monkeypatch.setattr(codec, "loads", lambda text: decoded.append(text) or real(text))
    for first in (0, 1):
        with restarted(web) as (store, _):
            assert isinstance(data.visible_ranking(store, viewer).value, KeptSequence)
            for filters, expected in fresh.items():
                decoded.clear()
                found = data.rank_networks(store, viewer, filters, offset=first, limit=1)
                assert found.networks == expected[first : first + 1]
                assert len(decoded) <= 1, filters  # not every network of the ranking
                assert (found.next_offset is not None) == (len(expected) > first + 1)


@dataclass(frozen=True, slots=True)
class Sample:
    whole: float
    count: int
    name: str
    flag: bool
    when: datetime
    maybe: datetime | None
    pairs: tuple[tuple[str, int], ...]


def _samples() -> list[Sample]:
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    return [
        Sample(3, 1, 'line\none "two"\u2028', True, at, None, (("TH", 2), ("VN", 1))),
        Sample(-0.0, -(2**70), "ไทย\\n", False, at.replace(tzinfo=None), at, ()),
        Sample(0.1 + 0.2, 0, "", True, at.astimezone(timezone(timedelta(hours=7))), None, ()),
        Sample(1e308, 7, "\r\n", False, at, at.replace(tzinfo=None), (("", 0),)),
    ]


def test_values_round_trip_with_their_types() -> None:
    samples = _samples()
    one: Codec[tuple[Sample, ...]] = Codec(tuple[Sample, ...])
    back = one.loads(one.dumps(tuple(samples)))
    assert repr(back) == repr(tuple(samples))
    assert type(back[0].whole) is int and str(back[1].whole) == "-0.0"
    assert back[2].when.utcoffset() == timedelta(hours=7) and back[1].when.tzinfo is None
    assert "\n" not in one.dumps(tuple(samples))  # one value, one line


def _many(count: int, name: str = "s") -> list[Sample]:
    """COUNT samples named NAME0, NAME1, ..., each name ending in a newline."""
    at = datetime(2026, 1, 2, tzinfo=UTC)
    return [
        Sample(i / 3, i, f"{name}{i}\n", i % 2 == 0, at + timedelta(seconds=i), None, ((name, i),))
        for i in range(count)
    ]


def test_a_long_sequence_is_read_head_first_then_whole(store: Store) -> None:
    kept: KeptFigures[Sequence[Sample]] = KeptFigures("test-lines", Sequence[Sample])
    key = (1, frozenset({2}), False)
    now = datetime.now(UTC)
    samples = _samples() + _many(HEAD * 2)
    kept.write(store, key, StoredFigures(samples, (), now))
    with store.connect() as conn:
        length, head, rest = conn.execute(
            sa.select(page_figures.c.length, page_figures.c.payload, page_figures.c.rest)
        ).one()
    assert (length, head.count("\n"), rest.count("\n")) == (
        len(samples),
        HEAD - 1,
        len(samples) - HEAD - 1,
    )
    found = kept.read(store, key)
    assert found is not None
    assert len(found.value) == len(samples) and found.value[:3] == tuple(samples[:3])
    assert repr(tuple(found.value)) == repr(tuple(samples))  # the rest read when first used
    empty: KeptFigures[Sequence[Sample]] = KeptFigures("test-empty", Sequence[Sample])
    empty.write(store, key, StoredFigures([], (), now))
    none = empty.read(store, key)
    assert none is not None and list(none.value) == [] and len(none.value) == 0


def test_a_sequence_replaced_while_read_becomes_the_newer_one(store: Store) -> None:
    kept: KeptFigures[Sequence[Sample]] = KeptFigures("test-lines", Sequence[Sample])
    key = (1, frozenset[int](), False)
    now = datetime.now(UTC)
    kept.write(store, key, StoredFigures(_many(HEAD + 10, "old"), (), now))
    found = kept.read(store, key)
    assert found is not None and found.value[0].name == "old0\n"
    newer = _many(HEAD + 20, "new")
    kept.write(store, key, StoredFigures(newer, (), now + timedelta(seconds=1)))
    assert found.value[HEAD + 5].name == f"new{HEAD + 5}\n"  # never old head, new rest
    assert len(found.value) == len(newer) and list(found.value) == newer
    for touch in (
        lambda seq: seq[HEAD - 2 : HEAD + 2],
        lambda seq: list(seq),
        lambda seq: seq[-1],
        lambda seq: seq[HEAD + 15],
    ):
        kept.write(store, key, StoredFigures(_many(HEAD + 10, "old"), (), now + timedelta(2)))
        found = kept.read(store, key)
        assert found is not None and found.value[0].name == "old0\n"
        kept.write(store, key, StoredFigures(newer, (), now + timedelta(3)))
        touch(found.value)  # reads the rest: the newer figures whole
        assert tuple(found.value) == tuple(newer) and found.value[0].name == "new0\n"
        now += timedelta(days=2)
    with store.begin() as conn:
        conn.execute(sa.delete(page_figures))
    again = kept.read(store, key)
    assert again is None


def _names(items: Sequence[Any]) -> str:
    return "|".join(item.name for item in items)


def test_a_sequence_is_kept_with_its_facets_read_with_its_other_items(store: Store) -> None:
    kept: KeptFigures[Sequence[Sample]] = KeptFigures(
        "test-facets", Sequence[Sample], facets=_names
    )
    key = (1, frozenset[int](), False)
    now = datetime.now(UTC)
    old, newer = _many(HEAD + 10, "old"), _many(HEAD + 20, "new")

    def read_old_then_keep_newer() -> KeptSequence[Sample]:
        nonlocal now
        now += timedelta(days=1)
        kept.write(store, key, StoredFigures(old, (), now))
        found = kept.read(store, key)
        assert found is not None and isinstance(found.value, KeptSequence)
        if touched:
            assert found.value[HEAD + 1] == old[HEAD + 1]  # the other items, and the facets
        kept.write(store, key, StoredFigures(newer, (), now + timedelta(seconds=1)))
        return found.value

    touched = False
    sequence = read_old_then_keep_newer()
    assert sequence.facets() == _names(newer) == _names(sequence)  # read whole: the newer
    touched = True
    sequence = read_old_then_keep_newer()
    assert sequence.facets() == _names(old) == _names(sequence)  # read whole before
    plain: KeptFigures[Sequence[Sample]] = KeptFigures("test-facets", Sequence[Sample])
    plain.write(store, key, StoredFigures(old, (), now + timedelta(seconds=2)))
    without = plain.read(store, key)
    assert without is not None and isinstance(without.value, KeptSequence)
    assert without.value.facets() is None and list(without.value) == old


def test_only_values_of_the_declared_type_are_written_and_read() -> None:
    codec: Codec[Sample] = Codec(Sample)
    good = _samples()[0]
    for bad in (
        Sample(1.0, 1.5, "x", True, good.when, None, ()),  # type: ignore[arg-type]
        Sample(1.0, True, "x", True, good.when, None, ()),
        Sample(1.0, 1, "x", True, good.when, None, [("a", 1)]),  # type: ignore[arg-type]
        Sample(1.0, 1, "x", True, "2026-01-01", None, ()),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError):
            codec.dumps(bad)
    encoded = codec.dumps(good)
    when = json.dumps(good.when.isoformat())
    pairs = '[["TH",2],["VN",1]]'
    assert when in encoded and pairs in encoded
    for broken in (
        encoded[:-1] + ",1]",  # a field too many
        "[]",
        '{"whole": 1}',
        encoded.replace(when, "5"),  # a datetime that is not text
        encoded.replace(pairs, '{"TH":2}'),  # a tuple that is not a list
    ):
        with pytest.raises((TypeError, ValueError)):
            codec.loads(broken)
    with pytest.raises(TypeError):
        Codec(dict[str, int])
    assert Codec(Sample).shape == codec.shape != Codec(tuple[Sample, ...]).shape


def test_data_versions_round_trip() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 6)
    for version in ((), (None, None), (12, at, 3, at.replace(tzinfo=UTC), None, "2026-01-02")):
        assert repr(load_version(dump_version(version))) == repr(version)


def test_kept_figures_keep_the_newest_and_drop_the_forgotten(store: Store) -> None:
    kept: KeptFigures[int] = KeptFigures("test", int)
    other: KeptFigures[str] = KeptFigures("test", str)  # the same kind, another type
    key = (None, frozenset[int](), True)
    now = datetime.now(UTC).replace(microsecond=0)
    assert kept.read(store, key) is None
    kept.write(store, key, StoredFigures(2, (1, now), now))
    kept.write(store, key, StoredFigures(1, (1, now), now - timedelta(seconds=1)))  # older: lost
    found = kept.read(store, key)
    assert found is not None and (found.value, found.version, found.computed_at) == (
        2,
        (1, now),
        now,
    )
    assert other.read(store, key) is None  # kept with another shape: ignored
    old_key, older_key = (5, frozenset({1}), False), (6, frozenset[int](), False)
    kept.write(store, old_key, StoredFigures(7, (), now - KEPT_FOR + timedelta(hours=1)))
    kept.write(store, older_key, StoredFigures(8, (), now - KEPT_FOR - timedelta(hours=1)))
    assert kept.read(store, old_key) is not None
    assert kept.read(store, older_key) is None  # too old to be served, not dropped yet
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(page_figures)).scalar() == 3
    kept.write(store, key, StoredFigures(3, (2, now), now + KEPT_FOR))
    with store.connect() as conn:  # the row not written for twice KEPT_FOR is dropped
        assert conn.execute(sa.select(sa.func.count()).select_from(page_figures)).scalar() == 2


def test_kept_figures_from_another_day_show_their_date() -> None:
    clock = TEMPLATES.env.filters["clock"]
    now = datetime.now(UTC)
    assert re.fullmatch(r"\d\d:\d\d", clock(now))
    assert clock(now - timedelta(days=2)) == (now - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")

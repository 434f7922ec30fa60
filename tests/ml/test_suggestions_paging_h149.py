"""A campaign's first report is chosen by every copy: `GET /api/v1/similar` serves its
suggestions a page at a time (`limit`, `next_cursor`), each once, none of a hidden report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bigfish.store import open_store
from bigfish.suggestions import find
from tests.api.helpers import Partnership, build_partnership, report
from tests.conftest import _copy_migrated, _empty_postgres

SMS = (
    "Got an SMS saying my parcel is held at customs: pay the fee at bit.ly/{i}p or call {phone} "
    "within 24 hours, so I paid and the parcel never came."
)


def _copy(org: str, i: int, country: str = "TH") -> dict[str, Any]:
    phone = f"+668{10_000_000 + i}" if country == "TH" else f"+849{10_000_000 + i}"
    return report(
        f"{org.lower()}{i}", phone=phone, country=country, narrative=SMS.format(i=i, phone=phone)
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def campaign(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Partnership]:
    """The campaign's 230 reports and their suggestions, on each backend: made once for the
    module's tests, which only read them (a store migrated and emptied as `store` makes one)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('paging') / 'bigfish.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url, request)
    _copy_migrated(url, request)
    store = open_store(url)
    try:
        for p in build_partnership(store):  # mekong: A and C
            shared = {"tlp": "green", "distribution": "partnership"}
            p.submit("A", [_copy("A", i) for i in range(150)], **shared)
            p.submit("B", [_copy("B", i, "VN") for i in range(150, 190)])  # B's own: hidden
            p.submit("C", [_copy("C", i) for i in range(190, 230)], **shared)
            find(p.store, top_k=10, min_score=0.5)
            yield p
    finally:
        store.close()


def _page(p: Partnership, who: str, **params: Any) -> Any:
    answer = p.client.get(
        "/api/v1/similar", params={"org": "A", "report_id": "a0"} | params, headers=p.headers(who)
    )
    return answer.status_code, answer.json()


def _every_page(p: Partnership, who: str, limit: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit} | ({} if cursor is None else {"cursor": cursor})
        status, body = _page(p, who, **params)
        assert status == 200 and len(body["suggestions"]) <= limit
        found += body["suggestions"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
        assert len(body["suggestions"]) == limit  # a page before the last is full
    raise AssertionError("paging did not end")


def test_a_campaign_s_first_report_is_served_a_page_at_a_time(campaign: Partnership) -> None:
    status, first = _page(campaign, "A")
    assert status == 200
    assert len(first["suggestions"]) == 100 and first["next_cursor"]  # the default limit
    everything = _every_page(campaign, "A", 1000)
    assert len(everything) == 149 + 40  # every other copy A may see chose a0
    for limit in (1, 7, 100):
        paged = _every_page(campaign, "A", limit)
        assert paged == everything  # each once, in one stable order
    keys = [(-s["score"], s["org"], s["report_id"]) for s in everything]
    assert keys == sorted(keys)
    assert {s["org"] for s in everything} == {"A", "C"}  # never B's hidden reports


def test_a_hidden_report_is_on_no_page(campaign: Partnership) -> None:
    seen_by_b = _every_page(campaign, "B", 13)
    assert {s["org"] for s in seen_by_b} == {"A", "B", "C"}
    assert len(seen_by_b) == 229
    seen_by_c = _every_page(campaign, "C", 13)
    assert all(s["org"] != "B" for s in seen_by_c) and len(seen_by_c) == 189


def test_a_limit_and_cursor_outside_the_listing_are_refused(campaign: Partnership) -> None:
    assert _page(campaign, "A", limit=1001)[0] == 422
    assert _page(campaign, "A", limit=0)[0] == 422
    status, body = _page(campaign, "A", cursor="bm90IGEgY3Vyc29y")
    assert status == 400 and body["error"]["details"]["field"] == "cursor"

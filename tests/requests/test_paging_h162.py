"""A box of cooperation requests is read a page at a time where it is read, newest first, on
SQLite and PostgreSQL: every request of the box once, none of another organization's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.cooperation.model import (
    CooperationRequest,
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
)
from bigfish.cooperation.service import (
    acting_as,
    create_request,
    list_requests,
    requests_page,
    transition,
)
from bigfish.errors import InputError
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_evidence import cooperation_requests
from tests.api.helpers import Partnership, build_partnership


def _draft(to_org: str = "KH-NPA") -> RequestDraft:
    return RequestDraft(
        to_org=to_org,
        request_type=RequestType.PRESERVATION,
        legal_basis="budapest-29",
        summary="Preserve subscriber and IP logs of this number",
        subjects=(Subject(SubjectKind.IDENTIFIER, "+855 12 345 678", "phone"),),
        urgency=Urgency.URGENT,
        deadline=datetime.now(UTC) + timedelta(days=3),
        created_by="Somchai",
    )


@pytest.fixture
def orgs(store: Store) -> tuple[Store, Viewer, Viewer, Viewer]:
    for name, cc in (("TH-AOC", "TH"), ("KH-NPA", "KH"), ("PH-CICC", "PH")):
        add_org(store, name, country=cc)
    return (
        store,
        acting_as(store, "TH-AOC"),
        acting_as(store, "KH-NPA"),
        acting_as(store, "PH-CICC"),
    )


def _walk(
    store: Store, viewer: Viewer, box: str, limit: int, status: Any = None, between: Any = None
) -> list[str]:
    """Every request id of VIEWER's BOX, LIMIT a page; BETWEEN is called between pages."""
    seen: list[str] = []
    cursor = None
    while True:
        page = requests_page(store, viewer, box, status, cursor=cursor, limit=limit)
        assert len(page.requests) <= limit
        seen += [r.request_id for r in page.requests]
        if page.next_cursor is None:
            return seen
        assert page.next_cursor == seen[-1]
        cursor = page.next_cursor
        if between is not None:
            between()


def _ids(found: list[CooperationRequest]) -> list[str]:
    return [r.request_id for r in found]


def test_the_pages_of_each_box_are_its_list_newest_first(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, ph = orgs
    sent = [create_request(store, th, _draft(), send=True) for _ in range(5)]
    drafts = [create_request(store, th, _draft()) for _ in range(2)]  # the requester's alone
    back = [create_request(store, kh, _draft("TH-AOC"), send=True) for _ in range(3)]
    theirs = create_request(store, ph, _draft(), send=True)
    newest_first = [r.request_id for r in reversed(sent)]
    assert _ids(list_requests(store, kh, "inbox")) == [theirs.request_id, *newest_first]
    for viewer, box, count in ((th, "outbox", 7), (th, "inbox", 3), (kh, "inbox", 6)):
        everything = _ids(list_requests(store, viewer, box))
        assert len(everything) == count
        for limit in (1, 2, count, count + 1):
            assert _walk(store, viewer, box, limit) == everything
    walked = _walk(store, th, "outbox", 2) + _walk(store, th, "inbox", 2)
    assert theirs.request_id not in walked
    assert sorted(walked) == sorted(r.request_id for r in sent + drafts + back)
    assert _walk(store, ph, "inbox", 1) == []
    assert not {r.request_id for r in drafts} & set(_walk(store, kh, "inbox", 2))


def test_requests_made_between_pages_neither_repeat_nor_push_one_off(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    before = [create_request(store, th, _draft(), send=True).request_id for _ in range(5)]
    added: list[str] = []

    def one_more() -> None:  # newer than every page: before the cursor, on no later page
        added.append(create_request(store, th, _draft(), send=True).request_id)

    assert _walk(store, kh, "inbox", 2, between=one_more) == before[::-1]
    assert len(added) == 2
    assert _walk(store, kh, "inbox", 3) == (before + added)[::-1]


def test_requests_made_at_the_same_moment_are_paged_by_their_order(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    """Several requests of one created_at (the clocks of two nodes, a request synced in) come
    newest id first, each once, wherever a page ends."""
    store, th, kh, _ = orgs
    made = [create_request(store, th, _draft(), send=True).request_id for _ in range(6)]
    with store.begin() as conn:
        moment = conn.execute(
            sa.select(cooperation_requests.c.created_at).where(
                cooperation_requests.c.request_id == made[0]
            )
        ).scalar_one()
        conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.request_id.in_(made[1:5]))
            .values(created_at=moment)
        )
    everything = _ids(list_requests(store, kh, "inbox"))
    assert everything[0] == made[5] and sorted(everything) == sorted(made)
    for limit in (1, 2, 3, 4):
        assert _walk(store, kh, "inbox", limit) == everything


def test_a_status_filter_pages_on_past_a_request_that_changed_meanwhile(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    made = [create_request(store, th, _draft(), send=True).request_id for _ in range(4)]
    first = requests_page(store, kh, "inbox", RequestStatus.SENT, limit=2)
    assert _ids(first.requests) == made[:1:-1]
    assert first.next_cursor is not None
    transition(store, kh, first.next_cursor, RequestStatus.ACKNOWLEDGED, None, actor="Dara")
    rest = requests_page(store, kh, "inbox", RequestStatus.SENT, cursor=first.next_cursor, limit=2)
    assert _ids(rest.requests) == made[1::-1] and rest.next_cursor is None


def test_an_overdue_request_is_expired_before_its_page_is_read(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    made = create_request(store, th, _draft(), send=True)
    with store.begin() as conn:
        conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.request_id == made.request_id)
            .values(deadline=datetime.now(UTC) - timedelta(minutes=1))
        )
    [shown] = requests_page(store, kh, "inbox", limit=1).requests
    assert shown.status is RequestStatus.EXPIRED


def test_a_cursor_of_another_box_or_organization_is_refused_naming_the_field(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, ph = orgs
    sent = create_request(store, th, _draft(), send=True)
    draft = create_request(store, th, _draft())
    for viewer, box, cursor in (
        (kh, "outbox", sent.request_id),  # KH received it: not of its outbox
        (ph, "inbox", sent.request_id),  # not PH's at all
        (kh, "inbox", draft.request_id),  # a draft is the requester's alone
        (kh, "inbox", "rq-unknown"),
    ):
        with pytest.raises(InputError) as refused:
            requests_page(store, viewer, box, cursor=cursor, limit=2)
        assert refused.value.field == "cursor"
    with pytest.raises(InputError) as refused:
        requests_page(store, kh, "inbox", limit=0)
    assert refused.value.field == "limit"


@pytest.fixture
def api(store: Store) -> Iterator[Partnership]:
    yield from build_partnership(store)


def test_walking_the_api_pages_gives_every_request_once(api: Partnership) -> None:
    a, c = acting_as(api.store, "A"), acting_as(api.store, "C")
    made = [create_request(api.store, a, _draft("C"), send=True).request_id for _ in range(5)]
    create_request(api.store, acting_as(api.store, "B"), _draft("C"), send=True)
    mine = _ids(list_requests(api.store, c, "inbox"))
    for box, org, expected in (("outbox", "A", made[::-1]), ("inbox", "C", mine)):
        for limit in (1, 2, 5):
            seen: list[str] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"box": box, "limit": limit}
                page = api.client.get(
                    "/api/v1/requests",
                    params=params | ({"cursor": cursor} if cursor else {}),
                    headers=api.headers(org),
                ).json()
                seen += [r["request_id"] for r in page["requests"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert seen == expected
    refused = api.client.get(
        "/api/v1/requests", params={"box": "outbox", "cursor": made[0]}, headers=api.headers("B")
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["details"] == {"field": "cursor"}

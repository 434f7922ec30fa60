"""/evidence and /requests show a page at a time (each box of /requests on its own), with links
to the next page and back to the first; following them shows every row once, in order, and
never another organization's."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bigfish.cooperation.model import RequestDraft, RequestType, Subject, SubjectKind, Urgency
from bigfish.cooperation.service import acting_as, create_request
from bigfish.store.schema_access import audit_log
from bigfish.web import views_cases
from tests.api.helpers import TestClient
from tests.web.conftest import WebPartnership, audit_rows


@pytest.fixture(autouse=True)
def data_dir(web: WebPartnership, tmp_path: Path) -> None:
    web.api.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]


def _upload(web: WebPartnership, org: str, report_id: str, content: bytes) -> str:
    answer = web.api.client.post(
        f"/api/v1/reports/{org}/{report_id}/evidence",
        headers=web.api.headers(org),
        files={"file": ("chat.txt", io.BytesIO(content), "text/plain")},
        data={"source": "the victim's phone", "method": "copy"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_id"])


def _request(web: WebPartnership, from_org: str, to_org: str) -> str:
    draft = RequestDraft(
        to_org=to_org,
        request_type=RequestType.PRESERVATION,
        legal_basis="budapest-29",
        summary="Preserve the logs",
        subjects=(Subject(SubjectKind.IDENTIFIER, "+66811111111", "phone"),),
        urgency=Urgency.URGENT,
        deadline=datetime.now(UTC) + timedelta(days=3),
        created_by="analyst",
    )
    return create_request(web.store, acting_as(web.store, from_org), draft, send=True).request_id


def _next(part: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', part)
    return html.unescape(found[1]) if found else None


def _first(part: str) -> str | None:
    found = re.search(r'<a href="([^"]+)">← ', part)
    return html.unescape(found[1]) if found else None


def _evidence_rows(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="/evidence/([^"]+)"', page)


def _boxes(page: str) -> dict[str, str]:
    """The inbox and outbox parts of a /requests page."""
    inbox = page.split('id="inbox"', 1)[1].split('id="outbox"', 1)[0]
    outbox = page.split('id="outbox"', 1)[1].split('id="new-request"', 1)[0]
    return {"inbox": inbox, "outbox": outbox}


def _request_rows(part: str) -> list[str]:
    return re.findall(r"<tr><td>(rq-[0-9a-f]+)</td>", part)


def _walk_evidence(client: TestClient, between: Callable[[], None] | None = None) -> list[str]:
    seen: list[str] = []
    address: str | None = "/evidence"
    while address is not None:
        answer = client.get(address)
        assert answer.status_code == 200, answer.text
        seen += _evidence_rows(answer.text)
        assert (_first(answer.text) is None) == (address == "/evidence")
        address = _next(answer.text)
        if address is not None and between is not None:
            between()
    return seen


def test_the_evidence_page_shows_50_and_links_to_the_next(web: WebPartnership) -> None:
    """51 pieces: 50 on the first page, a link to the one left, and back; every piece was on
    one page before."""
    made = [_upload(web, "A", "a-1", f"screenshot {i}".encode()) for i in range(51)]
    alice = web.clients["A"]
    first = alice.get("/evidence").text
    assert _evidence_rows(first) == made[:50]
    following = _next(first)
    assert following == f"/evidence?cursor={made[49]}"
    second = alice.get(following).text
    assert _evidence_rows(second) == made[50:]
    assert _next(second) is None and _first(second) == "/evidence"


def test_walking_the_evidence_pages_shows_each_piece_once_and_no_one_elses(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_cases, "_LIST_PAGE", 2)
    private = [_upload(web, "A", "a-1", f"private {i}".encode()) for i in range(3)]
    group = [_upload(web, "A", "g-1", f"group {i}".encode()) for i in range(3)]
    theirs = [_upload(web, "B", "b-1", f"theirs {i}".encode()) for i in range(2)]
    added: list[str] = []

    def one_more() -> None:  # stored between two pages (twice): at the end, once
        if len(added) < 2:
            added.append(_upload(web, "A", "g-2", f"late {len(added)}".encode()))

    assert _walk_evidence(web.clients["A"], one_more) == private + group + added
    assert _walk_evidence(web.clients["C"]) == group + added  # the group's, nothing private
    assert _walk_evidence(web.clients["B"]) == theirs


def test_each_box_of_the_requests_page_is_paged_on_its_own(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_cases, "_LIST_PAGE", 2)
    sent = [_request(web, "A", "C") for _ in range(5)]
    received = [_request(web, "C", "A") for _ in range(3)]
    _request(web, "B", "C")  # neither A's to see
    alice = web.clients["A"]
    # Walk the outbox: the inbox stays on its first page.
    seen: list[str] = []
    address: str | None = "/requests"
    outbox_place = ""
    while address is not None:
        page = alice.get(address)
        assert page.status_code == 200, page.text
        boxes = _boxes(page.text)
        assert _request_rows(boxes["inbox"]) == received[:0:-1]
        assert "New cooperation request" in page.text  # the form, on every page
        seen += _request_rows(boxes["outbox"])
        address = _next(boxes["outbox"])
        if address is not None:
            assert address.endswith("#outbox")
            outbox_place = address
    assert seen == sent[::-1]
    # Walk the inbox from the outbox's second page: the outbox stays where it was.
    second_outbox = _request_rows(_boxes(alice.get(outbox_place).text)["outbox"])
    seen, address = [], outbox_place.replace("#outbox", "")
    while address is not None:
        boxes = _boxes(alice.get(address).text)
        assert _request_rows(boxes["outbox"]) == second_outbox
        seen += _request_rows(boxes["inbox"])
        address = _next(boxes["inbox"])
        back = _first(boxes["inbox"])
        if back is not None:  # to the inbox's first page, the outbox where it is
            assert _request_rows(_boxes(alice.get(back).text)["outbox"]) == second_outbox
    assert seen == received[::-1]
    bob = _boxes(web.clients["B"].get("/requests").text)
    assert set(_request_rows(bob["inbox"] + bob["outbox"])).isdisjoint(sent + received)


def test_the_requests_page_shows_50_of_a_box(web: WebPartnership) -> None:
    received = [_request(web, "A", "C") for _ in range(51)]
    carol = web.clients["C"]
    boxes = _boxes(carol.get("/requests").text)
    assert _request_rows(boxes["inbox"]) == received[:0:-1]
    following = _next(boxes["inbox"])
    assert following is not None
    rest = _boxes(carol.get(following).text)
    assert _request_rows(rest["inbox"]) == received[:1]
    assert _next(rest["inbox"]) is None and _first(rest["inbox"]) == "/requests#inbox"


def test_a_cursor_not_given_is_an_error_page_naming_the_field(web: WebPartnership) -> None:
    alice = web.clients["A"]
    hidden = _upload(web, "B", "b-1", b"theirs")
    for address, field in (
        ("/evidence?cursor=ev-nothing", "cursor"),
        (f"/evidence?cursor={hidden}", "cursor"),
        ("/requests?inbox_cursor=rq-nothing", "inbox_cursor"),
        ("/requests?outbox_cursor=rq-nothing", "outbox_cursor"),
    ):
        answer = alice.get(address)
        assert answer.status_code == 422, address
        assert f"field &#39;{field}&#39;: cursor must be the next_cursor" in answer.text
    refused = audit_rows(web, audit_log.c.action == "GET /evidence")  # shown nothing, recorded
    assert [(r[2], r[3], r[4]) for r in refused] == [
        ("GET /evidence", "/evidence?cursor=ev-nothing", 422),
        ("GET /evidence", f"/evidence?cursor={hidden}", 422),
    ]


def test_the_links_of_a_box_keep_the_network_the_new_request_is_about(
    web: WebPartnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_cases, "_LIST_PAGE", 2)
    received = [_request(web, "A", "C") for _ in range(3)]
    carol = web.clients["C"]
    address = f"/requests?network={web.private_network}"
    following = _next(_boxes(carol.get(address).text)["inbox"])
    assert following is not None and f"network={web.private_network}&" in following
    second = carol.get(following).text
    assert _request_rows(_boxes(second)["inbox"]) == received[:1]
    assert f'name="subject" value="network:{web.private_network}"' in second
    assert _first(_boxes(second)["inbox"]) == f"{address}#inbox"

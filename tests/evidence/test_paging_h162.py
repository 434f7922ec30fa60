"""The evidence list is read a page at a time where it is read: the API's pages read and check
only their own rows, on SQLite and PostgreSQL, and another organization's evidence is on no page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import InputError
from bigfish.evidence import service
from bigfish.evidence.custody import HashCheck
from bigfish.evidence.files import blob_path
from bigfish.evidence.service import list_evidence
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership, report
from tests.evidence.conftest import Node, add, add_report


@pytest.fixture
def api(store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def _upload(api: Partnership, org: str, report_id: str, content: bytes) -> str:
    answer = api.client.post(
        f"/api/v1/reports/{org}/{report_id}/evidence",
        files={"file": ("f.txt", io.BytesIO(content), "text/plain")},
        data={"source": "victim", "method": "copy"},
        headers=api.headers(org),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["evidence_id"])


def _walk_api(api: Partnership, org: str, limit: int, between: Any = None) -> list[str]:
    """Every evidence id ORG's pages of LIMIT give, following next_cursor; BETWEEN is called
    after each page but the last."""
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        answer = api.client.get("/api/v1/evidence", params=params, headers=api.headers(org))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["evidence"]) <= limit
        seen += [e["evidence_id"] for e in page["evidence"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        if between is not None:
            between()


def _walk(node: Node, viewer: Viewer, limit: int, **filters: str) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = service.evidence_page(
            node.store, node.data_dir, viewer, cursor=cursor, limit=limit, **filters
        )
        seen += [e.evidence_id for e in page.evidence]
        if page.next_cursor is None:
            return seen
        assert page.next_cursor == seen[-1]
        cursor = page.next_cursor


def test_an_api_page_checks_only_its_own_files(
    api: Partnership, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page of 2 of 7 pieces stats 2 files: every page stat every file the caller may see."""
    api.submit("A", [report("R-1")])
    for i in range(7):
        _upload(api, "A", "R-1", f"file {i}".encode())
    real = service._quick_check
    checked: list[str] = []

    def counted(data_dir: Path, row: Any, last: str | None) -> HashCheck:
        checked.append(row.evidence_id)
        return real(data_dir, row, last)

    monkeypatch.setattr(service, "_quick_check", counted)
    page = api.client.get("/api/v1/evidence?limit=2", headers=api.headers("A")).json()
    assert len(checked) == 2
    assert checked == [e["evidence_id"] for e in page["evidence"]]


def test_walking_the_api_pages_gives_every_piece_once_in_order_and_others_none(
    api: Partnership,
) -> None:
    api.submit("A", [report("R-1")])
    api.submit("B", [report("R-B")])
    ours = [_upload(api, "A", "R-1", f"a {i}".encode()) for i in range(5)]
    theirs = [_upload(api, "B", "R-B", f"b {i}".encode()) for i in range(3)]
    added: list[str] = []

    def one_more() -> None:  # stored between two pages (twice a walk): at the end, once
        if len(added) < 2:
            added.append(_upload(api, "A", "R-1", f"late {len(ours)} {len(added)}".encode()))

    for limit in (1, 2, 5, 100):
        walked = _walk_api(api, "A", limit, one_more)
        assert walked == ours + added
        ours, added[:] = walked, []
    assert _walk_api(api, "B", 2) == theirs
    assert _walk_api(api, "C", 1) == []


def test_a_cursor_not_given_to_the_caller_is_a_400_naming_the_field(api: Partnership) -> None:
    api.submit("A", [report("R-1")])
    api.submit("B", [report("R-B")])
    _upload(api, "A", "R-1", b"a")
    hidden = _upload(api, "B", "R-B", b"b")
    for cursor in ("ev-unknown", hidden):  # another organization's id reveals nothing either
        answer = api.client.get(
            "/api/v1/evidence", params={"cursor": cursor}, headers=api.headers("A")
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["details"] == {"field": "cursor"}


def test_the_pages_are_the_list_in_order_for_each_viewer(node: Node) -> None:
    add_report(node.store, "PH-CICC", "P-1")
    for i in range(4):
        add(node, f"private {i}".encode())
        add(node, f"group {i}".encode(), report_id="R-2")
    theirs = service.add_evidence(
        node.store,
        node.data_dir,
        node.b,
        io.BytesIO(b"theirs"),
        org="PH-CICC",
        report_id="P-1",
        acquisition=service.Acquisition(acquired_by="Juan", source="phone", method="copy"),
    )
    for viewer, count in ((node.a, 8), (node.b, 1), (node.c, 4)):
        everything = [e.evidence_id for e in list_evidence(node.store, node.data_dir, viewer)]
        assert len(everything) == count
        for limit in (1, 3, 8, 9):
            assert _walk(node, viewer, limit) == everything
    assert theirs.evidence_id not in _walk(node, node.a, 2)
    r2 = [e.evidence_id for e in list_evidence(node.store, node.data_dir, node.a, report_id="R-2")]
    assert _walk(node, node.a, 3, org="TH-AOC", report_id="R-2") == r2
    with pytest.raises(InputError) as refused:
        service.evidence_page(node.store, node.data_dir, node.a, limit=0)
    assert refused.value.field == "limit"
    # C may not see R-1's evidence: its id is no cursor for C
    private = list_evidence(node.store, node.data_dir, node.a, report_id="R-1")[0].evidence_id
    with pytest.raises(InputError) as refused:
        service.evidence_page(node.store, node.data_dir, node.c, cursor=private, limit=2)
    assert refused.value.field == "cursor"


def test_a_missing_file_on_another_page_leaves_this_page_as_it_was(node: Node) -> None:
    items = [add(node, f"file {i}".encode()) for i in range(4)]
    first = service.evidence_page(node.store, node.data_dir, node.a, limit=2)
    blob_path(node.data_dir, items[3].sha256).unlink()
    again = service.evidence_page(node.store, node.data_dir, node.a, limit=2)
    assert again == first
    assert {e.integrity for e in again.evidence} == {HashCheck.MATCH}  # as acquired
    rest = service.evidence_page(
        node.store, node.data_dir, node.a, cursor=again.next_cursor, limit=2
    )
    assert [e.integrity for e in rest.evidence] == [HashCheck.MATCH, HashCheck.MISSING]
    assert rest.next_cursor is None

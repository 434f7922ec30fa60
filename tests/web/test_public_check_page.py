"""The public check as a page (`/check`, `bigfish serve --public-check`): anyone, without signing
in, pastes a number, a link or a whole message and learns what partners published of it, in
their language, and nothing of who reported it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bigfish.api import ApiSettings
from bigfish.store import Store
from tests.api.helpers import Partnership, TestClient, build_partnership, report

PUBLISHED = "+66811111111"


@pytest.fixture
def node(sqlite_store: Store) -> Iterator[Partnership]:
    settings = ApiSettings(public_check=True, public_check_per_minute=600)
    for p in build_partnership(sqlite_store, settings):
        public = {"tlp": "clear", "distribution": "partnership"}
        p.submit("A", [report("a-1", phone=PUBLISHED)], **public)
        p.submit("B", [report("b-1", phone=PUBLISHED, country="VN")], **public)
        green = {"tlp": "green", "distribution": "partnership"}
        p.submit("A", [report("a-2", phone="+66822222222")], **green)
        yield p


def _page(client: TestClient, language: str = "en", **params: str) -> tuple[int, str]:
    answer = client.get("/check", params=params, headers={"Accept-Language": language})
    return answer.status_code, answer.text


def test_anyone_checks_a_pasted_message_without_signing_in(node: Partnership) -> None:
    status, empty = _page(node.client)
    assert status == 200 and '<textarea id="value" name="value"' in empty
    sms = "Your parcel is held: call 081-111-1111 or 082-222-2222 today"
    status, text = _page(node.client, value=sms, country="TH")
    assert status == 200
    assert "Reported as a scam in 2 published report(s)" in text
    assert "TH, VN" in text and "2025-11-02 – 2025-11-02" in text
    assert "+66822222222" in text and "In no published report" in text  # green: not public
    assert "a-1" not in text and "b-1" not in text  # nothing of the reports or who sent them
    assert "Sign out" not in text and "your organization" not in text  # no session


def test_the_page_speaks_the_visitors_language(node: Partnership) -> None:
    status, thai = _page(node.client, "th", value=PUBLISHED)
    assert status == 200 and "ถูกแจ้งว่าเป็นมิจฉาชีพใน 2 รายงานที่เผยแพร่" in thai
    status, vietnamese = _page(node.client, "vi", value="nothing to check")
    assert status == 400 and "Không tìm thấy số điện thoại" in vietnamese


def test_a_visitor_is_told_what_is_wrong_and_held_to_the_limit(sqlite_store: Store) -> None:
    settings = ApiSettings(public_check=True, public_check_per_minute=6)  # a burst of 2
    for p in build_partnership(sqlite_store, settings):
        assert _page(p.client, value=PUBLISHED, country="T1")[0] == 400
        codes = [_page(p.client, value=PUBLISHED)[0] for _ in range(3)]
        assert codes == [200, 200, 429]
        assert "Too many checks from this address" in _page(p.client, value=PUBLISHED)[1]


def test_without_the_public_check_there_is_no_page(sqlite_store: Store) -> None:
    for p in build_partnership(sqlite_store):
        assert p.client.get("/check").status_code == 404

"""Blinded matching reveals nothing about values that do not match what the caller may see, and a
member removed from a group can no longer match with that group's key through the API."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from bigfish.matching import community_key
from tests.api.helpers import Partnership, report

HIDDEN = "+66811110001"  # only in A's own (organization-only) and TLP:RED reports
SHARED = "+66811110002"  # in a report A shared with mekong
NOWHERE = "+66811110003"


def _blind(p: Partnership, group: str, canonical: str) -> str:
    key = community_key(p.store, group).key
    return hmac.new(key, f"v1|phone|{canonical}".encode(), hashlib.sha256).hexdigest()


def _match(
    p: Partnership, who: str, values: list[str], group: str | None = "mekong"
) -> tuple[int, bytes]:
    body: dict[str, object] = {"blinded": values}
    if group is not None:
        body["group"] = group
    answer = p.client.post("/api/v1/match", json=body, headers=p.headers(who))
    return answer.status_code, answer.content


def test_a_hidden_value_answers_exactly_like_a_value_nobody_holds(
    partnership: Partnership,
) -> None:
    p = partnership
    p.submit("A", [report("a1", phone=HIDDEN)])
    p.submit("A", [report("a2", phone=HIDDEN)], tlp="red", distribution="partnership")
    p.submit("A", [report("a3", phone=SHARED)], distribution="group", group="mekong")
    hidden, shared, nowhere = (_blind(p, "mekong", v) for v in (HIDDEN, SHARED, NOWHERE))
    assert _match(p, "C", [hidden]) == _match(p, "C", [nowhere]) == (200, b'{"matches":[]}')
    status, body = _match(p, "C", [hidden, shared, nowhere])
    assert status == 200
    assert body == b'{"matches":[{"blinded":"%s","report_count":1}]}' % shared.encode()
    # A sees its own reports: the count is over what the caller may see, not over the node.
    status, body = _match(p, "A", [hidden])
    assert body == b'{"matches":[{"blinded":"%s","report_count":2}]}' % hidden.encode()


def test_a_removed_member_cannot_match_with_the_groups_key(partnership: Partnership) -> None:
    p = partnership
    p.submit("A", [report("a3", phone=SHARED)], distribution="group", group="mekong")
    shared = _blind(p, "mekong", SHARED)
    assert _match(p, "C", [shared])[0] == 200
    assert b"report_count" in _match(p, "C", [shared])[1]
    left = p.client.delete("/api/v1/groups/mekong/members/C", headers=p.headers("A-admin"))
    assert left.status_code == 200, left.text
    unknown = _match(p, "C", [shared], group="no-such-group")
    removed = _match(p, "C", [shared])
    assert unknown == (404, removed[1].replace(b"mekong", b"no-such-group"))
    assert _match(p, "C", [shared], group=None) == (200, b'{"matches":[]}')
    # B was never a member: the group looks unknown to it too.
    assert _match(p, "B", [shared])[0] == 404


def test_the_community_key_is_never_in_an_answer_or_a_log(
    partnership: Partnership, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    p = partnership
    key = community_key(p.store, "mekong").key.hex()
    for values in (["zz"], ["0" * 64] * 2, [_blind(p, "mekong", SHARED)]):
        for group in ("mekong", None, "nope"):
            status, body = _match(p, "C", values, group)
            assert status in (200, 400, 404, 422)
            assert key.encode() not in body.lower()
    assert key not in caplog.text.lower()

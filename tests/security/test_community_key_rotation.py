"""A member that leaves a sharing group keeps the community key it was given; the key is rotated
when it leaves, so values blinded with the group's key from then on are not readable with the
old one, and lists blinded with the old key stop matching."""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa

from bigfish.matching import community_key
from bigfish.store.schema_access import blind_index
from tests.api.helpers import Partnership, report

SHARED = "+66811120002"


def _blind(key: bytes, canonical: str) -> str:
    return hmac.new(key, f"v1|phone|{canonical}".encode(), hashlib.sha256).hexdigest()


def _matches(p: Partnership, who: str, values: list[str]) -> list[str]:
    answer = p.client.post(
        "/api/v1/match", json={"blinded": values, "group": "mekong"}, headers=p.headers(who)
    )
    assert answer.status_code == 200, answer.text
    return [m["blinded"] for m in answer.json()["matches"]]


def test_a_member_leaving_rotates_the_groups_key(partnership: Partnership) -> None:
    p = partnership
    p.submit("A", [report("a1", phone=SHARED)], distribution="group", group="mekong")
    old = community_key(p.store, "mekong").key
    assert _matches(p, "A", [_blind(old, SHARED)]) == [_blind(old, SHARED)]
    with p.store.connect() as conn:
        indexed = conn.execute(sa.select(sa.func.count()).select_from(blind_index)).scalar_one()
    assert indexed > 0
    left = p.client.delete("/api/v1/groups/mekong/members/C", headers=p.headers("A-admin"))
    assert left.status_code == 200, left.text
    new = community_key(p.store, "mekong").key
    assert new != old and len(new) == 32
    # The old key's blinded forms are forgotten; the new key's match.
    assert _matches(p, "A", [_blind(old, SHARED)]) == []
    assert _matches(p, "A", [_blind(new, SHARED)]) == [_blind(new, SHARED)]


def test_a_refused_removal_keeps_the_key(partnership: Partnership) -> None:
    p = partnership
    old = community_key(p.store, "mekong").key
    owner = p.client.delete("/api/v1/groups/mekong/members/A", headers=p.headers("A-admin"))
    assert owner.status_code in (400, 422), owner.text
    stranger = p.client.delete("/api/v1/groups/mekong/members/B", headers=p.headers("A-admin"))
    assert stranger.status_code == 404, stranger.text
    assert community_key(p.store, "mekong").key == old

"""Names told apart only by accents or ASCII look-alikes (README's known limitations): `Bánk`
beside Bank, `TH-A0C` (zero) beside TH-AOC, `paypa1` beside paypal and `rnekong` beside mekong
were new organizations, groups and users that show like the taken ones. Now each is refused,
naming the name taken (the message of 7fddd92); a Thai name with and without a tone mark (two
words) are both allowed, and so are names stored before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bigfish.accounts import add_user
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_group, ensure_org, get_org
from bigfish.store.schema import organizations
from tests.api.helpers import Partnership

PASSWORD = "correct horse battery"
# (new name, the name taken it would show like)
PAIRS = [("B\u00e1nk", "Bank"), ("TH-A0C", "TH-AOC"), ("paypa1", "paypal"), ("rnekong", "mekong")]
THAI_RICE, THAI_WHITE = "\u0e02\u0e49\u0e32\u0e27", "\u0e02\u0e32\u0e27"  # ข้าว, ขาว


def test_an_organization_like_a_taken_one_but_for_accents_or_ascii_is_refused(
    partnership: Partnership,
) -> None:
    p = partnership
    for name, taken in PAIRS:
        made = p.client.post("/api/v1/orgs", json={"name": taken}, headers=p.headers("root"))
        assert made.status_code == 201, made.text
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"] == {"field": "name"}
        message = answer.json()["error"]["message"]
        assert f"organization {name!r} would show like organization {taken!r}" in message
        with p.store.begin() as conn, pytest.raises(InputError):
            ensure_org(conn, name)  # `bigfish ingest --org`
    for name in (THAI_WHITE, THAI_RICE):
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 201, (name, answer.text)
    names = {o["name"] for o in p.client.get("/api/v1/orgs", headers=p.headers("root")).json()}
    assert names == {"A", "B", "C", THAI_RICE, THAI_WHITE} | {taken for _, taken in PAIRS}


def test_a_group_like_a_taken_one_but_for_accents_or_ascii_is_refused(
    partnership: Partnership,
) -> None:
    p = partnership
    for name, taken in PAIRS:
        if taken != "mekong":  # the partnership's group
            add_group(p.store, taken, owner="A", members=[])
        answer = p.client.post(
            "/api/v1/groups", json={"name": name, "members": []}, headers=p.headers("B-admin")
        )
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"] == {"field": "name"}
        with pytest.raises(InputError) as raised:
            add_group(p.store, name, owner="B", members=[])
        assert f"sharing group {name!r} would show like sharing group {taken!r}" in str(
            raised.value.message
        )
    for name in (THAI_WHITE, THAI_RICE):
        made = p.client.post(
            "/api/v1/groups", json={"name": name, "members": []}, headers=p.headers("B-admin")
        )
        assert made.status_code == 201, (name, made.text)


def test_a_username_like_a_taken_one_but_for_accents_or_ascii_is_refused(
    partnership: Partnership,
) -> None:
    p = partnership
    for name, taken in PAIRS:
        add_user(p.store, org="A", username=taken, password=PASSWORD, role=ApiRole.ANALYST)
        answer = p.client.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD},
            headers=p.headers("B-admin"),
        )
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"] == {"field": "username"}
        message = answer.json()["error"]["message"]
        assert f"username {name!r} would show like user {taken!r}" in message
    for name in (THAI_WHITE, THAI_RICE):
        made = p.client.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD},
            headers=p.headers("B-admin"),
        )
        assert made.status_code == 201, (name, made.text)


def test_a_capital_i_drawn_as_l_is_refused_a_small_i_is_not(partnership: Partnership) -> None:
    """`PaypaI` with a capital I shows as paypal; `ivan` beside `lvan` shows its dot."""
    p = partnership
    add_user(p.store, org="A", username="paypal", password=PASSWORD, role=ApiRole.ANALYST)
    add_user(p.store, org="A", username="lvan", password=PASSWORD, role=ApiRole.ANALYST)
    with pytest.raises(InputError) as raised:
        add_user(p.store, org="B", username="PaypaI", password=PASSWORD, role=ApiRole.ANALYST)
    assert raised.value.field == "username" and "'paypal'" in raised.value.message
    with pytest.raises(InputError):
        add_user(p.store, org="B", username="Ivan", password=PASSWORD, role=ApiRole.ANALYST)
    made = add_user(p.store, org="B", username="ivan", password=PASSWORD, role=ApiRole.ANALYST)
    assert made.username == "ivan"


def test_a_pair_stored_before_is_kept_and_resolves(partnership: Partnership) -> None:
    """A store that holds Bank and Bánk (made before this check) keeps both; each resolves to
    itself, and a third like them is refused."""
    p = partnership
    with p.store.begin() as conn:
        for name in ("Bank", "B\u00e1nk"):
            conn.execute(organizations.insert().values(name=name, created_at=datetime.now(UTC)))
    with p.store.begin() as conn:
        ids = {ensure_org(conn, "Bank"), ensure_org(conn, "B\u00e1nk")}
        assert ids == {get_org(conn, "Bank").id, get_org(conn, "B\u00e1nk").id}
        assert len(ids) == 2
    answer = p.client.post("/api/v1/orgs", json={"name": "BA\u00d1K"}, headers=p.headers("root"))
    assert answer.status_code == 422, answer.text

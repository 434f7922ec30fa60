"""Names told apart only by a stroke through a letter (`Søren`, `Đông`), a capital `S` or `B`
written as 5 or 8 (`5CB` beside SCB), or the separators between words (`TH_AOC` beside TH-AOC)
were new organizations, groups and users beside the taken ones they show like (README's known
limitations). Now each is refused naming the name taken; `5cb` (small letters, not drawn like
the digits) and `clear-bank` beside `dear-bank` (TR39 has no `cl` for `d`) stay allowed."""

from __future__ import annotations

import pytest

from bigfish.accounts import add_user
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_group, ensure_org
from tests.api.helpers import Partnership

PASSWORD = "correct horse battery"
# (new name, the name taken it would show like)
PAIRS = [
    ("S\u00f8ren", "Soren"),  # Søren
    ("\u0110\u00f4ng-\u00c1-Bank", "Dong-A-Bank"),  # Đông-Á-Bank
    ("5CB", "SCB"),
    ("8BL", "BBL"),
    ("TH_AOC", "TH-AOC"),
    ("TH.AOC", "TH-AOC"),
    ("THAOC", "TH-AOC"),
]
ALLOWED = [("5cb", "SCB"), ("clear-bank", "dear-bank")]


def test_an_organization_like_a_taken_one_is_refused(partnership: Partnership) -> None:
    p = partnership
    for taken in dict.fromkeys(taken for _, taken in PAIRS + ALLOWED):
        made = p.client.post("/api/v1/orgs", json={"name": taken}, headers=p.headers("root"))
        assert made.status_code == 201, made.text
    for name, taken in PAIRS:
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"] == {"field": "name"}
        message = answer.json()["error"]["message"]
        assert f"organization {name!r} would show like organization {taken!r}" in message
        with p.store.begin() as conn, pytest.raises(InputError):
            ensure_org(conn, name)  # `bigfish ingest --org`
    for name, _ in ALLOWED:
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 201, (name, answer.text)


def test_a_group_like_a_taken_one_is_refused(partnership: Partnership) -> None:
    p = partnership
    add_group(p.store, "Mekong Delta", owner="A", members=[])
    for name in ("mekong-delta", "Mekong_Delta", "MekongDelta", "me-kong"):
        answer = p.client.post(
            "/api/v1/groups", json={"name": name, "members": []}, headers=p.headers("B-admin")
        )
        assert answer.status_code == 422, (name, answer.text)
        with pytest.raises(InputError) as raised:
            add_group(p.store, name, owner="B", members=[])
        assert "would show like sharing group" in raised.value.message


def test_a_username_like_a_taken_one_is_refused(partnership: Partnership) -> None:
    p = partnership
    for taken in dict.fromkeys(taken for _, taken in PAIRS):
        add_user(p.store, org="A", username=taken, password=PASSWORD, role=ApiRole.ANALYST)
    for name, taken in PAIRS:
        answer = p.client.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD},
            headers=p.headers("B-admin"),
        )
        assert answer.status_code == 422, (name, answer.text)
        message = answer.json()["error"]["message"]
        assert f"username {name!r} would show like user {taken!r}" in message
        assert "S and 5, B and 8" in message

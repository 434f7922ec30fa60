"""What an organization's admin types into the administration API: key labels, group names and
members. Bad input is refused with a 422 naming the field, never stored to surface later in the
operator's terminal (`bigfish key list`) or answered with a 500."""

from __future__ import annotations

import json
import unicodedata

import pytest

from bigfish.accounts import create_key, list_keys
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_group, ensure_org, list_orgs
from tests.api.helpers import Partnership


@pytest.mark.parametrize(
    "label",
    [
        "ok\n2\tB\tadmin\tactive\t",  # a forged line of `bigfish key list`
        "\x1b[2K\x1b[1A",  # erase and move up: hides the line above in a terminal
        "a\x00b",  # NUL: stored on SQLite, a bare 400 on PostgreSQL
        "\u202eevil",  # right-to-left override: shows the columns in another order
    ],
)
def test_a_key_label_with_control_characters_is_refused(
    sqlite_partnership: Partnership, label: str
) -> None:
    p = sqlite_partnership
    before = len(list_keys(p.store, None))
    answer = p.client.post("/api/v1/keys", json={"label": label}, headers=p.headers("A-admin"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "label"}
    with pytest.raises(InputError) as raised:
        create_key(p.store, org="A", role=ApiRole.ANALYST, label=label)
    assert raised.value.field == "label"
    assert len(list_keys(p.store, None)) == before


def test_a_printable_key_label_is_kept(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    label = "Siam Bank — fraud desk, ระบบ 2"
    answer = p.client.post("/api/v1/keys", json={"label": label}, headers=p.headers("A-admin"))
    assert answer.status_code == 201, answer.text
    assert label in [k.label for k in list_keys(p.store, None)]


def test_a_member_named_twice_is_one_member(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    answer = p.client.post(
        "/api/v1/groups",
        json={"name": "gulf", "members": ["C", "B", "C", "A"]},
        headers=p.headers("A-admin"),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"name": "gulf", "owner": "A", "members": ["A", "B", "C"]}
    group = add_group(p.store, "gulf-2", owner="B", members=["C", "C"])
    assert group.members == ("B", "C")


def test_a_padded_taken_group_name_answers_like_any_taken_name(
    sqlite_partnership: Partnership,
) -> None:
    """B is not in mekong: ' mekong' told it "sharing group 'mekong' already exists", where
    'mekong' gets the answer of any name that cannot be used."""
    p = sqlite_partnership
    answers = [
        p.client.post(
            "/api/v1/groups", json={"name": name, "members": []}, headers=p.headers("B-admin")
        )
        for name in ("mekong", " mekong", "mekong ")
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert answers[1].json() == answers[0].json()
    assert answers[2].json() == answers[0].json()


_LOOKALIKES = [
    "MEKONG",  # case
    "Mekong",
    "ｍｅｋｏｎｇ",  # fullwidth (NFKC)
]


@pytest.mark.parametrize("name", ["gulf  of thailand", "gulf\u00a0of thailand", "GULF OF THAILAND"])
def test_a_group_name_differing_only_in_spaces_cannot_be_used(
    sqlite_partnership: Partnership, name: str
) -> None:
    """A page collapses a run of spaces into one: 'gulf  of thailand' shows as the other."""
    p = sqlite_partnership
    add_group(p.store, "gulf of thailand", owner="A", members=["C"])
    answer = p.client.post(
        "/api/v1/groups", json={"name": name, "members": ["C"]}, headers=p.headers("B-admin")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].endswith("this group name cannot be used")


@pytest.mark.parametrize("name", _LOOKALIKES)
def test_a_group_name_differing_only_in_case_or_form_cannot_be_used(
    sqlite_partnership: Partnership, name: str
) -> None:
    """B, outside mekong, named its own group like A's and put C in it: C's analysts saw two
    groups called mekong and could share into B's instead of A's."""
    p = sqlite_partnership
    taken = p.client.post(
        "/api/v1/groups", json={"name": "mekong", "members": []}, headers=p.headers("B-admin")
    ).json()
    answer = p.client.post(
        "/api/v1/groups", json={"name": name, "members": ["C"]}, headers=p.headers("B-admin")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json() == taken
    groups = p.client.get("/api/v1/groups", headers=p.headers("C")).json()
    assert [g["name"] for g in groups] == ["mekong"]
    with pytest.raises(InputError) as raised:
        add_group(p.store, name, owner="B", members=[])
    assert raised.value.field == "name"


def test_composed_and_decomposed_group_names_are_one_name(
    sqlite_partnership: Partnership,
) -> None:
    p = sqlite_partnership
    composed = unicodedata.normalize("NFC", "sông-hồng")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    add_group(p.store, composed, owner="A", members=[])
    with pytest.raises(InputError) as raised:
        add_group(p.store, decomposed, owner="B", members=["C"])
    assert raised.value.field == "name"


@pytest.mark.parametrize("name", ["a", "ａ", "À"])
def test_an_organization_name_differing_only_in_case_or_form_is_refused(
    sqlite_partnership: Partnership, name: str
) -> None:
    """A platform admin's typo: a second organization that looks like the first, whose
    reports A's keys neither see nor edit."""
    p = sqlite_partnership
    answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
    # À too since helper 163: a name differing only in accents shows like the other
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "name"}
    assert "'A'" in answer.json()["error"]["message"]
    assert sorted(o.name for o in list_orgs(p.store)).count("A") == 1


def test_ensure_org_finds_the_organization_by_its_exact_name(
    sqlite_partnership: Partnership,
) -> None:
    p = sqlite_partnership
    with p.store.begin() as conn:
        assert ensure_org(conn, "A") == ensure_org(conn, " A ")
    names = [o.name for o in list_orgs(p.store)]
    assert names == sorted(set(names))


def test_a_group_named_zero_is_refused_as_submissions_refuse_it(
    sqlite_partnership: Partnership,
) -> None:
    """A submission's group '0' is refused (class 4: a zero id is never "no restriction"), so
    a group named '0' could be created through the API but never shared into through it,
    while `bigfish ingest --group 0` found it."""
    p = sqlite_partnership
    answer = p.client.post(
        "/api/v1/groups", json={"name": "0", "members": ["C"]}, headers=p.headers("A-admin")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "name"}
    with pytest.raises(InputError) as raised:
        add_group(p.store, " 0 ", owner="A", members=[])
    assert raised.value.field == "name"
    assert [g["name"] for g in p.client.get("/api/v1/groups", headers=p.headers("A")).json()] == [
        "mekong"
    ]


@pytest.mark.parametrize("member", ["\ud800", "C\x00"])
def test_a_member_no_organization_could_be_named_is_not_found(
    partnership: Partnership, member: str
) -> None:
    """A lone surrogate in the members list (JSON escapes it, and a list item keeps it) was a
    500 on both backends, a NUL a bare 400 on PostgreSQL: now the 404 of any unknown name."""
    p = partnership
    body = json.dumps({"name": "gulf", "members": [member]})  # ASCII: the surrogate travels escaped
    headers = {**p.headers("A-admin"), "Content-Type": "application/json"}
    answer = p.client.post("/api/v1/groups", content=body, headers=headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["message"] == f"organization {member!r} not found"
    again = p.client.post(
        "/api/v1/groups/mekong/members", content=json.dumps({"org": "C\x00"}), headers=headers
    )
    assert again.status_code == 404, again.text
    assert [g["name"] for g in p.client.get("/api/v1/groups", headers=p.headers("A")).json()] == [
        "mekong"
    ]

"""What an organization's admin types into the administration API: key labels, group names and
members. Bad input is refused with a 422 naming the field, never stored to surface later in the
operator's terminal (`bigfish key list`) or answered with a 500."""

from __future__ import annotations

import pytest

from bigfish.accounts import create_key, list_keys
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_group
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

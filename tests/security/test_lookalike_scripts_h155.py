"""Names told apart by script: a Cyrillic `а` (U+0430) or a Greek `Α` (U+0391) drawn as the Latin
letter made a new organization, group or user beside the one it shows as (README's known
limitations). Now a new name whose `name_key` (case, Unicode form, spaces and letters of another
script drawn alike) is a taken one's is refused, naming the name taken, and so is a new name
mixing Latin, Cyrillic or Greek letters in one word; a name all in one script (Cyrillic, Thai,
Chinese) stays allowed, and names stored before are neither changed nor refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.accounts import add_user
from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.models import ApiRole
from bigfish.organizations import add_group, ensure_org, get_org, list_orgs
from bigfish.store import open_store
from bigfish.store.schema import organizations
from tests.api.helpers import Partnership

PASSWORD = "correct horse battery"
CYR_A, CYR_O, CYR_E = "\u0430", "\u043e", "\u0435"  # а о е


_DRAWN_LIKE = [
    ("\u0391", "A"),  # Greek capital alpha
    ("\u0410", "A"),  # Cyrillic capital a
    ("\u0412", "B"),  # Cyrillic ve
    ("\u03b2", "B"),  # Greek small beta: its capital is drawn as B
    ("\u0421", "C"),  # Cyrillic es
]
_ONE_SCRIPT = ["\u0411\u0430\u043d\u043a", "ธนาคาร", "银行", "SCB-\u0411\u0430\u043d\u043a"]


def test_an_organization_named_in_letters_drawn_like_a_taken_name_is_refused(
    partnership: Partnership,
) -> None:
    p = partnership
    for name, taken in _DRAWN_LIKE:
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["details"] == {"field": "name"}
        assert f"{taken!r}" in answer.json()["error"]["message"]
    assert sorted(o.name for o in list_orgs(p.store)) == ["A", "B", "C"]
    for name in _ONE_SCRIPT:  # Банк, Thai, Chinese: the partnership is multilingual
        answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
        assert answer.status_code == 201, (name, answer.text)
    assert set(_ONE_SCRIPT) <= {o.name for o in list_orgs(p.store)}


def test_a_new_organization_mixing_scripts_in_a_word_is_refused(
    partnership: Partnership,
) -> None:
    p = partnership
    name = f"Siam{CYR_A}Bank"
    answer = p.client.post("/api/v1/orgs", json={"name": name}, headers=p.headers("root"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "name"}
    assert f"{name!r}" in answer.json()["error"]["message"]
    with p.store.begin() as conn, pytest.raises(InputError) as raised:
        ensure_org(conn, name)
    assert raised.value.field == "name"
    assert name not in [o.name for o in list_orgs(p.store)]


def test_names_stored_before_are_kept_and_still_resolve(partnership: Partnership) -> None:
    """A node whose store already holds 'Bank' and 'Bаnk' (made before this check): neither is
    renamed nor refused; each resolves to itself, `ingest --org` and groups included."""
    p = partnership
    mixed = f"B{CYR_A}nk"
    with p.store.begin() as conn:
        for name in ("Bank", mixed):
            conn.execute(organizations.insert().values(name=name, created_at=datetime.now(UTC)))
    with p.store.begin() as conn:
        ids = {ensure_org(conn, "Bank"), ensure_org(conn, mixed)}
        assert ids == {get_org(conn, "Bank").id, get_org(conn, mixed).id} and len(ids) == 2
    group = add_group(p.store, "banks", owner="Bank", members=[mixed])
    assert group.members == tuple(sorted(("Bank", mixed)))
    assert {"Bank", mixed} <= {o.name for o in list_orgs(p.store)}
    answer = p.client.post("/api/v1/orgs", json={"name": "BANK"}, headers=p.headers("root"))
    assert answer.status_code == 422, answer.text


def test_a_group_named_in_letters_drawn_like_a_taken_group_is_refused(
    partnership: Partnership,
) -> None:
    """B, outside mekong, names its group `mеkong` with a Cyrillic `е`: the answer of any name
    that cannot be used (class 10), and the operator is told which group it shows like."""
    p = partnership
    taken = p.client.post(
        "/api/v1/groups", json={"name": "mekong", "members": []}, headers=p.headers("B-admin")
    ).json()
    answer = p.client.post(
        "/api/v1/groups",
        json={"name": f"m{CYR_E}kong", "members": ["C"]},
        headers=p.headers("B-admin"),
    )
    assert answer.status_code == 422, answer.text
    assert answer.json() == taken
    add_group(p.store, "tax", owner="A", members=[])
    with pytest.raises(InputError) as raised:
        add_group(p.store, "\u0442\u0430\u0445", owner="B", members=["C"])  # тах, all Cyrillic
    assert raised.value.field == "name" and "'tax'" in raised.value.message
    names = [g["name"] for g in p.client.get("/api/v1/groups", headers=p.headers("C")).json()]
    assert names == ["mekong"]


def test_a_group_name_mixing_scripts_in_a_word_is_refused_one_script_kept(
    partnership: Partnership,
) -> None:
    p = partnership
    mixed = f"gulf {CYR_O}f thailand"
    answer = p.client.post(
        "/api/v1/groups", json={"name": mixed, "members": []}, headers=p.headers("A-admin")
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"field": "name"}
    for name in (
        "\u0421\u0438\u0430\u043c\u0441\u043a\u0438\u0439 \u0437\u0430\u043b\u0438\u0432",
        "อ่าวไทย banks",
    ):
        made = p.client.post(
            "/api/v1/groups", json={"name": name, "members": []}, headers=p.headers("A-admin")
        )
        assert made.status_code == 201, made.text


def test_a_username_like_a_taken_one_is_refused(partnership: Partnership) -> None:
    """A username is who did it in the audit log and on a request a partner reads: B's admin
    could make `Alice` or `аlice` beside A's alice."""
    p = partnership
    add_user(p.store, org="A", username="alice", password=PASSWORD, role=ApiRole.ANALYST)
    add_user(p.store, org="A", username="coco", password=PASSWORD, role=ApiRole.ANALYST)
    for name, taken in (("Alice", "alice"), ("\u0441\u043e\u0441\u043e", "coco")):  # сосо
        answer = p.client.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD},
            headers=p.headers("B-admin"),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"] == {"field": "username"}
        assert f"{taken!r}" in answer.json()["error"]["message"]
    with pytest.raises(InputError) as raised:
        add_user(
            p.store, org="B", username=f"{CYR_A}lice2", password=PASSWORD, role=ApiRole.ANALYST
        )
    assert raised.value.field == "username"
    made = add_user(
        p.store,
        org="B",
        username="\u0410\u043d\u043d\u0430",
        password=PASSWORD,
        role=ApiRole.ANALYST,
    )
    assert made.username == "\u0410\u043d\u043d\u0430"  # Анна, all Cyrillic


_CSV = "report_id,reported_at,country,phones\nr-1,2025-11-02,TH,0812345678\n"


def test_cli_ingest_and_org_add_refuse_a_name_drawn_like_a_taken_one(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'n.db'}"
    options = ["--db", url, "--data-dir", str(tmp_path / "data")]
    added = runner.invoke(app, [*options, "org", "add", "Bank", "--country", "TH"])
    assert added.exit_code == 0, added.output
    batch = tmp_path / "bank.csv"
    batch.write_text(_CSV, "utf-8")
    for lookalike in (f"B{CYR_A}nk", "\u0412\u0430nk", "\u0392ank"):  # Cyrillic а, В; Greek Β
        refused = runner.invoke(app, [*options, "ingest", str(batch), "--org", lookalike])
        assert refused.exit_code != 0, refused.output
        assert lookalike in refused.output
    whole = "\u0412\u0410\u041d\u041a"  # ВАНК shows as BAHK, not Bank: allowed beside it
    other = runner.invoke(app, [*options, "org", "add", "BAHK", "--country", "TH"])
    assert other.exit_code == 0, other.output
    refused = runner.invoke(app, [*options, "org", "add", whole, "--country", "TH"])
    assert refused.exit_code != 0 and "'BAHK'" in refused.output, refused.output
    store = open_store(url)
    try:
        assert [o.name for o in list_orgs(store)] == ["BAHK", "Bank"]
        with store.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(organizations))
            assert count.scalar_one() == 2
    finally:
        store.close()

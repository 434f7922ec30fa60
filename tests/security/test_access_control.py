"""Access control: spec/security-tests.md classes 1-13. "A" owns the data, "B" must not see it,
"C" is A's partner in the group "mekong"."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI

from bigfish.api import create_app, undeclared_routes
from bigfish.api.app import registered_routes
from bigfish.matching import community_key
from bigfish.organizations import add_group
from bigfish.store.schema import reports
from tests.api.helpers import Partnership, report

PHONE = "+66812345678"
MARKINGS: list[dict[str, Any]] = [
    {},  # the defaults: amber, organization
    {"tlp": "clear", "distribution": "organization"},
    {"tlp": "green", "distribution": "group", "group": "mekong"},
    {"tlp": "amber+strict", "distribution": "group", "group": "mekong"},
    {"tlp": "red", "distribution": "group", "group": "mekong"},
    {"tlp": "red", "distribution": "partnership"},
]


def _blinded(p: Partnership, group: str, kind: str, canonical: str) -> str:
    key = community_key(p.store, group).key
    return hmac.new(key, f"v1|{kind}|{canonical}".encode(), hashlib.sha256).hexdigest()


def _nothing_for_b(p: Partnership) -> None:
    """B holds PHONE in its own report b1; it must see that one and nothing of A's."""
    c, h = p.client, p.headers("B")
    assert c.get("/api/v1/reports/A/r1", headers=h).status_code == 404
    listed = c.get("/api/v1/reports", headers=h).json()["reports"]
    assert [(r["org"], r["report_id"]) for r in listed] == [("B", "b1")]
    assert c.get("/api/v1/reports", params={"org": "A"}, headers=h).json()["reports"] == []
    one = c.get("/api/v1/lookup", params={"kind": "phone", "value": PHONE}, headers=h).json()
    assert one["report_count"] == 1 and one["organizations"] == ["B"]
    batch = c.post(
        "/api/v1/lookup", json={"identifiers": [{"kind": "phone", "value": PHONE}]}, headers=h
    ).json()
    assert batch == [one]
    assert c.get("/api/v1/alerts", headers=h).json()["alerts"] == []
    blinded = _blinded(p, "all3", "phone", PHONE)
    assert c.post("/api/v1/match", json={"blinded": [blinded]}, headers=h).json() == {
        "matches": [{"blinded": blinded, "report_count": 1}]
    }


@pytest.mark.parametrize("marking", MARKINGS, ids=lambda m: "-".join(m.values()) or "default")
def test_class01_b_gets_nothing_of_what_a_did_not_share(
    partnership: Partnership, marking: dict[str, Any]
) -> None:
    add_group(partnership.store, "all3", owner="A", members=["B", "C"])
    partnership.submit("B", [report("b1")])  # B holds the same phone: alerts must stay silent
    partnership.submit("A", [report("r1")], **marking)
    _nothing_for_b(partnership)
    seen_by_c = partnership.client.get("/api/v1/reports/A/r1", headers=partnership.headers("C"))
    assert seen_by_c.status_code == (200 if marking.get("distribution") == "group" else 404)


def test_class02_hidden_values_look_like_missing(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("B")
    params = {"kind": "phone", "value": "081 234 5678", "country": "TH"}
    batch = {"identifiers": [{"kind": "phone", "value": PHONE}, {"kind": "url", "value": "x.io"}]}
    before = c.get("/api/v1/lookup", params=params, headers=h)
    before_batch = c.post("/api/v1/lookup", json=batch, headers=h)
    partnership.submit("A", [report("r1"), report("r2", urls=["https://x.io/"])])
    after = c.get("/api/v1/lookup", params=params, headers=h)
    after_batch = c.post("/api/v1/lookup", json=batch, headers=h)
    assert (after.status_code, after.content) == (before.status_code, before.content)
    assert (after_batch.status_code, after_batch.content) == (
        before_batch.status_code,
        before_batch.content,
    )
    mine = c.get("/api/v1/lookup", params=params, headers=partnership.headers("A")).json()
    assert mine["report_count"] == 2  # the value is there, B just may not know it


def test_class03_match_and_alerts_reveal_nothing_hidden(partnership: Partnership) -> None:
    add_group(partnership.store, "all3", owner="A", members=["B", "C"])
    partnership.submit("A", [report("r1")])
    partnership.submit(
        "A", [report("r2", phone="+66899999999")], distribution="partnership", tlp="green"
    )
    partnership.submit("B", [report("b1"), report("b2", phone="+66899999999")])
    hidden = _blinded(partnership, "all3", "phone", PHONE)
    shared = _blinded(partnership, "all3", "phone", "+66899999999")
    found = partnership.client.post(
        "/api/v1/match", json={"blinded": [hidden, shared]}, headers=partnership.headers("B")
    ).json()
    # B's own b1 holds PHONE too: it counts once, A's hidden r1 not at all
    assert found == {
        "matches": [
            {"blinded": hidden, "report_count": 1},
            {"blinded": shared, "report_count": 2},
        ]
    }
    alerts = partnership.client.get("/api/v1/alerts", headers=partnership.headers("B")).json()
    assert [a["identifier"]["canonical"] for a in alerts["alerts"]] == ["+66899999999"]
    assert [a["report"]["report_id"] for a in alerts["alerts"]] == ["r2"]


@pytest.mark.parametrize("group", ["", " ", "0", "null"])
def test_class04_empty_or_zero_group_is_rejected(partnership: Partnership, group: str) -> None:
    response = partnership.client.post(
        "/api/v1/reports",
        json={"reports": [report("r1")], "distribution": "group", "group": group},
        headers=partnership.headers("A"),
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "group"


def test_class04_group_in_conflict_with_distribution_is_checked(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("A")
    conflict = c.post(
        "/api/v1/reports",
        json={"reports": [report("r1")], "distribution": "organization", "group": "mekong"},
        headers=h,
    )
    missing = c.post(
        "/api/v1/reports", json={"reports": [report("r1")], "distribution": "group"}, headers=h
    )
    null = c.post(
        "/api/v1/reports",
        json={"reports": [report("r1")], "distribution": "group", "group": None},
        headers=h,
    )
    assert (conflict.status_code, missing.status_code, null.status_code) == (400, 400, 400)
    add_group(partnership.store, "bc", owner="B", members=["C"])
    foreign = c.post(
        "/api/v1/reports",
        json={"reports": [report("r1")], "distribution": "group", "group": "bc"},
        headers=h,
    )
    assert foreign.status_code == 422 and foreign.json()["error"]["details"]["field"] == "group"
    assert c.get("/api/v1/reports", headers=h).json()["reports"] == []


def test_class05_path_and_body_ids_must_agree(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1"), report("r2")])
    c, h = partnership.client, partnership.headers("A")
    for body in ({"tlp": "red", "report_id": "r2"}, {"tlp": "red", "org": "B"}):
        response = c.patch("/api/v1/reports/A/r1", json=body, headers=h)
        assert response.status_code in (403, 404)
    assert c.get("/api/v1/reports/A/r1", headers=h).json()["tlp"] == "amber"
    assert c.get("/api/v1/reports/A/r2", headers=h).json()["tlp"] == "amber"


def test_class06_owner_fields_from_the_client_are_ignored(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1", org="B", owner="B", org_id=2, created_by="mallory")])
    c = partnership.client
    mine = c.get("/api/v1/reports/A/r1", headers=partnership.headers("A"))
    assert mine.status_code == 200
    assert not {"org", "owner", "org_id", "created_by"} & set(mine.json()["attributes"] or {})
    assert c.get("/api/v1/reports/B/r1", headers=partnership.headers("B")).status_code == 404


def test_class07_shared_but_not_editable(partnership: Partnership) -> None:
    partnership.submit("A", [report("r1")], distribution="partnership", tlp="green")
    c, h = partnership.client, partnership.headers("B")
    assert c.get("/api/v1/reports/A/r1", headers=h).status_code == 200
    assert c.patch("/api/v1/reports/A/r1", json={"tlp": "clear"}, headers=h).status_code == 403
    assert c.delete("/api/v1/reports/A/r1", headers=h).status_code == 403
    remark_as_c = c.patch(
        "/api/v1/reports/A/r1", json={"tlp": "clear"}, headers=partnership.headers("C")
    )
    assert remark_as_c.status_code == 403
    assert c.get("/api/v1/reports/A/r1", headers=h).json()["tlp"] == "green"


def test_class08_org_admin_cannot_touch_others_credentials(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("A-admin")
    assert (
        c.post("/api/v1/keys", json={"org": "B", "role": "analyst"}, headers=h).status_code == 403
    )
    platform = c.post("/api/v1/keys", json={"role": "admin", "platform": True}, headers=h)
    assert platform.status_code == 403
    b_keys = c.get("/api/v1/keys", headers=partnership.headers("B-admin")).json()
    for key in b_keys:
        assert c.delete(f"/api/v1/keys/{key['id']}", headers=h).status_code == 404
    listed = c.get("/api/v1/keys", headers=h).json()
    assert {k["org"] for k in listed} == {"A"} and not any(k["platform"] for k in listed)
    assert c.get("/api/v1/orgs", headers=h).status_code == 200
    assert c.post("/api/v1/orgs", json={"name": "D"}, headers=h).status_code == 403
    assert (
        c.post(
            "/api/v1/keys", json={"role": "analyst"}, headers=partnership.headers("A")
        ).status_code
        == 403
    )
    # B's key still works: nothing was revoked
    assert c.get("/api/v1/reports", headers=partnership.headers("B")).status_code == 200
    root = c.post(
        "/api/v1/keys", json={"org": "B", "role": "readonly"}, headers=partnership.headers("root")
    )
    assert root.status_code == 201 and root.json()["org"] == "B"


def test_class09_sync_key_has_no_rights_beyond_sync(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("A-sync")
    assert (
        c.get("/api/v1/lookup", params={"kind": "phone", "value": PHONE}, headers=h).status_code
        == 403
    )
    assert c.get("/api/v1/reports", headers=h).status_code == 403
    assert c.post("/api/v1/reports", json={"reports": []}, headers=h).status_code == 403
    assert c.get("/api/v1/keys", headers=h).status_code == 403


def test_class10_group_names_and_members_invisible_to_non_members(partnership: Partnership) -> None:
    c, h = partnership.client, partnership.headers("B")
    existing = c.get("/api/v1/groups/mekong", headers=h)
    missing = c.get("/api/v1/groups/nothere", headers=h)
    assert existing.status_code == missing.status_code == 404
    assert existing.json()["error"]["code"] == missing.json()["error"]["code"]
    assert "mekong" not in c.get("/api/v1/groups", headers=h).text
    assert (
        c.post("/api/v1/match", json={"blinded": [], "group": "mekong"}, headers=h).status_code
        == 404
    )
    taken = c.post(
        "/api/v1/groups", json={"name": "mekong"}, headers=partnership.headers("B-admin")
    )
    assert taken.status_code == 422 and "A" not in taken.json()["error"]["message"].split()
    member = c.get("/api/v1/groups/mekong", headers=partnership.headers("C")).json()
    assert member == {"name": "mekong", "owner": "A", "members": ["A", "C"]}


def test_class11_changes_take_effect_on_the_next_request(partnership: Partnership) -> None:
    c = partnership.client
    partnership.submit("A", [report("r1")], distribution="group", group="mekong", tlp="amber")
    partnership.submit(
        "A", [report("r2", phone="+66811111111")], distribution="partnership", tlp="green"
    )
    assert c.get("/api/v1/reports/A/r1", headers=partnership.headers("C")).status_code == 200
    gone = c.delete("/api/v1/groups/mekong/members/C", headers=partnership.headers("A-admin"))
    assert gone.status_code == 200
    assert c.get("/api/v1/reports/A/r1", headers=partnership.headers("C")).status_code == 404
    raised = c.patch("/api/v1/reports/A/r2", json={"tlp": "red"}, headers=partnership.headers("A"))
    assert raised.status_code == 200
    answer = c.get(
        "/api/v1/lookup",
        params={"kind": "phone", "value": "+66811111111"},
        headers=partnership.headers("B"),
    ).json()
    assert answer["report_count"] == 0
    keys = c.get("/api/v1/keys", headers=partnership.headers("B-admin")).json()
    analyst = next(k for k in keys if k["role"] == "analyst")
    assert (
        c.delete(
            f"/api/v1/keys/{analyst['id']}", headers=partnership.headers("B-admin")
        ).status_code
        == 204
    )
    assert c.get("/api/v1/reports", headers=partnership.headers("B")).status_code == 401


def test_class12_every_route_declares_an_access_policy(partnership: Partnership) -> None:
    assert undeclared_routes(partnership.client.app) == []  # type: ignore[arg-type]
    assert len(registered_routes(partnership.client.app)) > 20  # type: ignore[arg-type]


def test_class12_a_route_without_policy_is_caught(sqlite_store: Any) -> None:
    app: FastAPI = create_app(sqlite_store)
    stray = APIRouter()

    @stray.get("/api/v1/stray")
    def _stray() -> dict[str, str]:
        return {}

    app.include_router(stray)
    assert undeclared_routes(app) == ["GET /api/v1/stray"]


@pytest.mark.parametrize(
    ("marking", "b_sees", "c_sees"),
    [
        ({"tlp": "green", "distribution": "partnership"}, True, True),
        ({"tlp": "red", "distribution": "partnership"}, False, False),
        ({"tlp": "clear", "distribution": "group", "group": "mekong"}, False, True),
        ({"tlp": "red", "distribution": "group", "group": "mekong"}, False, True),
        ({"tlp": "clear", "distribution": "organization"}, False, False),
    ],
)
def test_class13_several_markings_all_must_hold(
    partnership: Partnership, marking: dict[str, Any], b_sees: bool, c_sees: bool
) -> None:
    partnership.submit("A", [report("r1")], **marking)
    for who, sees in (("B", b_sees), ("C", c_sees)):
        got = partnership.client.get("/api/v1/reports/A/r1", headers=partnership.headers(who))
        assert got.status_code == (200 if sees else 404)
        count = partnership.client.get(
            "/api/v1/lookup",
            params={"kind": "phone", "value": PHONE},
            headers=partnership.headers(who),
        ).json()["report_count"]
        assert count == (1 if sees else 0)


def test_class13_store_rows_keep_their_markings(partnership: Partnership) -> None:
    partnership.submit(
        "A", [report("r1")], tlp="amber+strict", distribution="group", group="mekong"
    )
    with partnership.store.connect() as conn:
        row = conn.execute(
            sa.select(reports.c.tlp, reports.c.distribution, reports.c.group_id)
        ).one()
    assert row.tlp == "amber+strict" and row.distribution == "group" and row.group_id is not None

"""The API against its contract (docs/spec/api.md), as a partner's script meets it: a field the
body does not have is refused naming it, never dropped without a word (a misspelt `distribution`
kept a batch inside its organization and answered 200), while owner fields stay ignored
(spec/security-tests.md class 6)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import Partnership, report


def _refused_field(response: Any) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "Traceback" not in response.text
    return str(error["details"][0]["field"])


@pytest.mark.parametrize("misspelt", ["distrbution", "TLP", "groups"])
def test_a_misspelt_batch_field_is_refused_naming_it_and_stores_nothing(
    sqlite_partnership: Partnership, misspelt: str
) -> None:
    p = sqlite_partnership
    c, h = p.client, p.headers("A")
    body = {"reports": [report("r1")], misspelt: "partnership"}
    response = c.post("/api/v1/reports", json=body, headers=h)
    assert _refused_field(response) == misspelt
    assert misspelt in response.json()["error"]["message"]
    assert c.get("/api/v1/reports", headers=h).json()["reports"] == []


def test_owner_fields_of_a_batch_are_still_ignored(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    body = {"reports": [report("r1")], "org": "B", "owner": "B", "created_by": "mallory"}
    response = p.client.post("/api/v1/reports", json=body, headers=p.headers("A"))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 1, "stored": 1, "updated": 0, "rejected": []}
    assert p.client.get("/api/v1/reports/A/r1", headers=p.headers("A")).status_code == 200
    assert p.client.get("/api/v1/reports/B/r1", headers=p.headers("B")).status_code == 404


def test_a_misspelt_field_of_a_batch_lookup_is_refused_naming_its_place(
    sqlite_partnership: Partnership,
) -> None:
    p = sqlite_partnership
    p.submit("A", [report("r1")])
    wanted = {"kind": "phone", "value": "0812345678", "country": "TH"}
    misspelt = {"kind": "phone", "value": "0812345678", "contry": "TH"}
    body = {"identifiers": [wanted, misspelt]}
    response = p.client.post("/api/v1/lookup", json=body, headers=p.headers("A"))
    assert _refused_field(response) == "identifiers.1.contry"
    right = p.client.post("/api/v1/lookup", json={"identifiers": [wanted]}, headers=p.headers("A"))
    assert right.status_code == 200 and right.json()[0]["report_count"] == 1


def test_a_misspelt_match_field_is_refused(sqlite_partnership: Partnership) -> None:
    p = sqlite_partnership
    body = {"blinded": ["a" * 64], "grop": "mekong"}
    response = p.client.post("/api/v1/match", json=body, headers=p.headers("A"))
    assert _refused_field(response) == "grop"


def test_admin_bodies_refuse_unknown_fields_and_ignore_owner_fields(
    sqlite_partnership: Partnership,
) -> None:
    p = sqlite_partnership
    c, h = p.client, p.headers("A-admin")
    typo = c.post("/api/v1/groups", json={"name": "g1", "membrs": ["C"]}, headers=h)
    assert _refused_field(typo) == "membrs"
    assert c.get("/api/v1/groups/g1", headers=h).status_code == 404
    owned = c.post("/api/v1/groups", json={"name": "g2", "owner": "B"}, headers=h)
    assert owned.status_code == 201, owned.text
    assert owned.json() == {"name": "g2", "owner": "A", "members": ["A"]}
    key = c.post("/api/v1/keys", json={"role": "readonly", "lable": "x"}, headers=h)
    assert _refused_field(key) == "lable"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/lookup?kind=phone&value=0812345678&value=0899999999&country=TH", "value"),
        ("/api/v1/reports?org=A&org=B", "org"),
        ("/api/v1/networks?top=1&top=5", "top"),
        ("/api/v1/alerts?since=2025-01-01&since=2030-01-01", "since"),
    ],
)
def test_a_query_parameter_given_twice_is_refused_naming_it(
    sqlite_partnership: Partnership, query: str, field: str
) -> None:
    """Read as its last value, `?org=A&org=B` listed B's reports only and a lookup of two
    values answered for the second: the same ambiguity as a JSON key given twice, which the
    API refuses (README, "How bigfish reads the contracts")."""
    p = sqlite_partnership
    p.submit("A", [report("r1")])
    response = p.client.get(query, headers=p.headers("A"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field
    assert field in error["message"] and "more than once" in error["message"]

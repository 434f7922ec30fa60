"""A hypothesis state machine over sharing-group memberships: owners' admins add and remove
organizations, others try to change groups they do not own or to name a group like an
existing one; after every step each organization's key sees, through the groups API, TAXII's
collection list and the reports shared with a group, exactly the groups it belongs to now
(spec/security-tests.md classes 10 and 11), and a non-member's answer about an existing group
is the answer about a missing one."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bigfish.accounts import create_key
from bigfish.api import ApiSettings, create_app
from bigfish.models import ApiRole
from bigfish.organizations import add_group, add_org
from bigfish.store import open_store
from tests.api.helpers import TestClient, report

ORGS = ("A", "B", "C", "D")
OWNERS = {"mekong": "A", "delta": "B"}
LOOKALIKES = ("MEKONG", "Mekong", "ｍｅｋｏｎｇ", " delta", "DELTA ", "ｄｅｌｔａ")


class MembershipMachine(RuleBasedStateMachine):
    """The API and TAXII against a dictionary of who belongs to which group."""

    #: A migrated SQLite file (the worker's, `_migrated_sqlite`): each example's store is a copy.
    migrated: Path

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        path = Path(self.tmp.name) / "m.db"
        shutil.copyfile(self.migrated, path)
        self.store = open_store(f"sqlite:///{path}")
        for org in ORGS:
            add_org(self.store, org)
        add_group(self.store, "mekong", owner="A", members=["C"])
        add_group(self.store, "delta", owner="B", members=[])
        self.members = {"mekong": {"A", "C"}, "delta": {"B"}}
        self.keys = {o: create_key(self.store, org=o, role=ApiRole.READONLY).secret for o in ORGS}
        self.admins = {o: create_key(self.store, org=o, role=ApiRole.ADMIN).secret for o in ORGS}
        self.client = TestClient(create_app(self.store, ApiSettings(rate_limit_per_minute=0)))
        self.client.__enter__()
        for group, owner in OWNERS.items():
            answer = self.client.post(
                "/api/v1/reports",
                json={"reports": [report(f"{group}-1")], "distribution": "group", "group": group},
                headers=self._h(create_key(self.store, org=owner, role=ApiRole.ANALYST).secret),
            )
            assert answer.status_code == 200, answer.text
        self.missing = {
            o: self.client.get("/api/v1/groups/nowhere", headers=self._h(self.keys[o])).json()
            for o in ORGS
        }

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.close()
        self.tmp.cleanup()

    @staticmethod
    def _h(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    @rule(group=st.sampled_from(tuple(OWNERS)), org=st.sampled_from(ORGS), by=st.sampled_from(ORGS))
    def add(self, group: str, org: str, by: str) -> None:
        answer = self.client.post(
            f"/api/v1/groups/{group}/members", json={"org": org}, headers=self._h(self.admins[by])
        )
        if by == OWNERS[group]:
            assert answer.status_code == 200, answer.text
            self.members[group].add(org)
        else:
            assert answer.status_code == (403 if by in self.members[group] else 404)

    @rule(group=st.sampled_from(tuple(OWNERS)), org=st.sampled_from(ORGS), by=st.sampled_from(ORGS))
    def remove(self, group: str, org: str, by: str) -> None:
        answer = self.client.delete(
            f"/api/v1/groups/{group}/members/{org}", headers=self._h(self.admins[by])
        )
        if by != OWNERS[group]:
            assert answer.status_code == (403 if by in self.members[group] else 404)
        elif org == by:
            assert answer.status_code == 422
        else:
            assert answer.status_code == (200 if org in self.members[group] else 404)
            self.members[group].discard(org)

    @rule(name=st.sampled_from(LOOKALIKES), by=st.sampled_from(ORGS))
    def create_lookalike(self, name: str, by: str) -> None:
        answer = self.client.post(
            "/api/v1/groups",
            json={"name": name, "members": list(ORGS)},
            headers=self._h(self.admins[by]),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["message"] == "field 'name': this group name cannot be used"

    @invariant()
    def each_organization_sees_its_groups_now(self) -> None:
        for org in ORGS:
            headers = self._h(self.keys[org])
            mine = sorted(g for g, members in self.members.items() if org in members)
            listed = self.client.get("/api/v1/groups", headers=headers).json()
            assert [g["name"] for g in listed] == mine
            for g in listed:
                assert sorted(g["members"]) == sorted(self.members[g["name"]])
            for group in OWNERS:
                got = self.client.get(f"/api/v1/groups/{group}", headers=headers)
                if group in mine:
                    assert got.status_code == 200
                else:
                    assert got.status_code == 404
                    assert _without_name(got.json()) == _without_name(self.missing[org])
                shared = self.client.get(
                    f"/api/v1/reports/{OWNERS[group]}/{group}-1", headers=headers
                )
                assert shared.status_code == (200 if group in mine else 404)
            titles = {
                c["title"]
                for c in self.client.get("/taxii2/api/collections/", headers=headers).json()[
                    "collections"
                ]
                if c["title"].startswith("Group ")
            }
            assert titles == {f"Group {g}" for g in mine}


def _without_name(answer: dict[str, Any]) -> dict[str, Any]:
    error = dict(answer["error"])
    error["message"] = error["message"].split("'")[0]
    return error


pytestmark = pytest.mark.slow


def test_memberships_are_honoured_at_once(_migrated_sqlite: Path) -> None:
    class OnMigrated(MembershipMachine):
        migrated = _migrated_sqlite

    run_state_machine_as_test(
        OnMigrated,
        settings=settings(
            max_examples=5,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

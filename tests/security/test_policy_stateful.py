"""A hypothesis state machine: random submissions, re-markings, group changes and key
revocations, each answer compared with a simple model of who may see what."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bigfish.accounts import create_key
from bigfish.api import ApiSettings, create_app
from bigfish.models import ApiRole
from bigfish.organizations import add_group, add_org
from bigfish.store import open_store
from tests.api.helpers import TestClient, report
from tests.conftest import _copy_migrated, _empty_postgres

ORGS = ("A", "B", "C")
GROUPS = {"g1": "A", "g2": "B"}  # name -> owner
PHONES = ("+66812345678", "+66812345679", "+84912345678")
REPORT_IDS = ("r1", "r2", "r3")
TLPS = ("clear", "green", "amber", "amber+strict", "red")


class PolicyMachine(RuleBasedStateMachine):
    """The API against a dictionary model of reports, groups and keys."""

    #: Where each example's store starts, freshly migrated and empty: a copy of the worker's
    #: migrated SQLite file (`_migrated_sqlite`), or `migrated_postgres(url)` made so.
    migrated_sqlite: Path | None = None
    database_url: str | None = None
    migrated_postgres: Callable[[str], None] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        if self.database_url is None:
            assert self.migrated_sqlite is not None
            path = Path(self.tmp.name) / "m.db"
            shutil.copyfile(self.migrated_sqlite, path)
            self.store = open_store(f"sqlite:///{path}")
        else:
            assert self.migrated_postgres is not None
            self.migrated_postgres(self.database_url)
            self.store = open_store(self.database_url)
        for org in ORGS:
            add_org(self.store, org)
        add_group(self.store, "g1", owner="A", members=["C"])
        add_group(self.store, "g2", owner="B", members=["C"])
        self.members = {"g1": {"A", "C"}, "g2": {"B", "C"}}
        self.keys = {o: create_key(self.store, org=o, role=ApiRole.ANALYST).secret for o in ORGS}
        self.admins = {o: create_key(self.store, org=o, role=ApiRole.ADMIN).secret for o in ORGS}
        self.revoked: list[str] = []
        self.reports: dict[tuple[str, str], dict[str, Any]] = {}
        self.client = TestClient(create_app(self.store, ApiSettings(rate_limit_per_minute=0)))
        self.client.__enter__()

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.close()
        self.tmp.cleanup()

    def _h(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def _sees(self, org: str, item: dict[str, Any]) -> bool:
        if item["owner"] == org:
            return True
        if item["distribution"] == "group":
            return org in self.members[item["group"]]
        if item["distribution"] == "partnership":
            return item["tlp"] != "red"
        return False

    @rule(
        org=st.sampled_from(ORGS),
        report_id=st.sampled_from(REPORT_IDS),
        phone=st.sampled_from(PHONES),
        tlp=st.sampled_from(TLPS),
        distribution=st.sampled_from(("organization", "group", "partnership")),
        group=st.sampled_from(tuple(GROUPS)),
    )
    def submit(
        self, org: str, report_id: str, phone: str, tlp: str, distribution: str, group: str
    ) -> None:
        body: dict[str, Any] = {
            "reports": [report(report_id, phone=phone)],
            "tlp": tlp,
            "distribution": distribution,
        }
        if distribution == "group":
            body["group"] = group
        response = self.client.post("/api/v1/reports", json=body, headers=self._h(self.keys[org]))
        if distribution == "group" and org not in self.members[group]:
            assert response.status_code == 422
            return
        assert response.status_code == 200, response.text
        self.reports[(org, report_id)] = {
            "owner": org,
            "phone": phone,
            "tlp": tlp,
            "distribution": distribution,
            "group": group if distribution == "group" else None,
        }

    @precondition(lambda self: bool(self.reports))
    @rule(data=st.data(), tlp=st.sampled_from(TLPS), editor=st.sampled_from(ORGS))
    def remark(self, data: st.DataObject, tlp: str, editor: str) -> None:
        org, report_id = data.draw(st.sampled_from(sorted(self.reports)))
        item = self.reports[(org, report_id)]
        response = self.client.patch(
            f"/api/v1/reports/{org}/{report_id}",
            json={"tlp": tlp},
            headers=self._h(self.keys[editor]),
        )
        if editor == org:
            assert response.status_code == 200
            item["tlp"] = tlp
        else:
            assert response.status_code == (403 if self._sees(editor, item) else 404)

    @rule(group=st.sampled_from(tuple(GROUPS)), org=st.sampled_from(ORGS), join=st.booleans())
    def change_group(self, group: str, org: str, join: bool) -> None:
        owner = GROUPS[group]
        headers = self._h(self.admins[owner])
        if join:
            response = self.client.post(
                f"/api/v1/groups/{group}/members", json={"org": org}, headers=headers
            )
            assert response.status_code == 200
            self.members[group].add(org)
        elif org != owner:
            response = self.client.delete(f"/api/v1/groups/{group}/members/{org}", headers=headers)
            assert response.status_code == (200 if org in self.members[group] else 404)
            self.members[group].discard(org)

    @rule(org=st.sampled_from(ORGS))
    def revoke_key(self, org: str) -> None:
        keys = self.client.get("/api/v1/keys", headers=self._h(self.admins[org])).json()
        current = next(k for k in keys if k["role"] == "analyst" and not k["revoked"])
        assert (
            self.client.delete(
                f"/api/v1/keys/{current['id']}", headers=self._h(self.admins[org])
            ).status_code
            == 204
        )
        self.revoked.append(self.keys[org])
        self.keys[org] = create_key(self.store, org=org, role=ApiRole.ANALYST).secret

    @invariant()
    def every_answer_matches_the_model(self) -> None:
        for viewer in ORGS:
            headers = self._h(self.keys[viewer])
            for (org, report_id), item in self.reports.items():
                got = self.client.get(f"/api/v1/reports/{org}/{report_id}", headers=headers)
                assert got.status_code == (200 if self._sees(viewer, item) else 404)
            answers = self.client.post(
                "/api/v1/lookup",
                json={"identifiers": [{"kind": "phone", "value": p} for p in PHONES]},
                headers=headers,
            ).json()
            for phone, answer in zip(PHONES, answers, strict=True):
                expected = [
                    i
                    for i in self.reports.values()
                    if i["phone"] == phone and self._sees(viewer, i)
                ]
                assert answer["report_count"] == len(expected)
                assert answer["organizations"] == sorted({i["owner"] for i in expected})
        for key in self.revoked[-2:]:
            assert self.client.get("/api/v1/reports", headers=self._h(key)).status_code == 401


pytestmark = pytest.mark.slow

SETTINGS = settings(
    max_examples=8,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_policy_matches_the_model(_migrated_sqlite: Path) -> None:
    """The state machine on SQLite (a copy of a migrated file per example)."""

    class OnSqlite(PolicyMachine):
        migrated_sqlite = _migrated_sqlite

    run_state_machine_as_test(OnSqlite, settings=SETTINGS)


@pytest.mark.postgres
def test_policy_matches_the_model_on_postgresql(
    postgres_url: str, request: pytest.FixtureRequest
) -> None:
    """The same state machine against PostgreSQL (the worker's database emptied and freshly
    migrated for each example: in place, as the `store` fixture does)."""

    def migrated(url: str) -> None:
        _empty_postgres(url, request)
        _copy_migrated(url, request)

    class OnPostgres(PolicyMachine):
        database_url = postgres_url
        migrated_postgres = staticmethod(migrated)

    run_state_machine_as_test(OnPostgres, settings=settings(SETTINGS, max_examples=4))

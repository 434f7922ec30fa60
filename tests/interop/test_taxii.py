"""The TAXII 2.1 server, driven by the OASIS taxii2-client over real HTTP on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from requests.auth import AuthBase
from requests.models import PreparedRequest
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from bigfish.accounts import create_key
from bigfish.api.app import ApiSettings, create_app
from bigfish.models import ApiRole
from bigfish.store import Store
from bigfish.store.schema import reports
from tests.api.helpers import TestClient
from tests.interop.builders import bank_b_objects_url, bigfish_report, partnership
from tests.interop.servers import bigfish_server
from tests.polling import WAIT


class Bearer(AuthBase):
    """Authorization: Bearer KEY for requests."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request


def _report_ids(objects: list[dict[str, object]]) -> set[str]:
    return {str(o["name"]).rsplit("/", 1)[1] for o in objects if o["type"] == "report"}


def test_taxii2_client_walks_discovery_collections_and_pages(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    key_c = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    with bigfish_server(store) as base:
        server = Server(f"{base}/taxii2/", user="sync", password=key_c)  # HTTP Basic
        assert server.title == "bigfish TAXII 2.1"
        [root] = server.api_roots
        assert root.versions == ["application/taxii+json;version=2.1"]
        titles = {c.title: c for c in root.collections}
        assert set(titles) == {"Partnership", "Group MEKONG", "Organization VN-POLICE"}
        partnership_collection = titles["Partnership"]
        objects: list[dict[str, object]] = []
        pages = 0
        for envelope in as_pages(partnership_collection.get_objects, per_request=5):
            objects.extend(envelope.get("objects", []))
            pages += 1
        assert pages > 2 and _report_ids(objects) == {"shared-0", "shared-1"}
        assert len({o["id"] for o in objects if o["type"] == "report"}) == 2
        group = titles["Group MEKONG"].get_objects(**{"type": "report"})
        assert _report_ids(group["objects"]) == {"group-0"}
        manifest = partnership_collection.get_manifest()
        assert {m["id"] for m in manifest["objects"]} == {o["id"] for o in objects}
        report = next(o for o in objects if o["type"] == "report")
        one = partnership_collection.get_object(str(report["id"]))
        assert one["objects"][0]["id"] == report["id"]
        versions = partnership_collection.object_versions(str(report["id"]))
        assert versions["versions"] == [report["modified"]]
        later = partnership_collection.get_objects(added_after="2999-01-01T00:00:00Z")
        assert later.get("objects", []) == [] and later["more"] is False


def test_taxii_hides_what_b_may_not_see_and_accepts_bearer(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    key_b = create_key(store, org="BANK-B", role=ApiRole.READONLY).secret
    with bigfish_server(store) as base:
        root = ApiRoot(f"{base}/taxii2/api/", auth=Bearer(key_b))
        titles = {c.title: c for c in root.collections}
        assert set(titles) == {"Partnership", "Organization BANK-B"}
        objects = titles["Partnership"].get_objects()["objects"]
        assert _report_ids(objects) == {"shared-0", "shared-1"}  # not own, group or red
        group_id = "/".join(titles["Partnership"].url.split("/")[:-2])
        hidden = httpx.get(
            f"{group_id}/{_group_collection_id()}/objects/",
            headers={"Authorization": f"Bearer {key_b}"},
            timeout=WAIT,
        )
        assert hidden.status_code == 404
        assert titles["Organization BANK-B"].get_objects().get("objects", []) == []
        no_key = httpx.get(f"{base}/taxii2/", timeout=WAIT)
        assert no_key.status_code == 401


def _group_collection_id() -> str:
    import uuid

    from bigfish.interop.markings import BIGFISH_NAMESPACE

    return str(uuid.uuid5(BIGFISH_NAMESPACE, "collection:group:MEKONG"))


def test_taxii_post_stores_as_the_caller_and_reports_status(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    key_a = create_key(store, org="TH-AOC", role=ApiRole.ANALYST).secret
    key_sync = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    with bigfish_server(store) as base:
        root = ApiRoot(f"{base}/taxii2/api/", auth=Bearer(key_a))
        own: Collection = next(c for c in root.collections if c.title.startswith("Organization"))
        shared = next(c for c in root.collections if c.title == "Partnership")
        objects = shared.get_objects()["objects"]
        report = next(o for o in objects if o["type"] == "report")
        forged = dict(report) | {"id": "report--00000000-0000-4000-8000-000000000001"}
        envelope = {"objects": [*objects, forged, {"type": "indicator", "id": "indicator--1"}]}
        status = own.add_objects(envelope)
        assert status.total_count == len(objects) + 2
        # the forged copy repeats a report under another id: rejected naming the first
        assert status.success_count == len(objects) and status.failure_count == 2
        assert status.total_count == status.success_count + status.failure_count
        assert [f["id"] for f in status.failures] == [forged["id"], "indicator--1"]
        assert report["id"] in status.failures[0]["message"]
        assert "indicator" in status.failures[1]["message"]
        again = root.get_status(status.id)
        assert again.success_count == status.success_count
        assert own.can_write and not shared.can_write
        sync_root = ApiRoot(f"{base}/taxii2/api/", auth=Bearer(key_sync))
        sync_own = next(c for c in sync_root.collections if c.title.startswith("Organization"))
        assert not sync_own.can_write  # said as it is: the key may not write
        refused = httpx.post(
            sync_own.url + "objects/",
            json=envelope,
            headers={
                "Authorization": f"Bearer {key_sync}",
                "Content-Type": "application/taxii+json;version=2.1",
            },
            timeout=WAIT,
        )
        assert refused.status_code == 403  # a peer's key can only pull


def test_taxii_bad_filters_are_400(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    key = create_key(store, org="BANK-B", role=ApiRole.READONLY).secret
    with bigfish_server(store) as base:
        headers = {"Authorization": f"Bearer {key}"}
        root = httpx.get(f"{base}/taxii2/api/collections/", headers=headers, timeout=WAIT).json()
        url = f"{base}/taxii2/api/collections/{root['collections'][0]['id']}/objects/"
        for query in (
            {"limit": "0"},
            {"next": "garbage!"},
            {"added_after": "yesterday"},
            {"sort": "x"},
        ):
            answer = httpx.get(url, params=query, headers=headers, timeout=WAIT)
            assert answer.status_code == 400, query
        ok = httpx.get(url, params={"limit": "3"}, headers=headers, timeout=WAIT)
        assert ok.headers["content-type"] == "application/taxii+json;version=2.1"
        assert ok.json()["more"] is True and len(ok.json()["objects"]) == 3


def test_taxii_post_into_a_group_needs_membership_and_hides_which_groups_exist(
    store: Store, tmp_path: Path
) -> None:
    """As on the REST API: a group the poster is not in and a group that does not exist get the
    same refusal, and the object is not stored."""
    partnership(store, tmp_path)
    keys = {
        org: create_key(store, org=org, role=ApiRole.ANALYST).secret
        for org in ("BANK-B", "VN-POLICE")
    }
    client = TestClient(create_app(store, ApiSettings(rate_limit_per_minute=0)))

    def post(org: str, objects: list[dict[str, object]]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {keys[org]}"}
        listing = client.get("/taxii2/api/collections/", headers=headers).json()
        own = next(c for c in listing["collections"] if c["title"] == f"Organization {org}")
        answer = client.post(
            f"/taxii2/api/collections/{own['id']}/objects/",
            json={"objects": objects},
            headers=headers | {"Content-Type": "application/taxii+json;version=2.1"},
        )
        assert answer.status_code == 202, answer.text
        return dict(answer.json())

    status = post(
        "BANK-B", [bigfish_report("b-1", group="MEKONG"), bigfish_report("b-2", group="NOPE")]
    )
    assert (status["success_count"], status["failure_count"]) == (0, 2)
    messages = [f["message"] for f in status["failures"]]
    assert messages == [
        "group: unknown sharing group 'MEKONG'",
        "group: unknown sharing group 'NOPE'",
    ]
    member = post("VN-POLICE", [bigfish_report("v-1", group="MEKONG")])
    assert member["success_count"] == 1
    with store.connect() as conn:
        held = {
            r.report_id: (r.distribution, r.group_id is not None)
            for r in conn.execute(
                sa.select(reports.c.report_id, reports.c.distribution, reports.c.group_id)
            )
        }
    assert "b-1" not in held and "b-2" not in held
    assert held["v-1"] == ("group", True)


def test_taxii_post_refuses_an_object_that_gives_a_key_twice(store: Store, tmp_path: Path) -> None:
    """A STIX object with two `object_marking_refs` was read as its last one."""
    partnership(store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(store)
    report = bigfish_report("b-twice", group="MEKONG")
    body = json.dumps({"objects": [report]})[:-3] + ', "labels": ["a"], "labels": ["b"]}]}'
    answer = client.post(
        objects_url,
        content=body,
        headers=headers | {"Content-Type": "application/taxii+json;version=2.1"},
    )
    assert answer.status_code == 400, answer.text
    assert "'labels'" in answer.text and "more than once" in answer.text
    with store.connect() as conn:
        assert (
            conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "b-twice")).first()
            is None
        )

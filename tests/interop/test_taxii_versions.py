"""TAXII 2.1 versions: `match[version]`, one object's versions, and the status of a POST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bigfish.interop import feed
from bigfish.store import Store
from tests.api.helpers import TestClient
from tests.interop.builders import bank_b_objects_url, partnership

TAXII = "application/taxii+json;version=2.1"


def _shared(sqlite_store: Store, tmp_path: Path) -> tuple[TestClient, dict[str, str], str]:
    """BANK-B's client, headers and the objects URL of its Partnership collection."""
    partnership(sqlite_store, tmp_path)
    client, headers, _ = bank_b_objects_url(sqlite_store)
    listing = client.get("/taxii2/api/collections/", headers=headers).json()
    shared = next(c for c in listing["collections"] if c["title"] == "Partnership")
    return client, headers, f"/taxii2/api/collections/{shared['id']}/objects/"


def _ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [o["id"] for o in answer.json().get("objects", [])]


def test_match_version_takes_a_list_with_first_last_and_all(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """TAXII 2.1 (3.4.3): match[version] is a comma-separated list of `last`, `first`, `all` and
    versions. A list holding one of the words (`first,last`, `VERSION,last`) matched nothing:
    the words were understood only alone. Each collection holds one version of a report."""
    client, headers, url = _shared(sqlite_store, tmp_path)

    def served(version: str | None) -> list[str]:
        params = {"match[type]": "report"}
        if version is not None:
            params["match[version]"] = version
        return _ids(client.get(url, params=params, headers=headers))

    every = served(None)
    assert len(every) == 2
    reports = client.get(url, params={"match[type]": "report"}, headers=headers).json()
    version = reports["objects"][0]["modified"]
    for words in ("last", "first", "all", "first,last", "last,all", f"{version},last"):
        assert served(words) == every, words
    assert served(version) == [o["id"] for o in reports["objects"] if o["modified"] == version]
    assert served("2000-01-01T00:00:00Z") == []


def test_one_objects_filters_leave_an_empty_envelope_not_a_404(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """TAXII 2.1 (5.5, 5.7): 404 is for an object that is not there (or not visible). An object
    whose versions a filter leaves out (`added_after` past its last version: what a client
    polling for changes asks) answered 404, as if it had gone."""
    client, headers, url = _shared(sqlite_store, tmp_path)
    report = client.get(url, params={"match[type]": "report"}, headers=headers).json()
    object_id = report["objects"][0]["id"]
    later = {"added_after": "2999-01-01T00:00:00Z"}
    for tail in ("", "versions/"):
        whole = client.get(f"{url}{object_id}/{tail}", headers=headers)
        assert whole.status_code == 200, whole.text
        none = client.get(f"{url}{object_id}/{tail}", params=later, headers=headers)
        assert none.status_code == 200, (tail, none.text)
        assert none.json() == {"more": False}
        assert "x-taxii-date-added-first" not in none.headers
        old = client.get(
            f"{url}{object_id}/{tail}",
            params={"match[version]": "2000-01-01T00:00:00Z"},
            headers=headers,
        )
        assert old.status_code == 200 and old.json() == {"more": False}, (tail, old.text)
        gone = client.get(
            f"{url}report--00000000-0000-4000-8000-000000000000/{tail}", headers=headers
        )
        assert gone.status_code == 404, tail
        gone_later = client.get(
            f"{url}report--00000000-0000-4000-8000-000000000000/{tail}",
            params=later,
            headers=headers,
        )
        assert gone_later.status_code == 404, tail


def test_every_status_detail_carries_a_version(sqlite_store: Store, tmp_path: Path) -> None:
    """TAXII 2.1 (4.3.1): a status detail has an `id` and a `version`. An object without
    `modified` (an observable) and every failure had none: the version is `modified`, else
    `created`, else the request's time (as medallion does)."""
    partnership(sqlite_store, tmp_path)
    client, headers, objects_url = bank_b_objects_url(sqlite_store)
    listing = client.get("/taxii2/api/collections/", headers=headers).json()
    shared = next(c for c in listing["collections"] if c["title"] == "Partnership")
    objects = client.get(
        f"/taxii2/api/collections/{shared['id']}/objects/", headers=headers
    ).json()["objects"]
    created = "2025-01-02T03:04:05.000Z"
    refused = {"type": "indicator", "id": "indicator--1", "created": created}
    answer = client.post(
        objects_url,
        json={"objects": [*objects, refused, {"type": "x-thing"}]},
        headers=headers | {"Content-Type": TAXII},
    )
    assert answer.status_code == 202, answer.text
    status = answer.json()
    details = status["successes"] + status["failures"]
    assert len(details) == status["total_count"] == len(objects) + 2
    assert all(isinstance(d["version"], str) and d["version"] for d in details), details
    by_id = {o["id"]: o for o in objects}
    for success in status["successes"]:
        sent = by_id[success["id"]]
        assert success["version"] == sent.get(
            "modified", sent.get("created", status["request_timestamp"])
        )
    failures = {f["id"]: f for f in status["failures"]}
    assert failures["indicator--1"]["version"] == created
    assert failures[""]["version"] == status["request_timestamp"]


def test_an_unknown_object_is_read_for_once_without_filters(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 404 of an id the reader sees no version of reads the collection once; only a filter
    that may have left its versions out makes the server look again, unfiltered."""
    client, headers, url = _shared(sqlite_store, tmp_path)
    reads: list[frozenset[str]] = []
    real = feed.object_page

    def counted(*args: Any, **kwargs: Any) -> feed.Page:
        reads.append(kwargs["ids"])
        return real(*args, **kwargs)

    monkeypatch.setattr(feed, "object_page", counted)
    missing = f"{url}report--00000000-0000-4000-8000-000000000000/"
    assert client.get(missing, headers=headers).status_code == 404
    assert len(reads) == 1
    later = {"added_after": "2999-01-01T00:00:00Z"}
    assert client.get(missing, params=later, headers=headers).status_code == 404
    assert len(reads) == 3

"""A TAXII collection holds each observable once, whatever number of its reports carry it.

Two reports naming one URL gave its observable (one deterministic id) twice in the objects and
the manifest of a collection, once per report, each under its report's date_added: a TAXII
collection holds each object (id, version) once, and clients (taxii2-client, medallion peers)
and pagination are confused by a second copy. An observable now goes out once, before the first
report (by position) of the collection carrying it, dated by the first of them the reader may
see, with the most restrictive marking of those; a report the reader may not see is no carrier.

One object's read (`objects/{id}/`, `match[id]=`) built every object of the collection to keep
those of one id; it now reads only the reports that can hold it, with the same answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bigfish.accounts import create_key
from bigfish.api.app import ApiSettings, create_app
from bigfish.interop import feed
from bigfish.interop.markings import SHARING_EXTENSION, TLP2_IDS
from bigfish.interop.stix import identifier_sco
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_group, add_org
from bigfish.store import Store
from tests.api.helpers import TestClient
from tests.interop.builders import ingest_json

PUBLIC = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
AMBER = Marking(TLP.AMBER, Distribution.PARTNERSHIP)
GROUP = Marking(TLP.AMBER, Distribution.GROUP, "MEKONG")
RED = Marking(TLP.RED, Distribution.PARTNERSHIP)
OWN = Marking()


def _url_id(url: str) -> str:
    sco = identifier_sco("url", url)
    assert sco is not None
    return str(sco["id"])


SHARED = "invest-gold88.com/login"  # every report names it
SECRET = "hidden-ring.example/pay"  # only reports BANK-B may not see name it
URL_ID = _url_id(SHARED)
SECRET_ID = _url_id(SECRET)


def _report(report_id: str, *urls: str) -> dict[str, object]:
    return {
        "report_id": report_id,
        "reported_at": "2025-11-01T08:00:00Z",
        "country": "TH",
        "scam_type": "investment",
        "narrative": "The victim paid after a call.",
        "identifiers": [{"kind": "url", "value": "https://" + url} for url in urls],
    }


def _add(store: Store, tmp: Path, org: str, report_id: str, marking: Marking, *urls: str) -> None:
    """One report per ingest: each has a date_added of its own."""
    folder = tmp / report_id
    folder.mkdir(parents=True, exist_ok=True)
    ingest_json(store, folder, org, [_report(report_id, *urls)], marking)


def _nodes(store: Store) -> None:
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "BANK-B", country="TH")
    add_org(store, "VN-POLICE", country="VN")
    add_group(store, "MEKONG", owner="TH-AOC", members=["VN-POLICE"])


class Reader:
    """One organization's TAXII client on STORE."""

    def __init__(self, store: Store, org: str) -> None:
        key = create_key(store, org=org, role=ApiRole.SYNC).secret
        self.headers = {"Authorization": f"Bearer {key}"}
        self.client = TestClient(create_app(store, ApiSettings(rate_limit_per_minute=0)))

    def url(self, title: str) -> str:
        listing = self.get("/taxii2/api/collections/")
        found = next(c for c in listing["collections"] if c["title"] == title)
        return f"/taxii2/api/collections/{found['id']}/"

    def answer(self, url: str, **params: Any) -> Any:
        answer = self.client.get(url, params=params, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.answer(url, **params).json()
        return body

    def pages(self, url: str, **params: Any) -> list[dict[str, Any]]:
        """Every page of URL, following `next` with the same filters."""
        found = [self.get(url, **params)]
        while found[-1]["more"]:
            assert found[-1]["next"], found[-1]
            found.append(self.get(url, **params, next=found[-1]["next"]))
        assert "next" not in found[-1]
        return found


def _listing(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page.get("objects", [])]


def _reports(objects: list[dict[str, Any]]) -> list[str]:
    return [str(o["name"]).rsplit("/", 1)[1] for o in objects if o["type"] == "report"]


def _names(objects: list[dict[str, Any]]) -> dict[str, str]:
    """The ids of the reports among OBJECTS, by report id."""
    return {_reports([o])[0]: o["id"] for o in objects if o["type"] == "report"}


def test_two_visible_reports_naming_one_url_give_its_observable_once(
    store: Store, tmp_path: Path
) -> None:
    _nodes(store)
    _add(store, tmp_path, "TH-AOC", "a-1", PUBLIC, SHARED)
    _add(store, tmp_path, "TH-AOC", "a-2", AMBER, SHARED)
    reader = Reader(store, "BANK-B")
    url = reader.url("Partnership")
    objects = reader.get(url + "objects/")["objects"]
    ids = [o["id"] for o in objects]
    assert ids.count(URL_ID) == 1, ids
    assert len(ids) == len(set(ids)) == 4  # the URL's domain too
    assert _reports(objects) == ["a-1", "a-2"]
    # it goes out before the first report naming it; both refer to it
    assert [o["type"] for o in objects] == ["domain-name", "url", "report", "report"]
    assert all(URL_ID in o["object_refs"] for o in objects if o["type"] == "report")
    # the most restrictive marking of the reports holding it (as a STIX export marks it)
    [observable] = [o for o in objects if o["id"] == URL_ID]
    assert observable["object_marking_refs"] == [TLP2_IDS[TLP.AMBER]]
    manifest = reader.get(url + "manifest/")["objects"]
    assert [m["id"] for m in manifest] == ids
    pairs = [(m["id"], m["version"]) for m in manifest]
    assert len(pairs) == len(set(pairs))
    # the first report's time: when the reader could first have it
    dates = [m["date_added"] for m in manifest]
    assert dates[0] == dates[1] == dates[2] < dates[3]
    one = reader.get(f"{url}objects/{URL_ID}/")["objects"]
    assert one == [observable]
    assert reader.get(f"{url}objects/{URL_ID}/versions/")["versions"] == [
        next(m["version"] for m in manifest if m["id"] == URL_ID)
    ]


def test_a_report_the_reader_may_not_see_neither_dates_marks_nor_shows_an_observable(
    store: Store, tmp_path: Path
) -> None:
    """The hidden reports come first (lower ids, earlier stamps): the observable is dated and
    marked by the visible one alone, and nothing of the hidden reports is listed."""
    _nodes(store)
    _add(store, tmp_path, "TH-AOC", "own-1", OWN, SHARED, SECRET)
    _add(store, tmp_path, "TH-AOC", "red-1", RED, SHARED, SECRET)
    _add(store, tmp_path, "TH-AOC", "group-1", GROUP, SHARED, SECRET)
    _add(store, tmp_path, "TH-AOC", "a-1", PUBLIC, SHARED)
    reader = Reader(store, "BANK-B")
    url = reader.url("Partnership")
    objects = reader.get(url + "objects/")["objects"]
    assert [o["id"] for o in objects].count(URL_ID) == 1
    assert _reports(objects) == ["a-1"]
    text = json.dumps(objects)
    for hidden in ("own-1", "red-1", "group-1", SECRET_ID, "hidden-ring"):
        assert hidden not in text, hidden
    [observable] = [o for o in objects if o["id"] == URL_ID]
    # not the hidden reports' TLP:RED, nor their distribution
    assert observable["object_marking_refs"] == [TLP2_IDS[TLP.GREEN]]
    assert observable["extensions"][SHARING_EXTENSION]["distribution"] == "partnership"
    manifest = {m["id"]: m for m in reader.get(url + "manifest/")["objects"]}
    [report] = [o for o in objects if o["type"] == "report"]
    assert manifest[URL_ID]["date_added"] == manifest[report["id"]]["date_added"]
    assert len(manifest) == len(objects) == 3  # the URL, its domain, the report
    # the hidden reports' own observable is no object of this reader's
    missing = reader.client.get(f"{url}objects/{SECRET_ID}/", headers=reader.headers)
    assert missing.status_code == 404
    assert reader.get(url + "objects/", **{"match[id]": SECRET_ID}) == {"more": False}
    # the group's members see it once in the group's collection, as AMBER for the group
    member = Reader(store, "VN-POLICE")
    group = member.get(member.url("Group MEKONG") + "objects/")["objects"]
    assert [o["id"] for o in group].count(URL_ID) == 1
    assert [o["id"] for o in group].count(SECRET_ID) == 1
    assert _reports(group) == ["group-1"]


def test_hiding_the_first_carrier_keeps_the_observable_with_the_others(
    store: Store, tmp_path: Path
) -> None:
    """Re-marking the report an observable went out with (organization only) leaves it with the
    next report still carrying it, once; the hidden report goes out revoked, nothing more."""
    _nodes(store)
    _add(store, tmp_path, "TH-AOC", "a-1", PUBLIC, SHARED, SECRET)
    _add(store, tmp_path, "TH-AOC", "a-2", PUBLIC, SHARED)
    _add(store, tmp_path, "TH-AOC", "a-3", PUBLIC, SHARED)
    reader = Reader(store, "BANK-B")
    url = reader.url("Partnership") + "objects/"
    before = reader.get(url)["objects"]
    assert [o["id"] for o in before].count(URL_ID) == 1
    assert [o["id"] for o in before].count(SECRET_ID) == 1
    _add(store, tmp_path / "again", "TH-AOC", "a-1", OWN, SHARED, SECRET)
    after = reader.get(url)["objects"]
    ids = [o["id"] for o in after]
    assert ids.count(URL_ID) == 1 and SECRET_ID not in ids
    revoked = [o for o in after if o.get("revoked")]
    assert _reports(revoked) == ["a-1"] and "description" not in revoked[0]
    assert _reports([o for o in after if not o.get("revoked")]) == ["a-2", "a-3"]
    assert ids.index(URL_ID) < ids.index(next(o["id"] for o in after if o["type"] == "report"))
    manifest = reader.get(url.replace("objects/", "manifest/"))["objects"]
    pairs = [(m["id"], m["version"]) for m in manifest]
    assert len(pairs) == len(set(pairs)) == len(after)


def _collection(store: Store, tmp_path: Path) -> tuple[Reader, str]:
    """BANK-B's partnership collection: five visible reports sharing observables in several
    ways, hidden reports between them, and a withdrawn one."""
    _nodes(store)
    _add(store, tmp_path, "TH-AOC", "a-1", PUBLIC, SHARED, "one.example/a")
    _add(store, tmp_path, "TH-AOC", "red-1", RED, SHARED, SECRET)
    _add(store, tmp_path, "TH-AOC", "a-2", AMBER, "one.example/a", "two.example/b")
    _add(store, tmp_path, "TH-AOC", "own-1", OWN, "two.example/b", SECRET)
    _add(store, tmp_path, "TH-AOC", "a-3", PUBLIC, SHARED, "two.example/b", "three.example/c")
    _add(store, tmp_path, "TH-AOC", "gone-1", PUBLIC, "gone.example/x", SHARED)
    _add(store, tmp_path, "TH-AOC", "a-4", PUBLIC)
    _add(store, tmp_path / "again", "TH-AOC", "gone-1", OWN, "gone.example/x", SHARED)
    _add(store, tmp_path / "again", "TH-AOC", "a-2", PUBLIC, "one.example/a", "two.example/b")
    reader = Reader(store, "BANK-B")
    return reader, reader.url("Partnership")


def test_pages_and_added_after_serve_each_object_once_as_the_whole_listing_does(
    store: Store, tmp_path: Path
) -> None:
    reader, url = _collection(store, tmp_path)
    whole = reader.get(url + "objects/")
    assert whole["more"] is False
    objects = whole["objects"]
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids)), ids
    assert _reports(objects) == ["a-1", "a-2", "a-3", "a-4", "gone-1"]  # revoked: last
    text = json.dumps(objects)
    assert SECRET_ID not in text and "red-1" not in text and "own-1" not in text
    manifest = reader.get(url + "manifest/")["objects"]
    assert [m["id"] for m in manifest] == ids
    dated = {m["id"]: m["date_added"] for m in manifest}
    # two.example/b goes out with a-2, the first report carrying it, but a-2 changed since:
    # it is dated by a-3, the carrier the reader could have first (own-1 it may not see)
    two, by_name = _url_id("two.example/b"), _names(objects)
    assert ids.index(two) < ids.index(by_name["a-2"])
    assert dated[two] == dated[by_name["a-3"]] < dated[by_name["a-2"]]
    for limit in (1, 2, 3):
        pages = reader.pages(url + "objects/", limit=limit)
        assert _listing(pages) == objects, limit
        assert all(len(p.get("objects", [])) <= limit for p in pages)
        shown = _listing(reader.pages(url + "manifest/", limit=limit))
        assert shown == manifest, limit
    for cut in sorted(set(dated.values())):
        later = [o for o in objects if dated[o["id"]] > cut]
        assert _listing(reader.pages(url + "objects/", added_after=cut)) == later, cut
        assert _listing(reader.pages(url + "objects/", added_after=cut, limit=1)) == later, cut
        answer = reader.answer(url + "manifest/", added_after=cut)
        listed = answer.json().get("objects", [])
        assert [m["id"] for m in listed] == [o["id"] for o in later], cut
        if listed:  # the headers bound the page's date_added
            first = min(m["date_added"] for m in listed)
            assert answer.headers["x-taxii-date-added-first"] == first


def test_one_object_reads_as_the_whole_listing_shows_it(store: Store, tmp_path: Path) -> None:
    reader, url = _collection(store, tmp_path)
    objects = reader.get(url + "objects/")["objects"]
    manifest = {m["id"]: m for m in reader.get(url + "manifest/")["objects"]}
    for obj in objects:
        answer = reader.answer(f"{url}objects/{obj['id']}/")
        assert answer.json() == {"more": False, "objects": [obj]}, obj["id"]
        stamp = manifest[obj["id"]]["date_added"]
        assert answer.headers["x-taxii-date-added-first"] == stamp
        versions = reader.get(f"{url}objects/{obj['id']}/versions/")
        assert versions == {"more": False, "versions": [manifest[obj["id"]]["version"]]}
        matched = reader.get(url + "objects/", **{"match[id]": obj["id"]})
        assert matched == {"more": False, "objects": [obj]}
    two = _url_id("two.example/b")
    several = [URL_ID, two, objects[-1]["id"], SECRET_ID]  # the last: gone-1, revoked
    matched = reader.pages(url + "objects/", **{"match[id]": ",".join(several)}, limit=1)
    assert _listing(matched) == [o for o in objects if o["id"] in several]
    assert len(matched) == 3  # one object a page, and no fourth page
    for missing in (SECRET_ID, "report--00000000-0000-4000-8000-000000000000"):
        gone = reader.client.get(f"{url}objects/{missing}/", headers=reader.headers)
        assert gone.status_code == 404, missing


def test_one_object_builds_only_the_report_that_holds_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report is built for its own id; an observable with the first report carrying it;
    an object the reader sees nowhere builds none."""
    reader, url = _collection(store, tmp_path)
    objects = reader.get(url + "objects/")["objects"]
    built: list[str] = []
    real = feed.report_objects

    def counted(view: Any) -> list[dict[str, Any]]:
        built.append(view.report_id)
        return real(view)

    monkeypatch.setattr(feed, "report_objects", counted)
    reader.get(url + "objects/")
    assert sorted(built) == ["a-1", "a-2", "a-3", "a-4"]  # the whole listing, for comparison
    holders = {
        "a-1": "a-1",
        URL_ID: "a-1",
        _url_id("two.example/b"): "a-2",
        _url_id("three.example/c"): "a-3",
        "a-4": "a-4",
    }
    by_name = _names(objects)
    for wanted, holder in holders.items():
        object_id = by_name.get(wanted, wanted)
        for tail, params in (
            (f"{object_id}/", {}),
            (f"{object_id}/versions/", {}),
            ("", {"match[id]": object_id}),
        ):
            built.clear()
            reader.get(url + "objects/" + tail, **params)
            assert built == [holder], (wanted, tail, built)
    for missing in (SECRET_ID, by_name["gone-1"], "report--00000000-0000-4000-8000-000000000000"):
        built.clear()
        reader.client.get(f"{url}objects/{missing}/", headers=reader.headers)
        assert built == [], (missing, built)

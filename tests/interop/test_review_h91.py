"""Fresh-eyes review of interop (helper-91): what one source sends cannot change how another
source's objects are read; a page or envelope that repeats a report is accounted."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.interop import export_misp, importer, misp_import
from bigfish.interop.export import stix_objects
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import SHARING_EXTENSION
from bigfish.interop.misp import report_event
from bigfish.interop.model import NetworkView
from bigfish.organizations import add_group, add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports, sharing_groups
from tests.interop.builders import LOCATION, bigfish_report, fixed_view, foreign_report

PEER = "http://peer.example/taxii2/"
OTHER_PEER = "http://other.example/taxii2/"
DEFINITION_ID = "marking-definition--55555555-5555-4555-8555-555555555555"


def _definition(tlp: str) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": DEFINITION_ID,
        "created": "2025-01-01T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": tlp},
    }


def _partnership() -> dict[str, Any]:
    ext = {"extension_type": "property-extension", "distribution": "partnership"}
    return {"extensions": {SHARING_EXTENSION: ext}}


def _held(store: Store) -> dict[str, tuple[str, str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id, reports.c.tlp).join(
                organizations, organizations.c.id == reports.c.org_id
            )
        ).all()
    return {r.report_id: (r.name, r.tlp, r.report_id) for r in rows}


def test_a_poster_or_another_peer_cannot_redefine_a_peers_marking_definition(
    sqlite_store: Store,
) -> None:
    """A marking definition a peer sent on an earlier page is that peer's: a TAXII POST (any
    analyst's key) or another peer sending the same id with TLP:CLEAR must not turn the peer's
    TLP:RED report into a clear one."""
    report = foreign_report(8, object_marking_refs=[DEFINITION_ID], **_partnership())
    with sqlite_store.begin() as conn:
        import_objects(conn, [_definition("red"), LOCATION], peer=PEER, default_org="PEER")
        posted = import_objects(
            conn, [_definition("clear")], peer=None, default_org="EVIL", owner="EVIL"
        )
        assert posted.rejected == 0
        pulled = import_objects(conn, [_definition("white")], peer=OTHER_PEER, default_org="OTHER")
        assert pulled.rejected == 0
        outcome = import_objects(conn, [report], peer=PEER, default_org="PEER")
    assert (outcome.new, outcome.rejected) == (1, 0)
    [(org, tlp, _)] = _held(sqlite_store).values()
    assert (org, tlp) == ("PEER", "red")


def _versioned(report_id: str, stix_id: str, modified: str, narrative: str) -> dict[str, Any]:
    report = bigfish_report(report_id, org="PEER-ORG")
    return report | {"id": stix_id, "modified": modified, "description": narrative}


def test_a_page_repeating_a_report_accounts_for_every_copy(sqlite_store: Store) -> None:
    """A page holding one report twice loses nothing silently: an older version of the same
    STIX id is held unchanged (the newer one is stored), and another object under the same
    organization and report_id, or the same version with other content, is rejected naming
    the first; stored = new + updated + unchanged, as `SyncResult` promises."""
    first_id = "report--11111111-1111-4111-8111-111111111111"
    page = [
        _versioned("r-1", first_id, "2025-11-01T00:00:00.000Z", "first version"),
        _versioned("r-1", first_id, "2025-11-02T00:00:00.000Z", "second version"),
        _versioned(
            "r-1",
            "report--22222222-2222-4222-8222-222222222222",
            "2025-11-03T00:00:00.000Z",
            "forged",
        ),
        _versioned("r-1", first_id, "2025-11-02T00:00:00.000Z", "second version, altered"),
    ]
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="PEER")
    assert outcome.received == outcome.stored + outcome.rejected
    assert outcome.stored == outcome.new + outcome.updated + outcome.unchanged
    assert (outcome.new, outcome.unchanged, outcome.rejected) == (1, 1, 2)
    rejected = dict(outcome.rejections)
    assert first_id in rejected["report--22222222-2222-4222-8222-222222222222"]
    assert "different content" in rejected[first_id]
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(reports.c.narrative)).scalars().all() == ["second version"]


def test_a_bundle_whose_ids_are_not_text_is_rejected_object_by_object(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An id that is a list or an object (a hostile or broken bundle) rejects its object with
    a reason naming its position: it never ends the whole file with a TypeError."""
    objects = [
        LOCATION,
        {"type": "phone-number", "id": ["phone-number--1"], "value": "+66812345678"},
        {"type": "report", "id": {"report": 1}, "published": "2025-10-01T00:00:00Z"},
        foreign_report(3),
    ]
    path = tmp_path / "ids.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": objects}), "utf-8")
    result = ingest_file(sqlite_store, path, org="CERT", fmt="stix", classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    rows = [json.loads(x) for x in path.with_name("ids.json.rejects.jsonl").open()]
    assert [(r["object"], r.get("field")) for r in rows] == [(2, "id"), (3, "id")]


class _CountingParts(dict[int, str]):
    """The parts of a long narrative, counting how often one is looked for."""

    looked = 0

    def __contains__(self, key: object) -> bool:
        type(self).looked += 1
        return super().__contains__(key)


def test_a_misp_narrative_claiming_a_million_parts_is_not_walked_part_by_part() -> None:
    """`narrative 1/999999` claims 999,999 parts: finding the first missing one looks at the
    parts given, not at every number up to the claim (an event of thousands of such attributes,
    each with another claim, held the parser for hours: security-tests 17, no hang)."""
    items = misp_import._Items()
    items.parts = {999_999 - n: _CountingParts({1: f"part of claim {n}"}) for n in range(3)}
    narrative, missing = misp_import._narrative(items)
    assert narrative is not None and narrative.count("part of claim") == 3
    assert [reason for _, reason in missing] == [
        f"part 2 of {999_999 - n} of the narrative is missing" for n in (2, 1, 0)
    ]
    assert _CountingParts.looked <= 3 * 2


def test_a_pulled_group_report_keeps_the_group_only_when_its_organization_is_a_member(
    sqlite_store: Store,
) -> None:
    """A pulled report shared with sharing group MEKONG is shown to this node's MEKONG only when
    the report's organization is one of its members: a group of the same name that the sender
    does not belong to is another audience (its members never were the sender's choice), so
    the report falls back to `organization`, as for an unknown group (security-tests 9)."""
    add_org(sqlite_store, "LOCAL-A", country="TH")
    add_org(sqlite_store, "TH-AOC", country="TH", node=PEER)
    add_group(sqlite_store, "MEKONG", owner="LOCAL-A", members=[])
    add_group(sqlite_store, "ASEAN", owner="LOCAL-A", members=["TH-AOC"])
    page = [
        bigfish_report("g-1", org="TH-AOC", group="MEKONG"),
        bigfish_report("g-2", org="TH-AOC", group="ASEAN"),
        bigfish_report("g-3", org="NEW-ORG", group="ASEAN"),
    ]
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="PEER")
    assert (outcome.new, outcome.rejected) == (3, 0), outcome.rejections
    with sqlite_store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.report_id, reports.c.distribution, sharing_groups.c.name)
            .outerjoin(sharing_groups, sharing_groups.c.id == reports.c.group_id)
            .order_by(reports.c.report_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("g-1", "organization", None),  # MEKONG here is LOCAL-A's alone
        ("g-2", "group", "ASEAN"),  # TH-AOC is a member of this node's ASEAN
        ("g-3", "organization", None),  # an organization new here is in no group
    ]


def test_a_misp_events_other_tags_are_kept_and_go_out_again_as_tags(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An event's tags that are neither its TLP nor bigfish's fields (a galaxy, a taxonomy)
    are what the partner said about it: kept as report attributes, never dropped, and sent
    out again as the event's tags (a tag that would read as a marking is not)."""
    galaxy = 'misp-galaxy:financial-fraud="Investment Scam"'
    event = {
        "Event": {
            "uuid": "5f0c6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5c",
            "info": "Investment scam",
            "date": "2025-11-02",
            "distribution": "2",
            "Tag": [
                {"name": "tlp:green"},
                {"name": galaxy},
                {"name": 'bigfish:country="TH"'},
                {"name": "type:OSINT"},
            ],
            "Attribute": [{"type": "phone-number", "value": "+66812345678"}],
        }
    }
    path = tmp_path / "tags.json"
    path.write_text(json.dumps(event), "utf-8")
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="misp", classify=False)
    assert (result.stored, result.rejected) == (1, 0)
    with sqlite_store.connect() as conn:
        [attributes] = conn.execute(sa.select(reports.c.attributes)).scalars().all()
    assert (attributes["misp_tag"], attributes["misp_tag.2"]) == (galaxy, "type:OSINT")
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    [again] = json.loads(out.getvalue())["response"]
    tags = [t["name"] for t in again["Event"]["Tag"]]
    assert galaxy in tags and "type:OSINT" in tags and tags.count("tlp:green") == 1
    assert all("misp_tag" not in a.get("comment", "") for a in again["Event"]["Attribute"])
    view = dataclasses.replace(fixed_view(), attributes=(("misp_tag", "tlp:clear"),))
    [tlp] = [t["name"] for t in report_event(view)["Event"]["Tag"] if t["name"].startswith("tlp")]
    assert tlp == "tlp:green"  # a kept tag never adds a marking


def test_a_networks_relationships_point_at_the_report_objects_of_the_bundle() -> None:
    """A report that came with a STIX id of its own (a peer's, OpenCTI's) goes out under that
    id: the network's related-to relationships must name it, not an id no object has (a
    receiver would lose the network's link to every imported report)."""
    views = [
        dataclasses.replace(fixed_view("r-1"), source_id="report--11111111-1111-4111-8111-1111"),
        fixed_view("r-2"),
    ]
    network = NetworkView(
        "7",
        (("TH-AOC", "r-1"), ("TH-AOC", "r-2")),
        (("phone", "+66812345678"),),
        ("TH",),
        1.0,
        None,
        None,
        None,
    )
    objects = stix_objects(views, [network])
    ids = {o["id"] for o in objects}
    targets = [o["target_ref"] for o in objects if o["type"] == "relationship"]
    assert len(targets) == 3
    assert [t for t in targets if t not in ids] == []


def test_merging_many_copies_of_one_observable_is_not_quadratic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A feed serves an observable once per report holding it, each copy in that report's
    marking: the copies' markings are merged. A hostile page (or any analyst's TAXII POST)
    of 20,000 copies each naming another marking took minutes while holding the write
    transaction, as every copy re-sorted all the markings gathered so far; the work now grows
    with the copies (counted here as the markings sorted), and the merge is the same."""
    sorted_items = 0

    def counting_sorted(items: Any) -> list[Any]:
        nonlocal sorted_items
        result = sorted(items)
        sorted_items += len(result)
        return result

    monkeypatch.setattr(importer, "sorted", counting_sorted, raising=False)
    copies = [
        {
            "type": "phone-number",
            "id": "phone-number--1",
            "value": "+66812345678",
            "object_marking_refs": [f"marking-definition--{n:08d}"],
        }
        for n in range(2000)
    ]
    first, conflicting = importer._merged_copies(copies)
    assert conflicting == set()
    refs = first["phone-number--1"]["object_marking_refs"]
    assert refs == [f"marking-definition--{n:08d}" for n in range(2000)]
    assert sorted_items <= 2 * len(copies)


class _CountingId(str):
    """A report_id counting how often it is compared."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        type(self).compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_naming_the_reports_the_store_refuses_is_not_quadratic(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each report the store refuses (an id longer than it keeps) is rejected with its STIX id.
    Finding that id searched every report of the page for each refused one: a page (or a TAXII
    POST) of 8,000 such reports held the write transaction for 9 s, 80,000 for a quarter of an
    hour. The work now grows with the reports (counted as report_id comparisons)."""
    real = importer.write_batch

    def counted(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        refused = [
            (
                dataclasses.replace(
                    p,
                    report=dataclasses.replace(p.report, report_id=_CountingId(p.report.report_id)),
                ),
                reason,
            )
            for p, reason in outcome.duplicates
        ]
        return dataclasses.replace(outcome, duplicates=refused)

    monkeypatch.setattr(importer, "write_batch", counted)
    page = [
        bigfish_report(f"r-{n}", org="PEER-ORG") | {"id": "report--" + "x" * 250 + str(n)}
        for n in range(300)
    ]
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, page, peer=PEER, default_org="PEER")
    assert (outcome.stored, outcome.rejected) == (0, 300)
    assert {ident for ident, _ in outcome.rejections} == {o["id"] for o in page}
    assert _CountingId.compared <= 2 * len(page)

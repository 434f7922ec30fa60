"""Review of interop (helper-95): what a MISP partner said of an attribute or object is kept and
goes out on it again; a STIX report's `created` (its author's) survives import and export; a
STIX id is its author's, so a report under an id held here for another report is rejected."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.readers import Row
from bigfish.interop import export_misp, export_stix
from bigfish.interop.export import stix_objects
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import SHARING_EXTENSION, TLP2_IDS
from bigfish.interop.misp_import import event_records
from bigfish.interop.stix import report_stix_id
from bigfish.interop.views import iter_reports
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, bigfish_report, foreign_report

PEER = "https://peer.example/taxii2/"
RELAYED = "https://relay.example/taxii2/"
PHONE = "+66812345678"


# --- 1. MISP: tags, comments and sightings of attributes and objects ------------------------


def _event() -> dict[str, Any]:
    return {
        "Event": {
            "uuid": "5e0a1c2d-0000-4000-8000-000000000095",
            "info": "Investment scam",
            "date": "2025-11-01",
            "distribution": "1",
            "Tag": [{"name": "tlp:green"}, {"name": 'bigfish:country="TH"'}],
            "Attribute": [
                {
                    "type": "phone-number",
                    "value": PHONE,
                    "comment": "the mule's number, from the victim's call log",
                    "first_seen": "2025-10-01T08:00:00.000000+00:00",
                    "last_seen": "2025-10-20T08:00:00.000000+00:00",
                    "Tag": [{"name": 'osint:source-type="victim-report"'}, {"name": "tlp:green"}],
                },
                {
                    "type": "text",
                    "value": "The victim was told to buy gold.",
                    "comment": "narrative",
                },
            ],
            "Object": [
                {
                    "name": "coin-address",
                    "comment": "the wallet the victim paid",
                    "Tag": [{"name": 'misp-galaxy:threat-actor="Gold Ring"'}],
                    "Attribute": [
                        {
                            "type": "btc",
                            "object_relation": "address-crypto",
                            "value": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                            "Tag": [{"name": "confidence:high"}],
                        },
                        {"type": "text", "object_relation": "symbol", "value": "BTC"},
                    ],
                }
            ],
        }
    }


def _kept_items(fields: dict[str, str]) -> list[dict[str, Any]]:
    return [json.loads(v) for k, v in fields.items() if k.split(".")[0] == "misp_item"]


def test_what_a_partner_said_of_an_attribute_or_object_is_kept_naming_it() -> None:
    """Review finding: an attribute's or object's own tags (other than tlp:*), a typed
    attribute's comment and its first_seen/last_seen were dropped without a word."""
    [row] = event_records(1, _event())
    assert isinstance(row, Row)
    kept = sorted(_kept_items(row.fields), key=lambda e: e["on"])
    assert kept == [
        {
            "on": "Attribute[0]",
            "type": "phone-number",
            "value": PHONE,
            "tags": ['osint:source-type="victim-report"'],  # tlp:green is the marking
            "comment": "the mule's number, from the victim's call log",
            "first_seen": "2025-10-01T08:00:00.000000+00:00",
            "last_seen": "2025-10-20T08:00:00.000000+00:00",
        },
        {
            "on": "Object[0]",
            "object": "coin-address",
            "values": ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "BTC"],
            "tags": ['misp-galaxy:threat-actor="Gold Ring"'],
            "comment": "the wallet the victim paid",
        },
        {
            "on": "Object[0].Attribute[0]",
            "type": "btc",
            "value": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "tags": ["confidence:high"],
        },
    ]
    # the narrative's comment is read (it says what the value is): nothing more to keep
    assert not [e for e in kept if e.get("type") == "text"]


def test_what_was_said_of_an_attribute_too_long_to_keep_is_rejected_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A comment longer than a report attribute may be rejects what was said of its attribute,
    with the reason; the attribute's value and the event are kept."""
    event = _event()
    event["Event"]["Attribute"][0]["comment"] = "x" * 10_001
    path = tmp_path / "long.json"
    path.write_text(json.dumps(event), "utf-8")
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="misp", classify=False)
    assert (result.stored, result.rejected) == (1, 1)
    [reject] = [
        json.loads(line)
        for line in path.with_name("long.json.rejects.jsonl").read_text().splitlines()
    ]
    assert "Attribute[0]" in json.dumps(reject) and "10,000 characters" in json.dumps(reject)
    with sqlite_store.connect() as conn:
        attributes = conn.execute(sa.select(reports.c.attributes)).scalar_one()
    assert not any(PHONE in v for k, v in attributes.items() if k.startswith("misp_item"))


def test_an_attribute_or_object_deleted_in_misp_is_not_read_but_rejected_naming_it() -> None:
    """Review finding: MISP's soft-deleted attributes (an export with deleted items) were read
    as live identifiers, linking reports through values the partner had withdrawn."""
    event = _event()
    event["Event"]["Attribute"][0]["deleted"] = True
    event["Event"]["Object"][0]["deleted"] = "1"
    *problems, row = event_records(1, event)
    assert isinstance(row, Row)
    assert row.identifiers == []
    assert [p.field for p in problems] == ["Object[0]", "Attribute[0]"]  # type: ignore[union-attr]
    assert all(
        p.reason.startswith(f"{p.field}: deleted in MISP")  # type: ignore[union-attr]
        for p in problems
    )


def _ingest_event(store: Store, tmp_path: Path, event: dict[str, Any], name: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(event), "utf-8")
    result = ingest_file(store, path, org="TH-AOC", fmt="misp", classify=False)
    assert result.rejected == 0, path.with_name(name + ".rejects.jsonl").read_text()


def _misp_export(store: Store) -> dict[str, Any]:
    out = io.StringIO()
    export_misp(store, Viewer.node_operator(), out)
    [event] = json.loads(out.getvalue())["response"]
    return dict(event["Event"])


def test_what_was_said_of_an_attribute_goes_out_on_it_and_comes_back(
    sqlite_store: Store, tmp_path: Path
) -> None:
    _ingest_event(sqlite_store, tmp_path, _event(), "event.json")
    event = _misp_export(sqlite_store)
    [phone] = [a for a in event["Attribute"] if a["value"] == PHONE]
    assert phone["type"] == "phone-number"
    assert phone["comment"] == "the mule's number, from the victim's call log"
    assert phone["first_seen"] == "2025-10-01T08:00:00.000000+00:00"
    assert phone["Tag"] == [{"name": 'osint:source-type="victim-report"'}]
    [wallet] = [a for a in event["Attribute"] if a["value"].startswith("1A1z")]  # btc: no object
    assert wallet["Tag"] == [{"name": "confidence:high"}]
    # the coin-address object is not sent again (bitcoin goes as btc): what was said of it
    # goes as a text attribute, which is read back as it was
    [entry] = [a for a in event["Attribute"] if a.get("comment") == "misp_item"]
    assert json.loads(entry["value"])["object"] == "coin-address"
    assert all(
        not t["name"].startswith("tlp:") for a in event["Attribute"] for t in a.get("Tag", [])
    )
    [row] = event_records(1, {"Event": event})
    assert isinstance(row, Row)
    again = {
        json.dumps({k: e[k] for k in e if k not in ("on", "type")}, sort_keys=True)
        for e in _kept_items(row.fields)
    }
    first = {
        json.dumps({k: e[k] for k in e if k not in ("on", "type")}, sort_keys=True)
        for e in _kept_items(event_records(1, _event())[0].fields)
    }  # type: ignore[union-attr]
    assert again == first


def test_a_misp_event_sent_again_with_what_was_said_of_its_attributes_is_not_rewritten(
    sqlite_store: Store, tmp_path: Path
) -> None:
    _ingest_event(sqlite_store, tmp_path, _event(), "first.json")
    with sqlite_store.connect() as conn:
        before = conn.execute(sa.select(reports.c.updated_at, reports.c.attributes)).one()
    _ingest_event(sqlite_store, tmp_path, _event(), "again.json")
    with sqlite_store.connect() as conn:
        after = conn.execute(sa.select(reports.c.updated_at, reports.c.attributes)).one()
    assert after == before


# --- 2. STIX: the author's `created` --------------------------------------------------------


def _views(store: Store) -> list[Any]:
    with store.connect() as conn:
        return list(iter_reports(conn, sa.true()))


def _exported_report(store: Store) -> dict[str, Any]:
    [obj] = [o for o in stix_objects(_views(store)) if o["type"] == "report"]
    return obj


def _authored(report_id: str = "r-1") -> dict[str, Any]:
    obj = bigfish_report(report_id, org="PARTNER", phone=PHONE)
    return obj | {"created": "2025-10-01T06:00:00.000Z", "modified": "2025-11-01T00:00:00.000Z"}


def test_a_pulled_reports_created_survives_import_and_export(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review finding: an imported report went out with `created` = the earlier of when this
    node stored it and its version, never its author's creation time."""
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [_authored()], peer=PEER, default_org="x")
    assert (outcome.new, outcome.rejected) == (1, 0)
    sent = _exported_report(sqlite_store)
    assert sent["created"] == "2025-10-01T06:00:00.000000Z"
    assert sent["modified"] == "2025-11-01T00:00:00.000000Z"
    # a node pulling it from here keeps it, and serves it with the same `created` again
    relay = open_store(f"sqlite:///{tmp_path / 'relay.db'}")
    try:
        with relay.begin() as conn:
            pulled = import_objects(
                conn, stix_objects(_views(sqlite_store)), peer=RELAYED, default_org="x"
            )
        assert (pulled.new, pulled.rejected) == (1, 0)
        assert _exported_report(relay)["created"] == sent["created"]
    finally:
        relay.close()
    with sqlite_store.begin() as conn:
        again = import_objects(conn, [_authored()], peer=PEER, default_org="x")
    assert (again.unchanged, again.updated, again.new) == (1, 0, 0)


def test_a_taxii_post_keeps_the_created_it_came_with(sqlite_store: Store, tmp_path: Path) -> None:
    add_org(sqlite_store, "BANK-B", country="TH")
    posted = bigfish_report("p-1", phone=PHONE) | {"created": "2025-09-30T23:59:59.5Z"}
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [posted], peer=None, default_org="x", owner="BANK-B")
    assert outcome.new == 1
    assert _exported_report(sqlite_store)["created"] == "2025-09-30T23:59:59.500000Z"
    with sqlite_store.begin() as conn:  # the same object again: held, nothing rewritten
        again = import_objects(conn, [posted], peer=None, default_org="x", owner="BANK-B")
    assert again.unchanged == 1


def test_a_bundle_files_created_survives_ingest_and_export_and_again_is_unchanged(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "bundle.json"
    report = foreign_report(1) | {"created": "2025-09-01T00:00:00Z"}
    bundle = {"type": "bundle", "id": "bundle--1", "objects": [LOCATION, report]}
    path.write_text(json.dumps(bundle), "utf-8")
    assert ingest_file(sqlite_store, path, org="TH-AOC", fmt="stix", classify=False).stored == 1
    out = io.StringIO()
    export_stix(sqlite_store, Viewer.node_operator(), out)
    [sent] = [o for o in json.loads(out.getvalue())["objects"] if o["type"] == "report"]
    assert sent["id"] == report["id"] and sent["created"] == "2025-09-01T00:00:00.000000Z"
    with sqlite_store.connect() as conn:
        before = conn.execute(sa.select(reports.c.updated_at)).scalar_one()
    again = ingest_file(sqlite_store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (again.stored, again.updated, again.unchanged, again.rejected) == (0, 1, 1, 0)
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(reports.c.updated_at)).scalar_one() == before


def test_a_created_that_is_no_timestamp_rejects_the_report_naming_it(sqlite_store: Store) -> None:
    bad = _authored() | {"created": "yesterday"}
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [bad], peer=PEER, default_org="x")
    [(stix_id, reason)] = outcome.rejections
    assert stix_id == bad["id"] and reason.startswith("created: ")


# --- 3. A STIX id is its author's -----------------------------------------------------------


def _held(store: Store) -> list[tuple[str, str, str | None]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id, reports.c.source_id)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .order_by(reports.c.id)
        ).all()
    return [(r.name, r.report_id, r.source_id) for r in rows]


def test_a_taxii_post_under_another_organizations_report_id_is_rejected_alone(
    sqlite_store: Store,
) -> None:
    """Review finding: BANK-B's POST of a report under BANK-A's STIX id was stored: two reports
    of two organizations went out under one id (a reader takes the later for a new version of
    the other)."""
    for org in ("BANK-A", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    mine = _partnership_wide(bigfish_report("a-1", phone=PHONE))
    with sqlite_store.begin() as conn:
        assert import_objects(conn, [mine], peer=None, default_org="x", owner="BANK-A").new == 1
    theirs = bigfish_report("b-1", phone="+66899999999") | {"id": mine["id"]}
    other = bigfish_report("b-2", phone="+66899999998")
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [theirs, other], peer=None, default_org="x", owner="BANK-B")
    assert (outcome.received, outcome.stored, outcome.new, outcome.rejected) == (2, 1, 1, 1)
    [(stix_id, reason)] = outcome.rejections
    assert stix_id == mine["id"] and reason.startswith(f"id: {mine['id']} is held on this node")
    assert "BANK-A" not in reason  # another organization's: not named to the poster
    assert [h[:2] for h in _held(sqlite_store)] == [("BANK-A", "a-1"), ("BANK-B", "b-2")]
    ids = [o["id"] for o in stix_objects(_views(sqlite_store)) if o["type"] == "report"]
    assert len(ids) == len(set(ids)) == 2


def test_a_post_of_the_id_an_organizations_own_report_goes_out_under_is_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A report of BANK-A's own (no source id) goes out under an id made of its organization
    and report_id: BANK-B sending BANK-A's exported object as its own is rejected."""
    for org in ("BANK-A", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    path = tmp_path / "a.csv"
    path.write_text(
        "report_id,reported_at,country,phone\na-1,2025-11-02T08:00:00Z,TH,+66812345678\n"
    )
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)  # BANK-B may see it
    assert ingest_file(sqlite_store, path, org="BANK-A", marking=shared, classify=False).stored == 1
    copied = _exported_report(sqlite_store)
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [copied], peer=None, default_org="x", owner="BANK-B")
    assert outcome.rejected == 1 and outcome.rejections[0][1].startswith("id: ")
    assert [h[:2] for h in _held(sqlite_store)] == [("BANK-A", "a-1")]


def _partnership_wide(obj: dict[str, Any]) -> dict[str, Any]:
    """OBJ shared with the whole partnership at TLP:GREEN."""
    extensions = dict(obj["extensions"])
    extensions[SHARING_EXTENSION] = {
        "extension_type": "property-extension",
        "distribution": "partnership",
    }
    return obj | {"extensions": extensions, "object_marking_refs": [TLP2_IDS[TLP.GREEN]]}


@pytest.mark.parametrize("made", ["source id", "own id"])
def test_a_post_under_the_id_of_a_report_the_poster_may_not_see_is_no_oracle(
    sqlite_store: Store, made: str
) -> None:
    """A refusal for an id held by a report the poster may not see would tell it that the
    report exists: an id made of an organization and a report_id (bigfish's own ids) can be
    guessed. Such a POST is answered as one under an id nobody holds."""
    for org in ("BANK-A", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    mine = bigfish_report("a-1", phone=PHONE)  # BANK-A's organization only
    if made == "own id":
        mine = mine | {"id": report_stix_id("BANK-A", "a-1")}
    with sqlite_store.begin() as conn:
        assert import_objects(conn, [mine], peer=None, default_org="x", owner="BANK-A").new == 1
    theirs = bigfish_report("b-1", phone="+66899999999") | {"id": mine["id"]}
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [theirs], peer=None, default_org="x", owner="BANK-B")
    assert (outcome.stored, outcome.rejected) == (1, 0)


def test_a_pulled_report_under_an_id_held_for_another_organization_is_rejected(
    sqlite_store: Store,
) -> None:
    add_org(sqlite_store, "BANK-A", country="TH")
    mine = bigfish_report("a-1", phone=PHONE)
    with sqlite_store.begin() as conn:
        import_objects(conn, [mine], peer=None, default_org="x", owner="BANK-A")
    forged = bigfish_report("c-1", org="PEER-ORG", phone=PHONE) | {"id": mine["id"]}
    fine = bigfish_report("c-2", org="PEER-ORG", phone=PHONE)
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [forged, fine], peer=PEER, default_org="x")
    assert (outcome.new, outcome.rejected) == (1, 1)
    assert outcome.rejections[0][0] == mine["id"]
    assert outcome.rejections[0][1].startswith("id: ")
    assert [h[:2] for h in _held(sqlite_store)] == [("BANK-A", "a-1"), ("PEER-ORG", "c-2")]


def test_one_id_for_two_reports_of_one_page_keeps_the_first(sqlite_store: Store) -> None:
    first = bigfish_report("c-1", org="PEER-ORG", phone=PHONE)
    second = bigfish_report("d-1", org="OTHER-ORG", phone=PHONE) | {"id": first["id"]}
    with sqlite_store.begin() as conn:
        outcome = import_objects(conn, [first, second], peer=PEER, default_org="x")
    assert (outcome.new, outcome.rejected) == (1, 1)
    assert outcome.rejections == (
        (first["id"], "id: given before in this page for report PEER-ORG/c-1"),
    )


def test_the_same_report_sent_again_under_its_id_is_no_conflict(sqlite_store: Store) -> None:
    """The check leaves a report's own id alone: a newer version of it is an update."""
    mine = _authored()
    newer = mine | {"modified": "2025-11-02T00:00:00.000Z", "description": "more"}
    with sqlite_store.begin() as conn:
        import_objects(conn, [mine], peer=PEER, default_org="x")
        outcome = import_objects(conn, [newer], peer=PEER, default_org="x")
    assert (outcome.updated, outcome.rejected) == (1, 0)


def test_a_bundle_file_giving_one_id_to_two_reports_keeps_the_first(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`bigfish ingest --format stix`: two reports of one bundle under one STIX id (other
    report_ids) were both stored, and went out under one id."""
    first = foreign_report(1)
    second = bigfish_report("b-9", phone=PHONE) | {"id": first["id"]}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, first, second]}), "utf-8")
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (result.stored, result.rejected) == (1, 1)
    [reject] = path.with_name("twice.json.rejects.jsonl").read_text().splitlines()
    assert f"{first['id']} was given before for report_id {first['id']} (object 2)" in reject
    assert [h[:2] for h in _held(sqlite_store)] == [("TH-AOC", first["id"])]

"""Review of interop (helper-100): one STIX-id holder check for a TAXII POST, a pull and a bundle
file; a revoked report keeps the `created` it was served with; what a MISP event says beyond
its attributes and objects (reports, sightings, galaxies) is kept or rejected with a reason."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.readers import Row
from bigfish.interop import export_misp
from bigfish.interop.feed import collections, iter_entries
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import SHARING_EXTENSION, TLP2_IDS
from bigfish.interop.misp_import import event_records
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import delete_report, remark_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema import organizations, reports
from tests.interop.builders import LOCATION, bigfish_report, foreign_report, key_viewer

PHONE = "+66812345678"


# --- 1. One holder check: an id taken twice before the check stays its first holder's -------


def _partnership_wide(obj: dict[str, Any]) -> dict[str, Any]:
    extensions = dict(obj["extensions"])
    extensions[SHARING_EXTENSION] = {
        "extension_type": "property-extension",
        "distribution": "partnership",
    }
    return obj | {"extensions": extensions, "object_marking_refs": [TLP2_IDS[TLP.GREEN]]}


def _newer(obj: dict[str, Any], phone: str) -> dict[str, Any]:
    extensions = {k: dict(v) for k, v in obj["extensions"].items()}
    for ext in extensions.values():
        if "report_id" in ext:
            ext["identifiers"] = [{"kind": "phone", "value": phone}]
    return obj | {"extensions": extensions, "modified": "2025-12-01T00:00:00.000Z"}


def _post(store: Store, obj: dict[str, Any], owner: str) -> list[tuple[str | None, str]]:
    with store.begin() as conn:
        return list(import_objects(conn, [obj], peer=None, default_org="x", owner=owner).rejections)


def _file(store: Store, path: Path, obj: dict[str, Any], org: str) -> list[dict[str, Any]]:
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, obj]}), "utf-8")
    ingest_file(store, path, org=org, fmt="stix", classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return (
        [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
        if rejects.exists()
        else []
    )


def test_an_id_held_twice_stays_its_first_holders_on_every_path(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two reports under one id (taken before the check existed, by an older release): the file
    check kept the first holder's updates by the order its query returned rows in, the TAXII
    check refused both reports for ever. Both now keep the id for the report that held it
    first and refuse the other, naming the first holder where the caller may see it."""
    for org in ("BANK-A", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    first = _partnership_wide(bigfish_report("a-1", phone=PHONE))
    second = _partnership_wide(bigfish_report("b-1", phone="+66899999999"))
    assert _post(sqlite_store, first, "BANK-A") == []
    assert _post(sqlite_store, second, "BANK-B") == []
    with sqlite_store.begin() as conn:  # b-1 took a-1's id before any check refused it
        b_org = sa.select(organizations.c.id).where(organizations.c.name == "BANK-B")
        conn.execute(
            reports.update()
            .where(reports.c.report_id == "b-1", reports.c.org_id == b_org.scalar_subquery())
            .values(source_id=first["id"])
        )
    # the first holder updates its report: by POST and by file
    assert _post(sqlite_store, _newer(first, "+66811111111"), "BANK-A") == []
    assert _file(sqlite_store, tmp_path / "a.json", _newer(first, "+66822222222"), "BANK-A") == []
    # the later one is refused on both paths, the holder named as each caller may see it
    taken = _newer(second, "+66833333333") | {"id": first["id"]}
    [(stix_id, reason)] = _post(sqlite_store, taken, "BANK-B")
    assert stix_id == first["id"]
    assert reason.startswith(f"id: {first['id']} is held on this node for a report of another")
    [line] = _file(sqlite_store, tmp_path / "b.json", taken, "BANK-B")
    assert line["field"] == "id" and line["report_id"] == "b-1"
    assert line["reason"].startswith(f"{first['id']} is held on this node for report BANK-A/a-1")


# --- 2. A revoked version keeps the `created` its report was served with ---------------------


def _served(store: Store, viewer: Viewer) -> list[dict[str, Any]]:
    """The report objects VIEWER's collections serve, revoked versions included."""
    with store.connect() as conn:
        return [
            entry.object
            for collection in collections(conn, viewer)
            for entry, _ in iter_entries(conn, collection)
            if entry.object["type"] == "report"
        ]


@pytest.mark.parametrize("withdrawal", ["deleted", "re-marked"])
def test_a_revoked_version_keeps_the_authors_created(
    sqlite_store: Store, tmp_path: Path, withdrawal: str
) -> None:
    """Review finding: a report taken in with its author's STIX `created` is served with it,
    but its revoked version, after a local delete or re-mark, had `created` = when this node
    stored it: to a STIX reader another object (`created` never changes across versions)."""
    for org in ("TH-AOC", "BANK-B"):
        add_org(sqlite_store, org, country="TH")
    path = tmp_path / "bundle.json"
    report = foreign_report(1) | {"created": "2025-09-01T00:00:00Z"}
    path.write_text(json.dumps({"type": "bundle", "objects": [LOCATION, report]}), "utf-8")
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    result = ingest_file(
        sqlite_store, path, org="TH-AOC", fmt="stix", marking=shared, classify=False
    )
    assert result.stored == 1
    reader = key_viewer(sqlite_store, "BANK-B", ApiRole.READONLY)
    [served] = _served(sqlite_store, reader)
    assert served["id"] == report["id"] and served["created"] == "2025-09-01T00:00:00.000000Z"
    owner = key_viewer(sqlite_store, "TH-AOC")
    report_id = report["id"]  # a foreign report's report_id is its id
    if withdrawal == "deleted":
        delete_report(sqlite_store, owner, "TH-AOC", report_id)
    else:
        remark_report(sqlite_store, owner, "TH-AOC", report_id, Marking(TLP.AMBER))
    [revoked] = [o for o in _served(sqlite_store, reader) if o.get("revoked")]
    assert revoked["id"] == served["id"]
    assert revoked["created"] == served["created"]
    assert revoked["modified"] > served["modified"]


# --- 3. MISP: event reports, sightings and galaxies kept; proposals rejected -----------------

WALLET = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
GALAXY_TAG = 'misp-galaxy:threat-actor="Gold Ring"'


def _misp_event() -> dict[str, Any]:
    return {
        "Event": {
            "uuid": "5e0a1c2d-0000-4000-8000-000000000100",
            "info": "Investment scam",
            "date": "2025-11-01",
            "distribution": "1",
            "Tag": [{"name": "tlp:green"}, {"name": 'bigfish:country="TH"'}, {"name": GALAXY_TAG}],
            "Attribute": [
                {
                    "uuid": "a0000000-0000-4000-8000-000000000001",
                    "type": "phone-number",
                    "value": PHONE,
                    "Sighting": [
                        {
                            "id": "42",
                            "org_id": "7",
                            "type": "0",
                            "date_sighting": "1761984000",
                            "source": "bank call centre",
                            "Organisation": {"id": "7", "name": "BANK-X", "uuid": "o-7"},
                        }
                    ],
                    "ShadowAttribute": [
                        {"type": "phone-number", "value": "+66899999999", "comment": "typo?"}
                    ],
                },
                {"type": "btc", "value": WALLET},
            ],
            "Sighting": [
                {
                    "attribute_uuid": "a0000000-0000-4000-8000-000000000001",
                    "type": "1",
                    "date_sighting": 1762070400,
                    "source": "",
                }
            ],
            "EventReport": [
                {
                    "uuid": "r0000000-0000-4000-8000-000000000001",
                    "name": "Victim interview",
                    "content": "The victim was called from @[attribute](a0000000) and paid.",
                    "distribution": "5",
                    "timestamp": "1762000000",
                }
            ],
            "Galaxy": [
                {
                    "type": "threat-actor",
                    "name": "Threat Actor",
                    "GalaxyCluster": [
                        {"type": "threat-actor", "value": "Gold Ring", "tag_name": GALAXY_TAG},
                        {
                            "type": "threat-actor",
                            "value": "Mekong Call Centre",
                            "tag_name": 'misp-galaxy:threat-actor="Mekong Call Centre"',
                            "description": "not sent again: the galaxy's, not the partner's",
                        },
                    ],
                }
            ],
            "ShadowAttribute": [{"type": "url", "value": "https://proposed.example"}],
        }
    }


def _blocks(fields: dict[str, str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for key, text in fields.items():
        name = key.split(".")[0]
        if name in ("misp_event_report", "misp_sighting", "misp_galaxy"):
            found.setdefault(name, []).append(json.loads(text))
    return {k: sorted(v, key=lambda e: json.dumps(e, sort_keys=True)) for k, v in found.items()}


EXPECTED = {
    "misp_event_report": [
        {
            "name": "Victim interview",
            "content": "The victim was called from @[attribute](a0000000) and paid.",
        }
    ],
    "misp_sighting": [
        {
            "attribute": PHONE,
            "type": "0",
            "date_sighting": "1761984000",
            "source": "bank call centre",
        },
        {"attribute": PHONE, "type": "1", "date_sighting": "1762070400", "source": ""},
    ],
    # Gold Ring comes as the event's tag too: kept once, as the tag
    "misp_galaxy": [
        {
            "type": "threat-actor",
            "value": "Mekong Call Centre",
            "tag_name": 'misp-galaxy:threat-actor="Mekong Call Centre"',
        }
    ],
}


def _ingest_misp(store: Store, path: Path, event: dict[str, Any]) -> list[dict[str, Any]]:
    path.write_text(json.dumps(event), "utf-8")
    result = ingest_file(store, path, org="TH-AOC", fmt="misp", classify=False)
    assert result.stored + result.updated == 1
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return (
        [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
        if rejects.exists()
        else []
    )


def test_a_misp_events_reports_sightings_and_galaxies_are_kept_and_proposals_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review finding: an event's `EventReport`, `Galaxy`, `Sighting` and `ShadowAttribute`
    blocks were dropped without a word."""
    rejects = _ingest_misp(sqlite_store, tmp_path / "event.json", _misp_event())
    assert sorted(r["field"] for r in rejects) == [
        "Attribute[0].ShadowAttribute[0]",
        "ShadowAttribute[0]",
    ]
    assert all("not accepted" in r["reason"] for r in rejects)
    with sqlite_store.connect() as conn:
        attributes = conn.execute(sa.select(reports.c.attributes)).scalar_one()
    assert _blocks(attributes) == EXPECTED
    assert "BANK-X" not in json.dumps(attributes) and '"42"' not in json.dumps(attributes)
    assert "https://proposed.example" not in json.dumps(attributes)  # a proposal is not adopted
    assert [t for k, t in attributes.items() if k.startswith("misp_tag")] == [GALAXY_TAG]


def test_misp_reports_sightings_and_galaxies_go_out_in_their_own_form_and_come_back(
    sqlite_store: Store, tmp_path: Path
) -> None:
    _ingest_misp(sqlite_store, tmp_path / "event.json", _misp_event())
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    [wrapper] = json.loads(out.getvalue())["response"]
    event = wrapper["Event"]
    [report] = event["EventReport"]
    assert (report["name"], report["content"]) == (
        "Victim interview",
        "The victim was called from @[attribute](a0000000) and paid.",
    )
    [phone] = [a for a in event["Attribute"] if a["value"] == PHONE]
    assert sorted(s["type"] for s in phone["Sighting"]) == ["0", "1"]
    [galaxy] = event["Galaxy"]
    assert [c["value"] for c in galaxy["GalaxyCluster"]] == ["Mekong Call Centre"]
    assert not [a for a in event["Attribute"] if str(a.get("comment", "")).startswith("misp_")]
    # and back: the same entries, and no proposal
    [row] = event_records(1, wrapper)
    assert isinstance(row, Row)
    assert _blocks(row.fields) == EXPECTED
    # once more through a file: the report is unchanged
    assert _ingest_misp(sqlite_store, tmp_path / "again.json", wrapper) == []
    with sqlite_store.connect() as conn:
        assert _blocks(conn.execute(sa.select(reports.c.attributes)).scalar_one()) == EXPECTED


def test_an_event_report_too_long_to_keep_is_rejected_alone_naming_its_content(
    sqlite_store: Store, tmp_path: Path
) -> None:
    event = _misp_event()
    event["Event"]["EventReport"][0]["content"] = "x" * 10_001
    event["Event"].pop("ShadowAttribute")
    event["Event"]["Attribute"][0].pop("ShadowAttribute")
    [reject] = _ingest_misp(sqlite_store, tmp_path / "long.json", event)
    assert reject["field"] == "EventReport[0].content"
    assert "10,000 characters" in reject["reason"]
    with sqlite_store.connect() as conn:
        attributes = conn.execute(sa.select(reports.c.attributes)).scalar_one()
    kept = _blocks(attributes)
    assert "misp_event_report" not in kept and kept["misp_sighting"] == EXPECTED["misp_sighting"]


def test_an_event_report_of_a_narrower_audience_narrows_the_report() -> None:
    event = _misp_event()
    event["Event"]["EventReport"][0]["distribution"] = "0"
    *_, row = event_records(1, event)
    assert isinstance(row, Row) and row.restriction is not None
    assert row.restriction.distribution is Distribution.ORGANIZATION

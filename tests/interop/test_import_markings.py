"""Markings on import: a marking bigfish does not understand is the most restrictive, never the
command line's default; a report takes the most restrictive of its own and its items' markings
(STIX observables and granular markings, MISP attributes and objects); what cannot be read is
rejected with a reason, never dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bigfish.intake import ingest_file
from bigfish.intake.service import IngestResult
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import REPORT_EXTENSION, SHARING_EXTENSION, TLP2_IDS
from bigfish.models import TLP, Distribution, Marking
from bigfish.store import Store
from bigfish.store.schema import identifiers, reports
from tests.interop.builders import LOCATION, foreign_report

WIDE = Marking(TLP.CLEAR, Distribution.PARTNERSHIP)  # what the operator gives on the command line
RED, GREEN = TLP2_IDS[TLP.RED], TLP2_IDS[TLP.GREEN]
OPENCTI_AMBER_STRICT = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"


def _sharing(distribution: str) -> dict[str, Any]:
    ext = {"extension_type": "property-extension", "distribution": distribution}
    return {"extensions": {SHARING_EXTENSION: ext}}


def _phone(n: int, **extra: Any) -> dict[str, Any]:
    value = f"+668123400{n:02d}"
    return {"type": "phone-number", "id": f"phone-number--{n}", "value": value, **extra}


def _definition(ident: str, **body: Any) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{ident}",
        "created": "2025-01-01T00:00:00.000Z",
        **body,
    }


def _ingest(
    store: Store, tmp: Path, name: str, data: object
) -> tuple[IngestResult, list[dict[str, Any]]]:
    path = tmp / name
    path.write_text(json.dumps(data), "utf-8")
    result = ingest_file(store, path, org="CERT", marking=WIDE, classify=False)
    rejects = path.with_name(path.name + ".rejects.jsonl")
    return result, [json.loads(x) for x in rejects.open()] if rejects.exists() else []


def _bundle(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--1", "objects": objects}


def _held(store: Store) -> dict[str, tuple[str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(reports.c.report_id, reports.c.tlp, reports.c.distribution)
        ).all()
    return {r.report_id.rsplit("-", 1)[-1].lstrip("0"): (r.tlp, r.distribution) for r in rows}


def test_markings_bigfish_does_not_understand_are_the_most_restrictive(
    sqlite_store: Store, tmp_path: Path
) -> None:
    objects = [
        LOCATION,
        _definition(
            "11111111-1111-4111-8111-111111111111",
            name="TLP:RED",
            definition_type="tlp",
            definition={"tlp": "red"},
        ),
        _definition("22222222-2222-4222-8222-222222222222", name="TLP:GREEN"),
        _definition(
            "33333333-3333-4333-8333-333333333333",
            definition_type="statement",
            definition={"statement": "Copyright ACME, do not share"},
        ),
        foreign_report(
            1, object_marking_refs=["marking-definition--11111111-1111-4111-8111-111111111111"]
        ),
        foreign_report(
            2, object_marking_refs=["marking-definition--22222222-2222-4222-8222-222222222222"]
        ),
        foreign_report(
            3, object_marking_refs=["marking-definition--33333333-3333-4333-8333-333333333333"]
        ),
        foreign_report(4, object_marking_refs=["marking-definition--44444444-4444-4444-8444-4444"]),
        foreign_report(5, object_marking_refs=[OPENCTI_AMBER_STRICT]),
        foreign_report(6, object_marking_refs=[OPENCTI_AMBER_STRICT], **_sharing("partnership")),
        foreign_report(7, object_marking_refs=[GREEN], **_sharing("partnership")),
    ]
    result, rejects = _ingest(sqlite_store, tmp_path, "marked.json", _bundle(objects))
    assert (result.stored, result.rejected) == (7, 0), rejects
    assert _held(sqlite_store) == {
        "1": ("red", "organization"),  # a TLP 1.0 definition sent in the bundle
        "2": ("green", "organization"),  # a TLP 2.0 definition known by its name
        "3": ("red", "organization"),  # not understood: the most restrictive
        "4": ("red", "organization"),  # a definition nobody sent: not understood
        "5": ("amber+strict", "organization"),  # OpenCTI's own AMBER+STRICT
        "6": ("amber+strict", "partnership"),
        "7": ("green", "partnership"),  # never the command line's clear
    }


def test_a_pulled_report_reads_a_marking_definition_sent_on_an_earlier_page(
    sqlite_store: Store,
) -> None:
    definition = _definition(
        "55555555-5555-4555-8555-555555555555", definition_type="tlp", definition={"tlp": "red"}
    )
    report = foreign_report(
        8,
        object_marking_refs=[definition["id"]],
        **_sharing("partnership"),
    )
    with sqlite_store.begin() as conn:
        peer = "http://peer.example/taxii2/"
        import_objects(conn, [definition, LOCATION], peer=peer, default_org="PEER")
        outcome = import_objects(conn, [report], peer=peer, default_org="PEER")
    assert (outcome.new, outcome.rejected) == (1, 0)
    assert _held(sqlite_store) == {"8": ("red", "partnership")}


def test_a_stix_report_takes_its_observables_and_granular_markings(
    sqlite_store: Store, tmp_path: Path
) -> None:
    green = {"object_marking_refs": [GREEN], **_sharing("partnership")}
    objects = [
        LOCATION,
        _phone(1, object_marking_refs=[RED]),  # "an informant's number: do not share"
        _phone(2, **_sharing("organization")),
        _phone(3),
        foreign_report(11, ("phone-number--1",), **green),
        foreign_report(
            12,
            description="secret",
            granular_markings=[{"marking_ref": RED, "selectors": ["description"]}],
            **green,
        ),
        foreign_report(13, ("phone-number--2",), **green),
        # no marking of its own: the command line's, narrowed
        foreign_report(14, ("phone-number--1",)),
        foreign_report(15, ("phone-number--3",), **green),
    ]
    result, rejects = _ingest(sqlite_store, tmp_path, "items.json", _bundle(objects))
    assert (result.stored, result.rejected) == (5, 0), rejects
    assert _held(sqlite_store) == {
        "11": ("red", "partnership"),
        "12": ("red", "partnership"),
        "13": ("green", "organization"),
        "14": ("red", "partnership"),
        "15": ("green", "partnership"),
    }
    with sqlite_store.begin() as conn:  # a pull narrows the same way
        outcome = import_objects(
            conn,
            [*objects[:2], foreign_report(16, ("phone-number--1",), **green)],
            peer="http://peer.example/taxii2/",
            default_org="PEER",
        )
    assert outcome.new == 1 and _held(sqlite_store)["16"] == ("red", "partnership")


def _event(n: int, attributes: list[object], **extra: Any) -> dict[str, Any]:
    return {
        "Event": {
            "uuid": f"5e1f0000-0000-4000-8000-{n:012d}",
            "info": f"event {n}",
            "date": "2025-10-01",
            "distribution": "3",
            "Tag": [{"name": "tlp:green"}, {"name": 'bigfish:country="TH"'}],
            "Attribute": attributes,
            **extra,
        }
    }


def _attribute(value: object, **extra: Any) -> dict[str, Any]:
    return {"type": "phone-number", "category": "Person", "value": value, **extra}


def test_a_misp_event_takes_its_attributes_and_objects_markings(
    sqlite_store: Store, tmp_path: Path
) -> None:
    plain = _attribute("+66812345678")
    events = [
        _event(21, [plain, _attribute("+66899991111", distribution="0")]),
        _event(22, [plain, _attribute("+66899991112", Tag=[{"name": "tlp:red"}])]),
        _event(23, [plain, _attribute("+66899991113", distribution="5")]),  # inherits
        _event(
            24,
            [plain],
            Object=[
                {
                    "name": "phone",
                    "distribution": "0",
                    "Attribute": [_attribute("+66899991114", object_relation="phone-number")],
                }
            ],
        ),
        _event(25, [plain, _attribute("+66899991115", Tag=[{"name": "tlp:ex:chr"}])]),
        _event(26, [plain]),
    ]
    result, rejects = _ingest(sqlite_store, tmp_path, "events.json", {"response": events})
    assert (result.stored, result.rejected) == (6, 0), rejects
    assert _held(sqlite_store) == {
        "21": ("green", "organization"),  # distribution 0: your organisation only
        "22": ("red", "partnership"),
        "23": ("green", "partnership"),
        "24": ("green", "organization"),
        "25": ("red", "partnership"),  # a tlp tag bigfish does not know
        "26": ("green", "partnership"),
    }


def test_what_cannot_be_read_is_rejected_with_a_reason_never_dropped(
    sqlite_store: Store, tmp_path: Path
) -> None:
    event = _event(
        31,
        [
            _attribute("+66812345678"),
            _attribute(66812345679),
            _attribute(None),
            {"value": "+66812345670"},
            "garbage attribute",
        ],
    )
    result, rejects = _ingest(sqlite_store, tmp_path, "bad.json", event)
    assert (result.received, result.stored, result.rejected) == (5, 1, 4)
    reasons = {r["field"]: r["reason"] for r in rejects}
    assert sorted(reasons) == [
        "Attribute[1].value",
        "Attribute[2].value",
        "Attribute[3].type",
        "Attribute[4]",
    ]
    assert "not a JSON int" in reasons["Attribute[1].value"]

    amount = foreign_report(
        41,
        extensions={
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "report_id": "AMT11",
                "country": "TH",
                "loss_amount": True,
                "loss_currency": "THB",
            }
        },
    )
    objects = [
        LOCATION,
        {"type": "phone-number", "id": "phone-number--9"},  # referenced, but no value
        foreign_report(42, ("phone-number--9",)),
        amount,
    ]
    result, rejects = _ingest(sqlite_store, tmp_path, "bad-stix.json", _bundle(objects))
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    assert "phone-number--9 carries no identifier" in rejects[0]["reason"]
    assert rejects[1]["field"] == "loss_amount" and "not a JSON bool" in rejects[1]["reason"]
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(identifiers)).scalar_one() >= 1

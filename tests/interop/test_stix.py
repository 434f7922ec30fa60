"""STIX 2.1 mapping: validator-clean exports, deterministic ids, import back, markings."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import stix2
from stix2extensions.definitions.scos import BankAccount, CryptocurrencyWallet, Phonenumber
from stix2validator import ValidationOptions, validate_string

from bigfish.intake import ingest_file
from bigfish.intake.service import READERS
from bigfish.interop import export_stix, read_stix
from bigfish.interop.export import stix_objects
from bigfish.interop.markings import TLP2_IDS
from bigfish.interop.model import NetworkView
from bigfish.interop.stix import (
    BANK_EXTENSION,
    PHONE_EXTENSION,
    WALLET_EXTENSION,
    identifier_sco,
    report_stix_id,
)
from bigfish.interop.stix_import import raw_identifier
from bigfish.models import TLP, Distribution, Marking
from bigfish.organizations import get_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from tests.interop.builders import (
    FIXED,
    LOCATION,
    RING_PHONE,
    RING_WALLET,
    fixed_view,
    foreign_report,
    partnership,
)

GOLDEN = Path(__file__).with_name("golden")


def _viewer(store: Store, name: str) -> Viewer:
    from bigfish.accounts import _groups_of

    with store.connect() as conn:
        org = get_org(conn, name)
        groups = _groups_of(conn, org.id)
    return Viewer(org.id, org.name, group_ids=groups)


def _export(store: Store, viewer: Viewer) -> dict[str, Any]:
    out = io.StringIO()
    export_stix(store, viewer, out)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _report_ids(bundle: dict[str, Any]) -> set[str]:
    return {
        o["extensions"][next(k for k in o["extensions"] if "report_id" in o["extensions"][k])][
            "report_id"
        ]
        for o in bundle["objects"]
        if o["type"] == "report"
    }


def test_stix_export_passes_the_oasis_validator(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    text = json.dumps(_export(store, Viewer.node_operator()))
    results = validate_string(text, ValidationOptions(version="2.1"))
    errors = list(results.errors)
    assert results.is_valid and not errors, [str(e) for e in errors]
    parsed = stix2.parse(text, allow_custom=True)
    assert {o.type for o in parsed.objects} >= {"report", "phone-number", "bank-account"}


def test_network_export_passes_the_validator_and_parses() -> None:
    views = [fixed_view("r-1"), fixed_view("r-2")]
    network = NetworkView(
        "n1",
        (("TH-AOC", "r-1"), ("TH-AOC", "r-2")),
        (("phone", RING_PHONE), ("crypto_wallet", RING_WALLET)),
        ("TH",),
        9.5,
        8400.0,
        FIXED,
        FIXED,
    )
    objects = stix_objects(views, [network])
    text = json.dumps(
        {
            "type": "bundle",
            "id": "bundle--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            "objects": objects,
        }
    )
    results = validate_string(text, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    types = [o["type"] for o in objects]
    assert types.count("intrusion-set") == 1 and types.count("relationship") == 4


def test_stix_export_matches_the_golden_file() -> None:
    objects = stix_objects([fixed_view()])
    golden = GOLDEN / "report.stix.json"
    if os.environ.get("BIGFISH_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(objects, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert objects == json.loads(golden.read_text("utf-8"))


def test_identifier_ids_are_uuid5_of_the_canonical_form_as_stix2_computes_them() -> None:
    phone = identifier_sco("phone", RING_PHONE)
    wallet = identifier_sco("crypto_wallet", RING_WALLET)
    iban = identifier_sco("bank_account", "GB82WEST12345698765432")
    url = identifier_sco("url", "invest-gold88.com/login")
    assert phone is not None and wallet is not None and iban is not None and url is not None
    assert phone["id"] == Phonenumber(value=RING_PHONE).id
    assert wallet["id"] == CryptocurrencyWallet(value=RING_WALLET).id
    assert iban["id"] == BankAccount(iban="GB82WEST12345698765432").id
    assert url["id"] == stix2.URL(value="https://invest-gold88.com/login").id
    assert identifier_sco("phone", RING_PHONE) == phone  # the same on every call and node
    assert report_stix_id("TH-AOC", "r-1") == report_stix_id("TH-AOC", "r-1")


def test_extension_definition_ids_are_those_of_stix2extensions_2_3_5() -> None:
    assert Phonenumber.extension_definition["id"] == PHONE_EXTENSION
    assert BankAccount.extension_definition["id"] == BANK_EXTENSION
    assert CryptocurrencyWallet.extension_definition["id"] == WALLET_EXTENSION


def test_stix_export_as_b_shows_only_what_b_may_see(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    as_b = _export(store, _viewer(store, "BANK-B"))
    assert _report_ids(as_b) == {"shared-0", "shared-1"}
    assert TLP2_IDS[TLP.RED] not in json.dumps(as_b)
    as_c = _export(store, _viewer(store, "VN-POLICE"))
    assert _report_ids(as_c) == {"shared-0", "shared-1", "group-0"}


def test_stix_round_trip_keeps_identifiers_and_markings(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    bundle = _export(store, Viewer.node_operator())
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert READERS["stix"] is read_stix
    # another node takes the bundle in (on this one its ids are the authors' reports')
    other = open_store(f"sqlite:///{tmp_path / 'other-node.db'}")
    result = ingest_file(other, path, org="VN-POLICE", fmt="auto", classify=False)
    assert (result.received, result.stored, result.rejected) == (5, 5, 0)
    rows = {
        r.fields["report_id"]: r for r in read_stix(path.open("rb"), path) if hasattr(r, "fields")
    }
    assert rows["shared-0"].marking == Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    # a file has no group table: group falls back to the most restrictive distribution
    assert rows["group-0"].marking == Marking(TLP.AMBER, Distribution.ORGANIZATION)
    again = _export(other, _viewer(other, "VN-POLICE"))
    other.close()
    found = [raw_identifier(o) for o in again["objects"]]
    canon = {i.value for i in found if i is not None}
    assert {RING_PHONE, RING_WALLET, "GB82WEST12345698765432", "KASITHBK:1234567890"} <= canon


#: An OpenCTI report's id (a STIX 2.1 id: a malformed one is rejected, test_report_id_format_h180).
OPENCTI_REPORT = "report--7a0f3d2e-4b1c-4d5e-8f60-000000000007"


def test_opencti_observables_and_foreign_reports_are_imported(tmp_path: Path) -> None:
    objects = [
        {
            "type": "x-opencti-cryptocurrency-wallet",
            "id": "x-opencti-cryptocurrency-wallet--1",
            "value": RING_WALLET,
        },
        {"type": "phone-number", "id": "phone-number--2", "value": "+84912345678"},
        {
            "type": "bank-account",
            "id": "bank-account--3",
            "account_number": "1234567890",
            "bic": "KASITHBK",
        },
        {"type": "location", "id": "location--4", "country": "vn"},
        {"type": "indicator", "id": "indicator--5", "pattern": "[url:value = 'x']"},
        {"type": "url", "id": "url--6", "value": "https://lonely.example/"},
        {
            "type": "report",
            "id": OPENCTI_REPORT,
            "published": "2025-10-01T00:00:00Z",
            "name": "OpenCTI report",
            "object_refs": [
                "x-opencti-cryptocurrency-wallet--1",
                "phone-number--2",
                "bank-account--3",
                "location--4",
            ],
            "object_marking_refs": [TLP2_IDS[TLP.CLEAR]],
        },
    ]
    path = tmp_path / "opencti.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": objects}), "utf-8")
    records = list(read_stix(path.open("rb"), path))
    reasons = [getattr(r, "reason", None) for r in records]
    assert any(r and "indicator" in r for r in reasons)
    assert any(r and "not referenced" in r for r in reasons)
    [row] = [r for r in records if hasattr(r, "fields")]
    assert row.fields["country"] == "VN" and row.source_id == OPENCTI_REPORT
    assert {i.value for i in row.identifiers or []} == {
        RING_WALLET,
        "+84912345678",
        "KASITHBK:1234567890",
    }
    assert row.marking == Marking(TLP.CLEAR, Distribution.ORGANIZATION)


def test_a_bundles_rejections_name_the_object_not_a_line(store: Store, tmp_path: Path) -> None:
    """A STIX bundle is one JSON document: a rejected object is named by its position among the
    bundle's objects (and its id), which the rejects file calls `object`, not `line`."""
    objects = [
        {"type": "indicator", "id": "indicator--5", "pattern": "[url:value = 'x']"},
        {"type": "url", "id": "url--6", "value": "https://lonely.example/"},
    ]
    path = tmp_path / "partner.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": objects}), "utf-8")
    partnership(store, tmp_path)
    result = ingest_file(store, path, org="TH-AOC")
    assert (result.received, result.rejected) == (2, 2)
    rows = [json.loads(x) for x in path.with_name(path.name + ".rejects.jsonl").open()]
    assert [(r["object"], "line" in r) for r in rows] == [(1, False), (2, False)]
    assert "indicator" in rows[0]["reason"] and "url--6" in rows[1]["reason"]


def test_a_bundle_repeating_a_report_rejects_it_naming_the_first_object(
    store: Store, tmp_path: Path
) -> None:
    """A report given twice in a bundle (the same id, other content) is rejected at its
    object's position, naming the first copy's object, never a line."""
    first = foreign_report(1)
    again = foreign_report(1, name="the same report, edited")
    objects = [LOCATION, first, {"type": "indicator", "id": "indicator--5"}, again]
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": objects}), "utf-8")
    result = ingest_file(store, path, org="TH-AOC", classify=False)
    assert (result.received, result.stored, result.rejected) == (3, 1, 2)
    rows = [json.loads(x) for x in path.with_name("twice.json.rejects.jsonl").open()]
    repeated = [r for r in rows if r.get("field") == "report_id"]
    assert [(r["object"], r["reason"]) for r in repeated] == [
        (4, "duplicate report_id (first at object 2)")
    ]
    assert all("line" not in r for r in rows)

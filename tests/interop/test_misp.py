"""MISP: events in, events out, PyMISP loads every export, values survive a round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pymisp import MISPEvent

from bigfish.intake import ingest_file
from bigfish.intake.readers import Row
from bigfish.interop import export_misp, read_misp
from bigfish.interop.misp import marking_of
from bigfish.models import TLP, Distribution, Kind, Marking
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers
from tests.interop.builders import partnership

EVENT: dict[str, Any] = {
    "Event": {
        "uuid": "5f0c6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "info": "Investment scam ring",
        "date": "2025-11-02",
        "distribution": "2",
        "Tag": [{"name": "tlp:green"}, {"name": 'bigfish:country="TH"'}],
        "Attribute": [
            {"type": "phone-number", "category": "Other", "value": "+66812345678"},
            {
                "type": "btc",
                "category": "Financial fraud",
                "value": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            },
            {"type": "xmr", "category": "Financial fraud", "value": "44AFFq5kSiGBoZ"},
            {
                "type": "url",
                "category": "Network activity",
                "value": "https://invest-gold88.com/login",
            },
            {"type": "domain", "category": "Network activity", "value": "invest-gold88.com"},
            {"type": "hostname", "category": "Network activity", "value": "m.invest-gold88.com"},
            {
                "type": "email-src",
                "category": "Payload delivery",
                "value": "agent@invest-gold88.com",
            },
            {"type": "ip-dst", "category": "Network activity", "value": "192.0.2.1"},
            {"type": "iban", "category": "Financial fraud", "value": "GB82WEST12345698765432"},
            {"type": "comment", "category": "Other", "value": "seen on LINE"},
        ],
        "Object": [
            {
                "name": "bank-account",
                "meta-category": "financial",
                "Attribute": [
                    {"object_relation": "swift", "type": "bic", "value": "KASITHBK"},
                    {
                        "object_relation": "account",
                        "type": "bank-account-nr",
                        "value": "1234567890",
                    },
                ],
            },
            {
                "name": "phone",
                "meta-category": "misc",
                "Attribute": [
                    {
                        "object_relation": "phone-number",
                        "type": "phone-number",
                        "value": "+84912345678",
                    }
                ],
            },
        ],
    }
}


def _values(event: dict[str, Any]) -> set[str]:
    body = event["Event"]
    values = {a["value"] for a in body.get("Attribute", [])}
    for obj in body.get("Object", []):
        values |= {a["value"] for a in obj["Attribute"]}
    return values


def test_misp_event_is_read_with_every_attribute_type(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(EVENT), "utf-8")
    [row] = list(read_misp(path.open("rb"), path))
    assert isinstance(row, Row)
    kinds = {(i.kind, i.value) for i in row.identifiers or []}
    assert (Kind.BANK_ACCOUNT, "KASITHBK:1234567890") in kinds
    assert (Kind.PHONE, "+84912345678") in kinds and (Kind.CRYPTO_WALLET, "44AFFq5kSiGBoZ") in kinds
    assert row.fields["country"] == "TH" and row.fields["misp_comment"] == "seen on LINE"
    assert row.marking == Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    assert row.source_id == EVENT["Event"]["uuid"]


def test_misp_distribution_levels_map_to_ours() -> None:
    assert marking_of({"distribution": "0"}).distribution is Distribution.ORGANIZATION
    assert marking_of({"distribution": "3"}).distribution is Distribution.PARTNERSHIP
    named = marking_of({"distribution": "4", "SharingGroup": {"name": "MEKONG"}})
    assert named == Marking(TLP.AMBER, Distribution.GROUP, "MEKONG")
    assert marking_of({"distribution": "4"}).distribution is Distribution.ORGANIZATION
    assert marking_of({"distribution": "4", "Tag": [{"name": "tlp:red"}]}).tlp is TLP.RED


def test_misp_event_survives_import_and_export(sqlite_store: Store, tmp_path: Path) -> None:
    # SQLite only for now: intake's bulk insert cannot yet write extra attributes on PostgreSQL
    store = sqlite_store
    path = tmp_path / "event.json"
    path.write_text(json.dumps(EVENT), "utf-8")
    result = ingest_file(store, path, org="TH-AOC", fmt="misp", classify=False)
    assert (result.received, result.stored, result.rejected) == (1, 1, 0)
    out = io.StringIO()
    export_misp(store, Viewer.node_operator(), out)
    [event] = json.loads(out.getvalue())["response"]
    assert event["Event"]["uuid"] == EVENT["Event"]["uuid"]
    identifier_values = _values(EVENT) - {"seen on LINE"}
    assert identifier_values <= _values(event)
    assert {"name": "tlp:green"} in event["Event"]["Tag"] and event["Event"]["distribution"] == "2"
    loaded = MISPEvent()
    loaded.from_dict(**event)
    assert loaded.uuid == EVENT["Event"]["uuid"]


def test_pymisp_loads_every_export(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    out = io.StringIO()
    result = export_misp(store, Viewer.node_operator(), out)
    events = json.loads(out.getvalue())["response"]
    assert result.reports == 5 and len(events) == 5
    for event in events:
        loaded = MISPEvent()
        loaded.from_dict(**event)
        assert loaded.attributes or loaded.objects
        assert any(t.name.startswith("tlp:") for t in loaded.tags)


def test_wallets_go_out_as_misp_types_them_and_come_back(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Bitcoin as MISP's btc attribute; an EVM or TRON address (no MISP type) as a coin-address
    object with its symbol; each read back as the same wallet."""
    wallets = {
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa": None,
        "0xab5801a7d398351b8be11c439e05c5b3259aec9b": "ETH",
        "T9yED5xMV5ARV98BexN97aLZ1UUq7eKSxm": "TRX",
    }
    row = {
        "report_id": "w1",
        "reported_at": "2025-11-02",
        "country": "TH",
        "identifiers": [{"kind": "crypto_wallet", "value": w} for w in wallets],
    }
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps(row) + "\n", "utf-8")
    ingest_file(sqlite_store, path, org="TH-AOC", classify=False)
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    [event] = json.loads(out.getvalue())["response"]
    btc = [a["value"] for a in event["Event"]["Attribute"] if a["type"] == "btc"]
    objects = [
        {a["object_relation"]: a["value"] for a in o["Attribute"]}
        for o in event["Event"]["Object"]
        if o["name"] == "coin-address"
    ]
    coins = {o["address-crypto"]: o["symbol"] for o in objects}
    assert btc == ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"]
    assert coins == {w: s for w, s in wallets.items() if s}
    loaded = MISPEvent()
    loaded.from_dict(**json.loads(json.dumps(event)))  # pymisp takes the dict apart
    assert {o.name for o in loaded.objects} >= {"coin-address"}
    back = tmp_path / "back.json"
    back.write_text(json.dumps(event), "utf-8")
    again = open_store(f"sqlite:///{tmp_path / 'again.db'}")
    result = ingest_file(again, back, org="peer", fmt="misp", classify=False)
    assert result.stored == 1, back.with_name("back.json.rejects.jsonl").read_text()
    with again.connect() as conn:
        found = set(
            conn.execute(
                sa.select(identifiers.c.canonical).where(identifiers.c.kind == "crypto_wallet")
            ).scalars()
        )
    assert found == set(wallets)


def test_every_exported_attribute_has_a_category_misp_allows_and_real_templates(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Checked against PyMISP's own describeTypes.json and misp-objects templates."""
    import pymisp

    data = Path(pymisp.__file__).parent / "data"
    types = json.loads((data / "describeTypes.json").read_text("utf-8"))["result"]
    allowed = types["category_type_mappings"]
    templates = {
        name: json.loads((data / "misp-objects/objects" / name / "definition.json").read_text())
        for name in ("bank-account", "coin-address")
    }
    path = tmp_path / "event.json"
    event = json.loads(json.dumps(EVENT))
    event["Event"]["Attribute"].append({"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"})
    path.write_text(json.dumps(event), "utf-8")
    partnership(sqlite_store, tmp_path)
    ingest_file(sqlite_store, path, org="TH-AOC", fmt="misp", classify=False)
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    events = [e["Event"] for e in json.loads(out.getvalue())["response"]]
    attributes = [a for e in events for a in e.get("Attribute", [])]
    objects = [o for e in events for o in e.get("Object", [])]
    attributes += [a for o in objects for a in o["Attribute"]]
    assert {"iban", "bic", "bank-account-nr", "md5"} <= {a["type"] for a in attributes}
    for attribute in attributes:
        assert attribute["type"] in allowed[attribute["category"]], attribute
    financial = {
        a["category"] for a in attributes if a["type"] in ("iban", "bic", "bank-account-nr")
    }
    assert financial == {"Financial fraud"}
    for obj in objects:
        template = templates[obj["name"]]
        assert (obj["template_uuid"], obj["template_version"]) == (
            template["uuid"],
            str(template["version"]),
        )

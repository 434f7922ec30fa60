"""Review of file-level STIX and MISP import/export: what a partner's file may hold (numbers too
long to convert, fields of the wrong type, malformed tags) is refused with a reason, never a
traceback or a silent loss, and what goes out comes back whole."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.errors import InputError
from bigfish.intake import ingest_file
from bigfish.intake.readers import Row
from bigfish.interop import export_misp, export_stix, read_misp, read_stix
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.models import TLP, Distribution, Marking
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers, reports
from tests.interop.builders import LOCATION, foreign_report


def _bundle(path: Path, *objects: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--x", "objects": list(objects)}))
    return path


def _rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.with_name(path.name + ".rejects.jsonl").open()]


@pytest.mark.parametrize("reader", [read_stix, read_misp])
def test_a_number_too_long_to_convert_is_an_input_error_not_a_traceback(
    reader: Any, tmp_path: Path
) -> None:
    """Python refuses to convert an integer of over 4,300 digits (ValueError, not a
    JSONDecodeError): the reader raised it as is, and ingest ended in a traceback."""
    path = tmp_path / "big.json"
    path.write_bytes(b'{"type": "bundle", "objects": [], "Event": {"id": 1' + b"0" * 5000 + b"}}")
    with pytest.raises(InputError) as caught:
        list(reader(path.open("rb"), path))
    assert caught.value.file == str(path) and "digits" in caught.value.message


def test_a_report_field_of_the_wrong_type_rejects_the_report_naming_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A description that is a list was read as no narrative, and the report stored without
    it; a published that is a number as no date; an id that is a number was stored as "5"."""
    path = _bundle(
        tmp_path / "typed.json",
        LOCATION,
        foreign_report(1, description=["the victim's story"]),
        foreign_report(2, published=1759276800),
        foreign_report(3, id=5),
        foreign_report(4, description="kept"),
        foreign_report(5, published="2025-10-01T00:00:00"),  # no zone: read as UTC, hours off
    )
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="stix", classify=False)
    assert (result.received, result.stored, result.rejected) == (5, 1, 4)
    rows = _rejects(path)
    assert [(r["object"], r["field"]) for r in rows] == [
        (2, "description"),
        (3, "published"),
        (4, "id"),
        (6, "published"),
    ]
    assert "time zone" in rows[3]["reason"]
    assert rows[0]["report_id"] == foreign_report(1)["id"] and "list" in rows[0]["reason"]


EVERY_KIND = [
    {"kind": "phone", "value": "+66812345678", "role": "contact"},
    {"kind": "url", "value": "https://Invest-Gold88.com/login?x=1"},
    {"kind": "email", "value": "agent@invest-gold88.com"},
    {"kind": "bank_account", "value": "GB82 WEST 1234 5698 7654 32"},
    {"kind": "bank_account", "value": "KASITHBK:123-4-56789-0", "role": "payment"},
    {"kind": "bank_account", "value": "SCB:1234567890"},
    {"kind": "crypto_wallet", "value": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
    {"kind": "crypto_wallet", "value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
    {"kind": "crypto_wallet", "value": "0xab5801a7d398351b8be11c439e05c5b3259aec9b"},
    {"kind": "crypto_wallet", "value": "T9yED5xMV5ARV98BexN97aLZ1UUq7eKSxm"},
    {"kind": "handle", "value": "line:gold_mentor"},
    {"kind": "handle", "value": "telegram:gold_88"},
    {"kind": "handle", "value": "whatsapp:+66812345679"},
    {"kind": "handle", "value": "x:scammer"},
    {"kind": "domain", "value": "invest-gold88.com"},
    {"kind": "ip", "value": "192.0.2.1"},
    {"kind": "ip", "value": "2001:db8::1"},
]


def _held(store: Store) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    with store.connect() as conn:
        report = dict(conn.execute(sa.select(reports)).mappings().one())
        query = sa.select(identifiers.c.kind, identifiers.c.canonical)
        held = {(kind, canonical) for kind, canonical in conn.execute(query)}
    return report, held


@pytest.mark.parametrize("fmt", ["stix", "misp"])
@pytest.mark.parametrize(
    "marking",
    [Marking(TLP.CLEAR, Distribution.PARTNERSHIP), Marking(TLP.RED, Distribution.ORGANIZATION)],
)
def test_a_report_of_every_kind_survives_export_and_import(
    fmt: str, marking: Marking, tmp_path: Path
) -> None:
    """Every identifier kind, the narrative, the amount to the last digit, the currency, the
    time (to the microsecond, given at +07:00), scam type, channel and marking come back. MISP
    kept only the event's day: 10:04:05.123456+07:00 came back as midnight."""
    row = {
        "report_id": "all-1",
        "reported_at": "2025-11-02T10:04:05.123456+07:00",
        "country": "TH",
        "scam_type": "investment",
        "channel": "line",
        "loss_amount": "12345678901234.56789",
        "loss_currency": "THB",
        "narrative": "ผู้เสียหาย paid\nline two",
        "identifiers": EVERY_KIND,
    }
    source = open_store(f"sqlite:///{tmp_path / 'source.db'}")
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(row) + "\n", "utf-8")
    ingest_file(source, path, org="TH-AOC", marking=marking, classify=False)
    out = io.StringIO()
    (export_stix if fmt == "stix" else export_misp)(source, Viewer.node_operator(), out)
    exported = tmp_path / "out.json"
    exported.write_text(out.getvalue(), "utf-8")
    again = open_store(f"sqlite:///{tmp_path / 'again.db'}")
    result = ingest_file(again, exported, org="PEER", fmt=fmt, classify=False)
    assert (result.stored, result.rejected) == (1, 0)
    before, held_before = _held(source)
    after, held_after = _held(again)
    assert held_after == held_before and len(held_before) >= len(EVERY_KIND)
    fields = ("report_id", "reported_at", "country", "scam_type", "channel", "loss_amount")
    fields += ("loss_currency", "narrative", "tlp", "distribution")
    assert {f: after[f] for f in fields} == {f: before[f] for f in fields}
    assert before["reported_at"].microsecond == 123456


def _event(**extra: Any) -> dict[str, Any]:
    event = {
        "uuid": "5f0c6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "info": "ring",
        "date": "2025-11-02",
        "distribution": "3",
        "Tag": [{"name": "tlp:clear"}, {"name": 'bigfish:country="TH"'}],
        "Attribute": [{"type": "phone-number", "value": "+66812345678"}],
    }
    return {"Event": event | extra}


@pytest.mark.parametrize(
    "tags",
    [
        "tlp:red",  # one text, not a list of tags
        [{"name": "tlp:clear"}, {"name": 'bigfish:country="TH"'}, {"name": ["tlp:red"]}],
        [{"name": "tlp:clear"}, {"name": 'bigfish:country="TH"'}, "tlp:red"],
    ],
)
def test_misp_tags_that_cannot_be_read_are_the_most_restrictive_marking(
    tags: object, tmp_path: Path
) -> None:
    """A Tag that is not a list, or an entry that is not {"name": text}, may be the event's or
    the attribute's TLP: it was skipped, and the event read as its other tags say (TLP:CLEAR,
    or AMBER without one) and shared with the partnership."""
    on_event = _event()
    on_event["Event"]["Tag"] = tags
    on_attribute = _event()
    on_attribute["Event"]["Attribute"][0]["Tag"] = tags
    path = tmp_path / "events.json"
    path.write_text(json.dumps([on_event, on_attribute]), "utf-8")
    first, second = list(read_misp(path.open("rb"), path))
    assert isinstance(first, Row) and isinstance(second, Row)
    assert first.marking == Marking(TLP.RED, Distribution.ORGANIZATION)
    assert second.restriction == Marking(TLP.RED, Distribution.ORGANIZATION)


def test_an_object_given_twice_with_other_content_is_rejected_and_a_marking_not_understood(
    tmp_path: Path,
) -> None:
    """The last copy of an id won, silently: a marking-definition given as TLP:RED and then as
    TLP:CLEAR under the same id made the report TLP:CLEAR, and of two phone numbers under one
    observable id only the second was read, the first lost without a word."""
    definition = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--0b1e4a7c-0000-4000-8000-000000000001",
        "created": "2025-01-01T00:00:00.000Z",
        "definition_type": "tlp",
        "definition": {"tlp": "red"},
    }
    relaxed = definition | {"definition": {"tlp": "clear"}}
    phone = {"type": "phone-number", "id": "phone-number--1", "value": "+66812345678"}
    other = phone | {"value": "+66899999999"}
    path = _bundle(
        tmp_path / "twice.json",
        LOCATION,
        definition,
        phone,
        foreign_report(1, object_refs=["location--1", "phone-number--1"])
        | {"object_marking_refs": [definition["id"]]},
        relaxed,
        other,
        dict(phone),  # the same object again: read once, nothing to say
    )
    records = list(read_stix(path.open("rb"), path))
    [row] = [r for r in records if isinstance(r, Row)]
    assert row.marking == Marking(TLP.RED, Distribution.ORGANIZATION)
    assert [i.value for i in row.identifiers or []] == ["+66812345678"]
    rejected = [(r.line, r.field) for r in records if not isinstance(r, Row)]
    assert rejected == [(5, "id"), (6, "id")]


def test_a_reports_extra_fields_survive_a_stix_export_and_import(tmp_path: Path) -> None:
    """The fields a partner sent beyond bigfish's own (a CSV's extra columns, a MISP event's
    kept attributes) went into no STIX object: a STIX export, and so a sync, lost them."""
    source = open_store(f"sqlite:///{tmp_path / 'source.db'}")
    path = tmp_path / "in.csv"
    path.write_text(
        "report_id,reported_at,country,phone,victim_age,case_ref\n"
        "r-1,2025-11-02T08:00:00Z,TH,+66812345678,67,AOC/2025/118\n",
        "utf-8",
    )
    ingest_file(source, path, org="TH-AOC", classify=False)
    out = io.StringIO()
    export_stix(source, Viewer.node_operator(), out)
    exported = tmp_path / "out.json"
    exported.write_text(out.getvalue(), "utf-8")
    again = open_store(f"sqlite:///{tmp_path / 'again.db'}")
    assert ingest_file(again, exported, org="PEER", fmt="stix", classify=False).stored == 1
    before, _ = _held(source)
    after, _ = _held(again)
    # and the report object's `created` (its author's creation time), kept as stix_created
    [sent] = [o for o in json.loads(out.getvalue())["objects"] if o["type"] == "report"]
    assert after["attributes"] == {**before["attributes"], "stix_created": sent["created"]}
    assert "AOC/2025/118" in str(before["attributes"])


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"country": "VN"}, "attributes.country"),
        ({"tlp": "clear"}, "attributes.tlp"),
        ({"victim_age": 67}, "attributes.victim_age"),
        (["victim_age"], "attributes"),
    ],
)
def test_extra_fields_that_would_be_a_reports_own_are_rejected(
    attributes: object, field: str, tmp_path: Path
) -> None:
    report = foreign_report(1)
    report["extensions"] = {
        REPORT_EXTENSION: {
            "extension_type": "property-extension",
            "report_id": "r-1",
            "country": "TH",
            "attributes": attributes,
        }
    }
    path = _bundle(tmp_path / "extra.json", report)
    [record] = list(read_stix(path.open("rb"), path))
    assert not isinstance(record, Row) and record.field == field


def test_a_wallet_of_no_chain_bigfish_knows_is_not_exported_as_bitcoin(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A Monero address from a MISP xmr attribute (bigfish tells no Monero) went out as a btc
    attribute: another type, which MISP's btc check may refuse. It goes out as a coin-address
    object without a symbol, and comes back as the same wallet."""
    monero = (
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7Sq"
        "SsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
    )
    event = _event()
    event["Event"]["Attribute"] = [{"type": "xmr", "category": "Financial fraud", "value": monero}]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), "utf-8")
    ingest_file(sqlite_store, path, org="TH-AOC", fmt="misp", classify=False)
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    [exported] = json.loads(out.getvalue())["response"]
    assert [a["type"] for a in exported["Event"]["Attribute"]] == []
    [coin] = exported["Event"]["Object"]
    assert coin["name"] == "coin-address"
    assert [(a["object_relation"], a["value"]) for a in coin["Attribute"]] == [
        ("address-crypto", monero)
    ]
    back = tmp_path / "back.json"
    back.write_text(json.dumps(exported), "utf-8")
    [row] = list(read_misp(back.open("rb"), back))
    assert isinstance(row, Row)
    assert [(i.kind, i.value) for i in row.identifiers or []] == [("crypto_wallet", monero)]

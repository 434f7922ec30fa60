"""MISP: events in, events out, PyMISP loads every export, values survive a round trip."""

from __future__ import annotations

import io
import ipaddress
import json
import re
import socket
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pymisp import MISPEvent

from bigfish.intake import ingest_file, load_mapping
from bigfish.intake.readers import Row
from bigfish.interop import export_misp, read_misp
from bigfish.interop.export import network_views
from bigfish.interop.misp import marking_of, report_event
from bigfish.interop.views import iter_reports
from bigfish.linking import rebuild_networks
from bigfish.models import TLP, Distribution, Kind, Marking
from bigfish.sharing.policy import Viewer, visible_reports
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers
from bigfish.synth import generate
from tests.interop.builders import fixed_view, partnership

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


def test_one_misp_event_imported_by_two_organizations_goes_out_as_two_events(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """MISP holds one event per uuid: the first report keeps its event's uuid, the other gets
    its own, and both come back as the reports they are."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(EVENT), "utf-8")
    for org in ("TH-AOC", "VN-MPS"):
        result = ingest_file(sqlite_store, path, org=org, fmt="misp", classify=False)
        assert result.stored == 1
    out = io.StringIO()
    export_misp(sqlite_store, Viewer.node_operator(), out)
    events = json.loads(out.getvalue())["response"]
    uuids = [e["Event"]["uuid"] for e in events]
    assert len(events) == 2 and len(set(uuids)) == 2 and EVENT["Event"]["uuid"] in uuids


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


# --- MISP's own rules, ported: what MISP stores of an attribute it is sent ------------------
# MISP/MISP app/Model/Attribute.php beforeValidate() refangs a value (app/Lib/Tools/
# ComplexTypeTool.php refangValue, REFANG_REGEX_TABLE), trims it, rewrites it
# (app/Lib/Tools/AttributeValidationTool.php modifyBeforeValidation, handle4ByteUnicode,
# normalizeIp), then Attribute::$validate refuses it: stringNotEmpty,
# stringNotControlCharacters, validateAttributeValue (AttributeValidationTool::validate,
# isDomainValid), valueIsUnique, maxTextLength. Ported for the types bigfish writes.

_PHP_TRIM = " \t\n\r\0\x0b"
_REFANG = (
    (re.compile(r"^(hxxp|hxtp|htxp|meow|h\[tt\]p)", re.I), "http", {"link", "url"}),
    (
        re.compile(r"(\[\.\]|\[dot\]|\(dot\))"),
        ".",
        {"link", "url", "ip-dst", "ip-src", "domain|ip", "domain", "hostname"}
        | {"email", "email-src", "email-dst"},
    ),
    (re.compile(r"\[hxxp:\/\/\]"), "http://", {"link", "url"}),
    (re.compile(r"\[\@\]|\[at\]"), "@", {"email", "email-src", "email-dst"}),
    (re.compile(r"\[:\]"), ":", {"url", "link"}),
)


def _php_lower(value: str) -> str:  # strtolower() of PHP 8: ASCII letters only
    return value.translate({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})


def _php_upper(value: str) -> str:
    return value.translate({c: c - 32 for c in range(ord("a"), ord("z") + 1)})


def _php_is_numeric(value: str) -> bool:
    number = r"[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*"
    return re.fullmatch(number, value, re.ASCII) is not None


def _php_valid_ip(value: str) -> bool:  # filter_var(FILTER_VALIDATE_IP): no zone, no prefix
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return "%" not in value


def _misp_domain_valid(value: str) -> bool:  # isDomainValid
    return re.fullmatch(r"[A-Z0-9.\-_]+\.[A-Z0-9\-]{2,}", value, re.I) is not None


def _misp_modify(misp_type: str, value: str) -> str:  # modifyBeforeValidation
    value = "".join("?" if ord(c) > 0xFFFF else c for c in value)  # handle4ByteUnicode
    if misp_type in ("ip-src", "ip-dst") and value.find(":") > 0:  # normalizeIp (strpos)
        try:  # PHP's inet_ntop is the C library's, as Python's
            return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, value))
        except OSError:
            return value
    if misp_type in ("hostname", "email", "email-src", "email-dst"):
        return _php_lower(value)
    if misp_type == "domain":
        value = _php_lower(value).strip(".")
        if not _misp_domain_valid(value):
            try:
                return value.encode("idna").decode("ascii")  # idn_to_ascii
            except UnicodeError:
                return value
    if misp_type in ("iban", "bic"):
        return re.sub(r"[^0-9A-Z]+", "", _php_upper(value))
    if misp_type == "phone-number":
        value = "+" + value[2:] if value.startswith("00") else value
        return re.sub(r"[^\+0-9]+", "", value.replace("(0)", ""))
    return value


def _misp_valid(misp_type: str, value: str) -> bool:  # AttributeValidationTool::validate
    if misp_type in ("hostname", "domain"):
        return _misp_domain_valid(value)
    if misp_type in ("email", "email-src", "email-dst"):
        return re.fullmatch(r".[^\s]*\@.*\..*", value, re.I | re.ASCII) is not None
    if misp_type in ("ip-src", "ip-dst"):
        return "/" not in value and _php_valid_ip(value)
    if misp_type in ("iban", "bic", "btc", "xmr"):
        return re.fullmatch(r"[a-zA-Z0-9]+", value) is not None
    if misp_type in ("bank-account-nr", "phone-number"):
        return _php_is_numeric(value)
    if misp_type in ("url", "uri", "filename", "user-agent"):
        return "\n" not in value
    if misp_type in ("text", "comment", "other"):
        return True
    if misp_type == "md5":
        return re.fullmatch(r"[0-9a-f]{32}", value) is not None
    raise AssertionError(f"MISP type {misp_type!r} is not ported to this test")


def misp_stores(misp_type: str, value: str) -> str | None:
    """The value MISP stores for VALUE sent as MISP_TYPE, or None when MISP refuses it."""
    for pattern, replacement, types in _REFANG:
        if misp_type in types:
            value = pattern.sub(replacement, value)
    value = _misp_modify(misp_type, value.strip(_PHP_TRIM))
    if not value or all(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    if len(value.encode("utf-8")) > 65_535:
        return None
    return value if _misp_valid(misp_type, value) else None


def _misp_same(value: str) -> str:  # utf8mb4_unicode_ci, approximately: case and accents
    folded = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)).rstrip(" ")


def misp_refusals(event: dict[str, Any], allowed: dict[str, list[str]]) -> list[str]:
    """What MISP would refuse or change in EVENT (with ALLOWED, describeTypes' types of each
    category), one line each: empty when MISP stores every value as written."""
    body = event["Event"]
    problems = []
    info = body.get("info")
    if not isinstance(info, str) or not info.strip() or len(info.encode()) > 65_535:
        problems.append(f"info {info!r}")  # Event::$validate valueNotEmpty; a TEXT column
    tops = [(a, True) for a in body.get("Attribute", [])]
    inner = [(a, False) for o in body.get("Object", []) for a in o["Attribute"]]
    seen: set[tuple[str, str, str]] = set()
    uuids = Counter(a["uuid"] for a, _ in tops + inner)
    for attribute, top in tops + inner:
        kind, category, value = attribute["type"], attribute["category"], attribute["value"]
        stored = misp_stores(kind, value)
        if stored != value:
            problems.append(f"{kind} {value!r} is stored as {stored!r}")
        if kind not in allowed[category]:
            problems.append(f"{kind} {value!r} is not allowed in {category}")
        if top and (kind, category, _misp_same(value)) in seen:  # valueIsUnique
            problems.append(f"{kind} {value!r} in {category} is there already")
        seen.add((kind, category, _misp_same(value)))
        if uuids[attribute["uuid"]] > 1:
            problems.append(f"{kind} {value!r}: uuid {attribute['uuid']} given twice")
    return problems


#: Values MISP refuses or rewrites under the type their kind maps to, and some it keeps.
EDGE_IDENTIFIERS: list[tuple[str, str]] = [
    ("domain", "例え.jp"),  # IDN: punycode
    ("domain", "Invest-Gold88.COM"),
    ("domain", "invest-gold88[.]net"),  # defanged, refanged by MISP
    ("domain", "invest-gold88(.)org"),  # defanged as MISP does not refang: refused as a domain
    ("url", "https://例え.jp/パス?q=1"),
    ("url", "hxxps://Invest-Gold88[.]com/login/?utm_source=fb"),
    ("url", "meow.example/x"),  # MISP turns a leading 'meow' into 'http'
    ("url", "https://shop.example/a(dot)b"),  # … and '(dot)' into '.'
    ("url", "https://bit.ly/3xYz12"),
    ("url", "https://bit.ly/3XYZ12"),  # the same to MISP's collation
    ("url", "https://long.example/" + "a" * 1900),
    ("url", "https://wa.me/84972897298"),  # a phone, read back only as a link
    ("ip", "2001:DB8::1"),
    ("ip", "2001:db8:0:0:1:0:0:1"),
    ("ip", "::ffff:192.0.2.7"),
    ("ip", "192[.]0.2.8"),
    ("email", "J.Ohn+ref3@GoogleMail.com"),
    ("email", "agent[at]invest-gold88[.]com"),
    ("handle", "@Gold_Mentor_88"),
    ("handle", "https://t.me/Gold_Mentor_99"),
    ("handle", "line:สมชาย"),
    ("handle", "whatsapp:+84912345670"),
    ("crypto_wallet", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("crypto_wallet", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("crypto_wallet", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"),
    ("crypto_wallet", "btc:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("crypto_wallet", "0xAB5801A7D398351B8BE11C439E05C5B3259AEC9B"),
    ("crypto_wallet", "usdt-trc20:T9yED5xMV5ARV98BexN97aLZ1UUq7eKSxm"),
    ("crypto_wallet", "44AFFq5kSiGBoZ"),  # no chain bigfish can tell: invalid, raw only
    ("bank_account", "gb82 west 1234 5698 7654 32"),
    ("bank_account", "DE89370400440532013000"),
    ("bank_account", "KASITHBK:123-4-56789-0"),
    ("bank_account", "kbank: 12ab-34"),  # an account number with letters
    ("phone", "081-234-5678"),
    ("phone", "+66 (0) 81 234 5679"),
    ("phone", "0084 912 345 678"),
    ("phone", "๐๘๑๒๓๔๕๖๗๐"),  # Thai digits
    ("phone", "+66812345671"),
]


def _edge_reports(path: Path) -> Path:
    """Two reports holding every edge value (so they form a network) and a long narrative."""
    narrative = "โอนเงินให้มิจฉาชีพ " * 5000  # 90,000 bytes: more than one MISP value holds
    rows = [
        {
            "report_id": f"edge-{n}",
            "reported_at": "2025-11-02T08:00:00Z",
            "country": "TH",
            "scam_type": "investment",
            "narrative": narrative.strip() + f" ({n})",
            "identifiers": [{"kind": k, "value": v} for k, v in EDGE_IDENTIFIERS],
            "misp_comment": "seen on LINE; then WhatsApp",
            "misp_md5": "not a hash",
        }
        for n in (1, 2)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


def _ingest_synth(store: Store, out: Path) -> None:
    generate(out, reports=300, seed=5)
    for org in json.loads((out / "partnership.json").read_text())["organizations"]:
        for f in org["files"]:
            mapping = load_mapping(out / f["map"]) if f.get("map") else None
            ingest_file(store, out / f["path"], org=org["name"], mapping=mapping, classify=False)
    edge = ingest_file(store, _edge_reports(out / "edge.jsonl"), org="edge-org", classify=False)
    assert edge.stored == 2


def _field_values(store: Store) -> dict[str, tuple[Any, ...]]:
    with store.connect() as conn:
        views = iter_reports(conn, visible_reports(Viewer.node_operator()))
        return {
            v.report_id: (
                sorted((m.kind, m.canonical, m.raw) for m in v.mentions if m.source == "field"),
                v.narrative,
                sorted((k, t) for k, t in v.attributes if k.startswith("misp_")),
            )
            for v in views
        }


def test_misp_stores_every_exported_value_as_written_and_bigfish_reads_it_back(
    store: Store, tmp_path: Path
) -> None:
    """Every attribute of an export of `bigfish synth` data and of edge values (IDN domains,
    IPv6, defanged input, long URLs, handles, wallets of each chain, IBANs, bank accounts,
    phones, a narrative longer than one MISP value) passes MISP's own rules (ported above)
    unchanged; the events read back give every report the same identifiers, narrative and
    kept attributes."""
    import pymisp

    data = Path(pymisp.__file__).parent / "data" / "describeTypes.json"
    allowed = json.loads(data.read_text("utf-8"))["result"]["category_type_mappings"]
    _ingest_synth(store, tmp_path)
    rebuild_networks(store)
    viewer = Viewer.node_operator()
    with_networks, reports_only = io.StringIO(), io.StringIO()
    export_misp(store, viewer, with_networks, networks=network_views(store, viewer))
    export_misp(store, viewer, reports_only)
    events = [
        *json.loads(with_networks.getvalue())["response"],
        *json.loads(reports_only.getvalue())["response"],
    ]
    assert any(e["Event"]["info"].startswith("Scam network") for e in events)
    problems = [p for e in events for p in misp_refusals(e, allowed)]
    assert problems == []
    path = tmp_path / "events.json"
    path.write_text(reports_only.getvalue(), "utf-8")
    again = open_store(f"sqlite:///{tmp_path / 'again.db'}")
    result = ingest_file(again, path, org="peer", fmt="misp", classify=False)
    assert result.rejected == 0, path.with_name("events.json.rejects.jsonl").read_text()
    assert _field_values(again) == _field_values(store)


def test_an_events_info_names_scam_type_country_and_report_and_is_kept_on_import(
    tmp_path: Path,
) -> None:
    """A report's event is titled with its scam type, country and organization/report_id (not
    its narrative); a MISP event's title is kept as the report attribute `info`, with or
    without a narrative (it was dropped when the event had one)."""
    view = fixed_view()
    event = report_event(view)["Event"]
    assert event["info"] == "Investment scam reported in TH: report TH-AOC/r-1"
    assert view.narrative and view.narrative not in event["info"]
    titled = json.loads(json.dumps(EVENT))
    titled["Event"]["Attribute"].append(
        {"type": "text", "comment": "narrative", "value": "They called me twice."}
    )
    path = tmp_path / "event.json"
    path.write_text(json.dumps(titled), "utf-8")
    [row] = list(read_misp(path.open("rb"), path))
    assert isinstance(row, Row)
    assert row.fields["info"] == "Investment scam ring"
    assert row.fields["narrative"] == "They called me twice."


def _event(n: int, **body: Any) -> dict[str, Any]:
    return {
        "Event": {
            "uuid": f"5f0c6f3e-1c2d-4e5f-8a9b-{n:012d}",
            "info": f"event {n}",
            "date": "2025-11-02",
            "Tag": [{"name": 'bigfish:country="TH"'}],
            **body,
        }
    }


def test_a_partners_malformed_events_are_read_attribute_by_attribute(tmp_path: Path) -> None:
    """Whatever a partner sends, every attribute is kept or rejected with its event and place,
    and one bad attribute costs only itself (a long value rejected the whole event; a relation
    that was a list raised TypeError; values joined with ';' came apart on export)."""
    long_comments = [{"type": "comment", "value": f"{n};" + "c" * 3000} for n in range(5)]
    events = [
        _event(1, Object=[{"name": "x", "Attribute": [{"object_relation": ["a"], "value": "v"}]}]),
        _event(2, Object=[{"name": "bank-account", "Attribute": [], "Object": [EVENT]}]),
        _event(3, Tag=[{"name": 'bigfish:country="TH"'}, {"name": 'bigfish:tlp="clear"'}]),
        _event(4, Attribute=[{"type": "phone-number", "value": "1" * 3000}, *long_comments]),
        _event(
            5,
            Object=[
                {
                    "name": "bank-account",
                    "Attribute": [
                        {"object_relation": "swift", "type": "bic", "value": {"x": 1}},
                        {"object_relation": "account", "type": "bank-account-nr", "value": "1"},
                    ],
                }
            ],
        ),
        {
            "Event": {
                "id": {"x": 1},
                "date": "2025-11-02",
                "Tag": [{"name": 'bigfish:country="TH"'}],
            }
        },
        _event(7, Attribute=[{"type": "text", "comment": "narrative 2/2", "value": "end"}]),
    ]
    events[0]["Event"]["Object"][0]["Attribute"][0]["type"] = "text"
    path = tmp_path / "partner.json"
    path.write_text(json.dumps({"response": events}), "utf-8")
    records = list(read_misp(path.open("rb"), path))
    rejected = [(r.line, r.field) for r in records if not isinstance(r, Row)]
    assert rejected == [
        (2, "Object[0].Object"),
        (3, "Tag[1]"),
        (4, "Attribute[0].value"),
        (5, "Object[0].Attribute[0].value"),
        (7, "narrative"),
    ]
    rows = {r.line: r for r in records if isinstance(r, Row)}
    assert rows[1].fields["misp_text"] == "v"
    assert "tlp" not in rows[3].fields
    kept = [
        rows[4].fields[k] for k in ("misp_comment", *(f"misp_comment.{n}" for n in range(2, 6)))
    ]
    assert kept == [c["value"] for c in long_comments]
    assert [i.value for i in rows[5].identifiers or []] == ["1"]  # not "{'x': 1}:1"
    assert rows[6].fields["report_id"] == ""  # refused later: report_id is required
    assert rows[7].fields["narrative"] == "end"


def test_a_misp_file_repeating_an_event_names_the_first_by_its_event_position(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two events with one uuid are one report sent twice: the second is rejected naming the
    first as an event, as every other reject of a MISP file does (it said "line")."""
    path = tmp_path / "events.json"
    twice = [_event(7, Attribute=[{"type": "phone-number", "value": "+66812345678"}])] * 2
    path.write_text(json.dumps({"response": twice}), "utf-8")
    result = ingest_file(sqlite_store, path, org="TH-AOC", fmt="misp", classify=False)
    assert (result.stored, result.rejected) == (1, 1)
    [reject] = [
        json.loads(line)
        for line in path.with_name(path.name + ".rejects.jsonl").read_text().splitlines()
    ]
    assert reject["event"] == 2 and reject["reason"] == "duplicate report_id (first at event 1)"

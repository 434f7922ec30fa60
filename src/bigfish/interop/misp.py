"""bigfish ↔ MISP event JSON: attributes and objects to identifiers, tags to markings, and back.

Distribution levels (MISP → bigfish): 0 your organisation → organization; 1 this community,
2 connected communities, 3 all communities → partnership; 4 sharing group → group (unknown or
unnamed → organization, the most restrictive); 5 inherit → the event's. bigfish → MISP:
organization 0, group 4 with the group's name, partnership 2. TLP travels as `tlp:*` tags.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.identifiers import normalize
from bigfish.intake.readers import Record, Row, Unreadable
from bigfish.interop.markings import BIGFISH_NAMESPACE
from bigfish.interop.model import NetworkView, ReportView
from bigfish.models import TLP, Distribution, Kind, Marking, RawIdentifier

ATTRIBUTE_KINDS: dict[str, Kind] = {
    "phone-number": Kind.PHONE,
    "iban": Kind.BANK_ACCOUNT,
    "bank-account-nr": Kind.BANK_ACCOUNT,
    "btc": Kind.CRYPTO_WALLET,
    "xmr": Kind.CRYPTO_WALLET,
    "url": Kind.URL,
    "domain": Kind.DOMAIN,
    "hostname": Kind.DOMAIN,
    "email-src": Kind.EMAIL,
    "email": Kind.EMAIL,
    "ip-dst": Kind.IP,
}
_EXPORT_TYPE: dict[str, str] = {
    Kind.PHONE: "phone-number",
    Kind.URL: "url",
    Kind.DOMAIN: "domain",
    Kind.EMAIL: "email",
    Kind.IP: "ip-dst",
    Kind.HANDLE: "text",
}
_CATEGORY = {"phone-number": "Other", "text": "Other", "btc": "Financial fraud"}
_TAG_PREFIX = "bigfish:"
_TO_MISP = {Distribution.ORGANIZATION: "0", Distribution.GROUP: "4", Distribution.PARTNERSHIP: "2"}


def _category(misp_type: str) -> str:
    return _CATEGORY.get(misp_type, "Network activity")


def _tag_names(container: Mapping[str, Any]) -> list[str]:
    tags = container.get("Tag")
    if not isinstance(tags, list):
        return []
    return [t["name"] for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)]


def _tlp(names: list[str]) -> TLP | None:
    order = list(TLP)
    found = []
    for name in names:
        value = name.lower().removeprefix("tlp:").strip('"')
        value = "clear" if value == "white" else value
        if name.lower().startswith("tlp:") and value in {t.value for t in TLP}:
            found.append(TLP(value))
    return max(found, key=order.index) if found else None


def marking_of(event: Mapping[str, Any]) -> Marking:
    """The marking of MISP EVENT from its tlp tag and distribution level."""
    tlp = _tlp(_tag_names(event)) or TLP.AMBER
    level = str(event.get("distribution", "0"))
    if level in ("1", "2", "3"):
        return Marking(tlp, Distribution.PARTNERSHIP)
    if level == "4":
        group = event.get("SharingGroup")
        name = group.get("name") if isinstance(group, dict) else None
        if isinstance(name, str) and name.strip():
            return Marking(tlp, Distribution.GROUP, name.strip())
    return Marking(tlp, Distribution.ORGANIZATION)


def _identifiers(event: Mapping[str, Any], extra: dict[str, list[str]]) -> list[RawIdentifier]:
    found: list[RawIdentifier] = []
    attributes = [a for a in event.get("Attribute") or [] if isinstance(a, dict)]
    for obj in event.get("Object") or []:
        if not isinstance(obj, dict):
            continue
        inner = [a for a in obj.get("Attribute") or [] if isinstance(a, dict)]
        by_relation = {a.get("object_relation"): a.get("value") for a in inner}
        bic, account = (
            by_relation.get("swift") or by_relation.get("bic"),
            by_relation.get("account"),
        )
        if obj.get("name") == "coin-address":  # a generic address is text; the symbol is no id
            crypto = by_relation.get("address-crypto")
            if isinstance(crypto, str) and crypto.strip():
                found.append(RawIdentifier(Kind.CRYPTO_WALLET, crypto))
            inner = [
                a for a in inner if a.get("object_relation") not in ("address-crypto", "symbol")
            ]
        if obj.get("name") == "bank-account" and not by_relation.get("iban") and bic and account:
            found.append(RawIdentifier(Kind.BANK_ACCOUNT, f"{bic}:{account}"))
            inner = [
                a for a in inner if a.get("object_relation") not in ("swift", "bic", "account")
            ]
        attributes.extend(inner)
    for attribute in attributes:
        misp_type, value = attribute.get("type"), attribute.get("value")
        if not isinstance(misp_type, str) or not isinstance(value, str) or not value.strip():
            continue
        kind = ATTRIBUTE_KINDS.get(misp_type)
        if kind is not None:
            found.append(RawIdentifier(kind, value))
            if misp_type == "hostname":  # normalized to its domain; the host is kept too
                extra.setdefault("misp_hostname", []).append(value)
        elif misp_type == "text" and attribute.get("comment") == "narrative":
            extra.setdefault("narrative", []).append(value)
        elif misp_type == "text" and attribute.get("comment") == "handle":
            found.append(RawIdentifier(Kind.HANDLE, value))
        else:  # kept as a report attribute: nothing silently lost
            extra.setdefault(f"misp_{misp_type}", []).append(value)
    return found


def event_row(line: int, wrapper: object) -> Record:
    """One MISP event (with or without its {"Event": …} wrapper) as an intake row."""
    event = wrapper.get("Event", wrapper) if isinstance(wrapper, dict) else None
    if not isinstance(event, dict):
        return Unreadable(line, "a MISP event must be a JSON object")
    uid = event.get("uuid") if isinstance(event.get("uuid"), str) else None
    fields: dict[str, str] = {"report_id": uid or str(event.get("id", ""))}
    if isinstance(event.get("date"), str):
        fields["reported_at"] = event["date"]
    for name in _tag_names(event):
        key, _, value = name.removeprefix(_TAG_PREFIX).partition("=")
        if name.startswith(_TAG_PREFIX) and value:
            fields[key.replace("-", "_")] = value.strip('"')
    extra: dict[str, list[str]] = {}
    identifiers = _identifiers(event, extra)
    for key, values in extra.items():
        fields[key] = "\n".join(values) if key == "narrative" else ";".join(values)
    if "narrative" not in fields and isinstance(event.get("info"), str):
        fields["info"] = event["info"]
    marking = marking_of(event)
    if marking.distribution is Distribution.GROUP:  # resolved by sync, not by a file
        marking = Marking(marking.tlp, Distribution.ORGANIZATION)
    return Row(line, fields, identifiers, marking, uid)


def read_misp(raw: IO[bytes], path: Path) -> Iterator[Record]:
    """Records of a MISP event file: one event, a list of events, or {"response": [...]}."""
    try:
        data = json.loads(raw.read().decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"not MISP event JSON ({exc})", file=str(path)) from None
    events = data.get("response", [data]) if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise InputError("expected a MISP event or a list of events", file=str(path))
    for number, event in enumerate(events, start=1):
        yield event_row(number, event)


def _attribute(misp_type: str, value: str, seed: str, comment: str | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "uuid": str(uuid.uuid5(BIGFISH_NAMESPACE, f"misp-attribute:{seed}|{misp_type}|{value}")),
        "type": misp_type,
        "category": _category(misp_type),
        "value": value,
        "to_ids": False,
    }
    if comment:
        attribute["comment"] = comment
    return attribute


def _bank_object(canonical: str, seed: str) -> dict[str, Any]:
    bank, sep, account = canonical.partition(":")
    inner = (
        [
            _attribute("bic", bank, seed) | {"object_relation": "swift"},
            _attribute("bank-account-nr", account, seed) | {"object_relation": "account"},
        ]
        if sep
        else [_attribute("iban", canonical, seed) | {"object_relation": "iban"}]
    )
    return _financial_object(
        "bank-account", ("9a48e3f1-0e2b-4a2c-a6c1-6e1b6f5a1c8e", "1"), canonical, seed, inner
    )


def _financial_object(
    name: str, template: tuple[str, str], value: str, seed: str, inner: list[dict[str, Any]]
) -> dict[str, Any]:
    """A MISP object of the financial meta-category, its uuid derived from SEED and VALUE."""
    return {
        "name": name,
        "meta-category": "financial",
        "uuid": str(uuid.uuid5(BIGFISH_NAMESPACE, f"misp-object:{seed}|{value}")),
        "template_uuid": template[0],
        "template_version": template[1],
        "Attribute": inner,
    }


#: MISP's symbol of each chain bigfish tells apart but MISP has no attribute type for.
_COIN_SYMBOLS = {"evm": "ETH", "tron": "TRX"}


def _coin_object(address: str, symbol: str, seed: str) -> dict[str, Any]:
    """MISP's coin-address object for an address that is not Bitcoin's or Monero's."""
    inner = [
        _attribute("text", address, seed) | {"object_relation": "address-crypto"},
        _attribute("text", symbol, seed) | {"object_relation": "symbol"},
    ]
    template = ("d0e6997e-78da-4815-a6a1-cfc1c1cb8a46", "7")
    return _financial_object("coin-address", template, address, seed, inner)


def _content(values: list[tuple[str, str]], seed: str) -> dict[str, list[dict[str, Any]]]:
    attributes: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for kind, value in values:
        if kind == Kind.BANK_ACCOUNT:
            objects.append(_bank_object(value, seed))
        elif kind == Kind.CRYPTO_WALLET:
            symbol = _COIN_SYMBOLS.get(normalize(Kind.CRYPTO_WALLET, value).chain or "")
            if symbol is None:  # a Bitcoin address: MISP's own attribute type
                attributes.append(_attribute("btc", value, seed))
            else:
                objects.append(_coin_object(value, symbol, seed))
        else:
            comment = "handle" if kind == Kind.HANDLE else None
            attributes.append(_attribute(_EXPORT_TYPE.get(kind, "text"), value, seed, comment))
    return {"Attribute": attributes, "Object": objects}


def _event(
    uid: str, info: str, date: str, marking: Marking, tags: list[str], body: dict[str, Any]
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "uuid": uid,
        "info": info,
        "date": date,
        "threat_level_id": "2",
        "analysis": "2",
        "published": False,
        "distribution": _TO_MISP[marking.distribution],
        "Tag": [{"name": f"tlp:{marking.tlp.value}"}] + [{"name": t} for t in tags],
        **body,
    }
    if marking.distribution is Distribution.GROUP and marking.group:
        event["SharingGroup"] = {"name": marking.group}
    return {"Event": event}


def report_event(view: ReportView) -> dict[str, Any]:
    """One report as a MISP event; the values are as the partner wrote them."""
    try:
        uid = str(uuid.UUID(view.source_id or ""))
    except ValueError:
        uid = str(uuid.uuid5(BIGFISH_NAMESPACE, f"report:{view.org}/{view.report_id}"))
    values = [(m.kind, m.raw) for m in view.mentions if m.source == "field"]
    body = _content(values, uid)
    if view.narrative:
        body["Attribute"].append(_attribute("text", view.narrative, uid, "narrative"))
    for key, text in view.attributes:
        if key.startswith("misp_"):
            misp_type = key.removeprefix("misp_")
            body["Attribute"].extend(_attribute(misp_type, v, uid) for v in text.split(";") if v)
    tags = [f'{_TAG_PREFIX}country="{view.country}"', f'{_TAG_PREFIX}report-id="{view.report_id}"']
    tags += [f'{_TAG_PREFIX}{k}="{v}"' for k, v in _optional_tags(view).items()]
    info = f"Scam report {view.org}/{view.report_id}"
    return _event(uid, info, view.reported_at.date().isoformat(), view.marking, tags, body)


def _optional_tags(view: ReportView) -> dict[str, str]:
    values = {
        "scam-type": view.scam_type,
        "channel": view.channel,
        "loss-amount": view.loss_amount,
        "loss-currency": view.loss_currency,
    }
    return {k: v for k, v in values.items() if v}


def network_event(network: NetworkView, members: list[ReportView]) -> dict[str, Any]:
    """A network as one MISP event: its identifiers as attributes and objects, TLP as tags."""
    from bigfish.interop.stix import least_shared

    uid = str(uuid.uuid5(BIGFISH_NAMESPACE, f"network:{network.id}"))
    values = sorted({(m.kind, m.canonical) for v in members for m in v.mentions if m.valid})
    countries = sorted({v.country for v in members})
    tags = [f'{_TAG_PREFIX}network="{network.id}"'] + [
        f'{_TAG_PREFIX}country="{c}"' for c in countries
    ]
    info = f"Scam network {network.id}: {len(members)} reports in {', '.join(countries)}"
    first = min(v.reported_at for v in members).date().isoformat()
    marking = least_shared(v.marking for v in members)
    return _event(uid, info, first, marking, tags, _content(values, uid))

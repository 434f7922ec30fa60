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
from bigfish.interop.markings import BIGFISH_NAMESPACE, NOT_UNDERSTOOD
from bigfish.interop.misp_types import DEFAULT_CATEGORIES
from bigfish.interop.model import NetworkView, ReportView
from bigfish.interop.stix import timestamp
from bigfish.models import TLP, Distribution, Kind, Marking, RawIdentifier, narrowest

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
_TAG_PREFIX = "bigfish:"
_TO_MISP = {Distribution.ORGANIZATION: "0", Distribution.GROUP: "4", Distribution.PARTNERSHIP: "2"}
_LEVELS = {
    "1": Distribution.PARTNERSHIP,
    "2": Distribution.PARTNERSHIP,
    "3": Distribution.PARTNERSHIP,
}
_INHERIT = "5"


def _category(misp_type: str) -> str:
    """MISP's default category of MISP_TYPE (describeTypes `sane_defaults`), which MISP accepts."""
    return DEFAULT_CATEGORIES.get(misp_type, "Other")


def _tag_names(container: Mapping[str, Any]) -> list[str]:
    tags = container.get("Tag")
    if not isinstance(tags, list):
        return []
    return [t["name"] for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)]


def _tags_unreadable(container: Mapping[str, Any]) -> bool:
    """Whether CONTAINER's tags cannot all be read (not a list, an entry without a text name):
    one of them may be its marking, so the marking is not understood."""
    tags = container.get("Tag")
    if tags is None:
        return False
    if not isinstance(tags, list):
        return True
    return not all(isinstance(t, dict) and isinstance(t.get("name"), str) for t in tags)


def _tlp(names: list[str]) -> TLP | None:
    """The most restrictive TLP of tags NAMES; a `tlp:` tag bigfish does not know (`tlp:ex:chr`,
    a typo) is read as TLP:RED, never as no marking."""
    order = list(TLP)
    found = []
    for name in names:
        if not name.lower().startswith("tlp:"):
            continue
        value = name.lower().removeprefix("tlp:").strip('"')
        value = "clear" if value == "white" else value
        found.append(TLP(value) if value in {t.value for t in TLP} else TLP.RED)
    return max(found, key=order.index) if found else None


def _distribution(container: Mapping[str, Any], default: str) -> Marking:
    """The audience of a MISP event, object or attribute (TLP left at the default AMBER)."""
    level = str(container.get("distribution", default))
    if level in _LEVELS:
        return Marking(distribution=_LEVELS[level])
    if level == "4":
        group = container.get("SharingGroup")
        name = group.get("name") if isinstance(group, dict) else None
        if isinstance(name, str) and name.strip():
            return Marking(distribution=Distribution.GROUP, group=name.strip())
    return Marking(distribution=Distribution.ORGANIZATION)  # 0, an unknown level, no group name


def marking_of(event: Mapping[str, Any]) -> Marking:
    """The marking of MISP EVENT from its tlp tag and distribution level; tags that cannot be
    read make it the most restrictive (docs/interop.md, "Markings on import")."""
    if _tags_unreadable(event):
        return NOT_UNDERSTOOD
    audience = _distribution(event, "0")
    tlp = _tlp(_tag_names(event)) or TLP.AMBER
    return Marking(tlp, audience.distribution, audience.group)


def item_marking(item: Mapping[str, Any]) -> Marking | None:
    """The marking a MISP object or attribute adds to its event's (its own distribution, unless
    5 "inherit", and its tlp tags), or None when it adds none; the most restrictive when its
    tags cannot be read."""
    if _tags_unreadable(item):
        return NOT_UNDERSTOOD
    level = item.get("distribution")
    tlp = _tlp(_tag_names(item))
    inherits = level is None or str(level) == _INHERIT
    if inherits and tlp is None:
        return None
    audience = (
        Marking(distribution=Distribution.PARTNERSHIP) if inherits else _distribution(item, "0")
    )
    return Marking(tlp or TLP.CLEAR, audience.distribution, audience.group)


class _Items:
    """What a MISP event's attributes and objects hold: identifiers, kept values, the markings of
    the items, and the items that cannot be read (each with where and why)."""

    def __init__(self) -> None:
        self.identifiers: list[RawIdentifier] = []
        self.extra: dict[str, list[str]] = {}
        self.markings: list[Marking] = []
        self.problems: list[tuple[str, str]] = []  # (field, reason)


def _object_attributes(
    obj: Mapping[str, Any], where: str, items: _Items
) -> list[tuple[str, Mapping[str, Any]]]:
    """The attributes of MISP object OBJ that are not read as one of its identifiers."""
    raw = obj.get("Attribute") or []
    if not isinstance(raw, list):
        items.problems.append((f"{where}.Attribute", "must be a list of attributes"))
        return []
    inner: list[tuple[str, Mapping[str, Any]]] = []
    for j, attribute in enumerate(raw):
        if isinstance(attribute, dict):
            inner.append((f"{where}.Attribute[{j}]", attribute))
        else:
            items.problems.append((f"{where}.Attribute[{j}]", "not a MISP attribute object"))
    by_relation = {a.get("object_relation"): a.get("value") for _, a in inner}
    bic, account = by_relation.get("swift") or by_relation.get("bic"), by_relation.get("account")
    taken: tuple[str, ...] = ()
    if obj.get("name") == "coin-address":  # a generic address is text; the symbol is no id
        crypto = by_relation.get("address-crypto")
        if isinstance(crypto, str) and crypto.strip():
            items.identifiers.append(RawIdentifier(Kind.CRYPTO_WALLET, crypto))
        taken = ("address-crypto", "symbol")
    if obj.get("name") == "bank-account" and not by_relation.get("iban") and bic and account:
        items.identifiers.append(RawIdentifier(Kind.BANK_ACCOUNT, f"{bic}:{account}"))
        taken = ("swift", "bic", "account")
    for _, attribute in inner:  # the attributes read together still carry their markings
        marking = item_marking(attribute)
        if marking is not None and attribute.get("object_relation") in taken:
            items.markings.append(marking)
    return [(w, a) for w, a in inner if a.get("object_relation") not in taken]


def _read_items(event: Mapping[str, Any]) -> _Items:
    items = _Items()
    attributes: list[tuple[str, Mapping[str, Any]]] = []
    for name in ("Attribute", "Object"):
        if not isinstance(event.get(name) or [], list):
            items.problems.append((name, f"must be a list of {name.lower()}s"))
    for i, attribute in enumerate(_list(event.get("Attribute"))):
        if isinstance(attribute, dict):
            attributes.append((f"Attribute[{i}]", attribute))
        else:
            items.problems.append((f"Attribute[{i}]", "not a MISP attribute object"))
    for i, obj in enumerate(_list(event.get("Object"))):
        if not isinstance(obj, dict):
            items.problems.append((f"Object[{i}]", "not a MISP object"))
            continue
        marking = item_marking(obj)
        if marking is not None:
            items.markings.append(marking)
        attributes.extend(_object_attributes(obj, f"Object[{i}]", items))
    for where, attribute in attributes:
        _read_attribute(where, attribute, items)
    return items


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _read_attribute(where: str, attribute: Mapping[str, Any], items: _Items) -> None:
    misp_type, value = attribute.get("type"), attribute.get("value")
    if not isinstance(misp_type, str) or not misp_type.strip():
        items.problems.append((f"{where}.type", "an attribute needs a type"))
        return
    if not isinstance(value, str) or not value.strip():
        shown = "missing" if value is None else f"a JSON {type(value).__name__}"
        items.problems.append((f"{where}.value", f"must be non-empty text, not {shown}"))
        return
    marking = item_marking(attribute)
    if marking is not None:
        items.markings.append(marking)
    kind = ATTRIBUTE_KINDS.get(misp_type)
    if kind is not None:
        items.identifiers.append(RawIdentifier(kind, value))
        if misp_type == "hostname":  # normalized to its domain; the host is kept too
            items.extra.setdefault("misp_hostname", []).append(value)
    elif misp_type == "text" and attribute.get("comment") == "narrative":
        items.extra.setdefault("narrative", []).append(value)
    elif misp_type == "text" and attribute.get("comment") == "handle":
        items.identifiers.append(RawIdentifier(Kind.HANDLE, value))
    else:  # kept as a report attribute: nothing silently lost
        items.extra.setdefault(f"misp_{misp_type}", []).append(value)


def event_records(line: int, wrapper: object) -> list[Record]:
    """One MISP event (with or without its {"Event": …} wrapper) as an intake row, preceded by
    an Unreadable for each of its attributes or objects that cannot be read. The row's marking
    is narrowed to its items' (an attribute with distribution 0 or a tlp:red tag makes the
    report organization-only or TLP:RED; docs/interop.md)."""
    event = wrapper.get("Event", wrapper) if isinstance(wrapper, dict) else None
    if not isinstance(event, dict):
        return [Unreadable(line, "a MISP event must be a JSON object")]
    uid = event.get("uuid") if isinstance(event.get("uuid"), str) else None
    fields: dict[str, str] = {"report_id": uid or str(event.get("id", ""))}
    if isinstance(event.get("date"), str):
        fields["reported_at"] = event["date"]
    for name in _tag_names(event):
        key, _, value = name.removeprefix(_TAG_PREFIX).partition("=")
        if name.startswith(_TAG_PREFIX) and value:
            fields[key.replace("-", "_")] = value.strip('"')
    items = _read_items(event)
    for key, values in items.extra.items():
        fields[key] = "\n".join(values) if key == "narrative" else ";".join(values)
    if "narrative" not in fields and isinstance(event.get("info"), str):
        fields["info"] = event["info"]
    restriction = narrowest(*items.markings) if items.markings else None
    problems: list[Record] = [
        Unreadable(line, f"{where}: {reason} (left out of the event)", uid, where)
        for where, reason in items.problems
    ]
    marking = _file(marking_of(event))
    return [*problems, Row(line, fields, items.identifiers, marking, uid, _file(restriction))]


def _file(marking: Marking | None) -> Marking | None:
    """A file has no group table: a group distribution is read as `organization`."""
    if marking is not None and marking.distribution is Distribution.GROUP:
        return Marking(marking.tlp, Distribution.ORGANIZATION)
    return marking


def read_misp(raw: IO[bytes], path: Path) -> Iterator[Record]:
    """Records of a MISP event file: one event, a list of events, or {"response": [...]}."""
    try:
        data = json.loads(raw.read().decode("utf-8-sig"), parse_float=Decimal)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, a number of 5,000 digits
        raise InputError(f"not MISP event JSON ({exc})", file=str(path)) from None
    events = data.get("response", [data]) if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise InputError("expected a MISP event or a list of events", file=str(path))
    for number, event in enumerate(events, start=1):
        yield from event_records(number, event)


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
        "bank-account", ("b4712203-95a8-4883-80e9-b566f5df11c9", "3"), canonical, seed, inner
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


def _coin_object(address: str, symbol: str | None, seed: str) -> dict[str, Any]:
    """MISP's coin-address object for an address that is not Bitcoin's."""
    inner = [_attribute("text", address, seed) | {"object_relation": "address-crypto"}]
    if symbol is not None:
        inner.append(_attribute("text", symbol, seed) | {"object_relation": "symbol"})
    template = ("d0e6997e-78da-4815-a6a1-cfc1c1cb8a46", "7")
    return _financial_object("coin-address", template, address, seed, inner)


def _content(values: list[tuple[str, str]], seed: str) -> dict[str, list[dict[str, Any]]]:
    attributes: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for kind, value in values:
        if kind == Kind.BANK_ACCOUNT:
            objects.append(_bank_object(value, seed))
        elif kind == Kind.CRYPTO_WALLET:
            chain = normalize(Kind.CRYPTO_WALLET, value).chain
            if chain == "bitcoin":  # MISP's own attribute type
                attributes.append(_attribute("btc", value, seed))
            else:  # no symbol for an address of a chain bigfish cannot tell (Monero's, say)
                objects.append(_coin_object(value, _COIN_SYMBOLS.get(chain or ""), seed))
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
    # An event's date is a day: the time of the report, in UTC, travels as a tag read back first.
    tags.append(f'{_TAG_PREFIX}reported-at="{timestamp(view.reported_at)}"')
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

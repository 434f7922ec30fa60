"""bigfish → MISP event JSON: reports and networks as events, identifiers as attributes and
objects, markings as tags and distribution levels; reading events is `misp_import`'s (its names
are re-exported here).

Distribution levels (bigfish → MISP): organization 0, group 4 with the group's name,
partnership 2. TLP travels as `tlp:*` tags.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from bigfish.identifiers import normalize
from bigfish.interop.markings import BIGFISH_NAMESPACE
from bigfish.interop.misp_blocks import BLOCKS, add_blocks
from bigfish.interop.misp_import import (
    ATTRIBUTE_KINDS,
    INFO,
    KEPT_ATTRIBUTE,
    KEPT_ITEM,
    SEEN_FIELDS,
    TAG_PREFIX,
    event_records,
    is_marking_or_field_tag,
    item_marking,
    marking_of,
    read_misp,
)
from bigfish.interop.misp_types import EventBody, kept_as_written, misp_attribute, narrative_parts
from bigfish.interop.model import MentionView, NetworkView, ReportView
from bigfish.interop.stix import timestamp
from bigfish.models import Distribution, Kind, Marking

__all__ = [
    "ATTRIBUTE_KINDS",
    "event_records",
    "item_marking",
    "marking_of",
    "network_event",
    "read_misp",
    "report_event",
    "report_info",
]

_EXPORT_TYPE: dict[str, str] = {
    Kind.PHONE: "phone-number",
    Kind.URL: "url",
    Kind.DOMAIN: "domain",
    Kind.EMAIL: "email",
    Kind.IP: "ip-dst",
    Kind.HANDLE: "text",
}
_TO_MISP = {Distribution.ORGANIZATION: "0", Distribution.GROUP: "4", Distribution.PARTNERSHIP: "2"}


def _add_bank_account(body: EventBody, value: str) -> None:
    """A bank account as MISP's bank-account object (template version 3), or as text when MISP
    would not keep its parts (an account number with letters, an IBAN with spaces)."""
    bank, sep, account = value.partition(":")
    parts = [("bic", bank, "swift"), ("bank-account-nr", account, "account")]
    parts = parts if sep else [("iban", value, "iban")]
    if not all(kept_as_written(t, v) for t, v, _ in parts):
        body.add("text", value, Kind.BANK_ACCOUNT)
        return
    seed = f"{body.seed}|{value}"  # one bank's code in two objects: two attributes
    inner = [misp_attribute(t, v, seed) | {"object_relation": r} for t, v, r in parts]
    template = ("b4712203-95a8-4883-80e9-b566f5df11c9", "3")
    body.add_object(_financial_object("bank-account", template, value, body.seed, inner))


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


def _add_wallet(body: EventBody, address: str) -> None:
    """Bitcoin as MISP's btc attribute; an address of another chain as MISP's coin-address
    object, with its symbol when bigfish can tell the chain (not Monero's, say)."""
    chain = normalize(Kind.CRYPTO_WALLET, address).chain
    if chain == "bitcoin" or not kept_as_written("text", address):
        body.add("btc" if chain == "bitcoin" else "text", address, Kind.CRYPTO_WALLET)
        return
    seed = f"{body.seed}|{address}"  # one symbol in two objects: two attributes
    inner = [misp_attribute("text", address, seed) | {"object_relation": "address-crypto"}]
    symbol = _COIN_SYMBOLS.get(chain or "")
    if symbol is not None:
        inner.append(misp_attribute("text", symbol, seed) | {"object_relation": "symbol"})
    template = ("d0e6997e-78da-4815-a6a1-cfc1c1cb8a46", "7")
    body.add_object(_financial_object("coin-address", template, address, body.seed, inner))


def _add_identifiers(body: EventBody, values: list[tuple[str, str]]) -> None:
    for kind, value in values:
        if kind == Kind.BANK_ACCOUNT:
            _add_bank_account(body, value)
        elif kind == Kind.CRYPTO_WALLET:
            _add_wallet(body, value)
        else:
            body.add(_EXPORT_TYPE.get(kind, "text"), value, kind)


def _add_narrative(body: EventBody, narrative: str) -> None:
    parts = narrative_parts(narrative)
    for n, part in enumerate(parts, start=1):
        body.add("text", part, "narrative" if len(parts) == 1 else f"narrative {n}/{len(parts)}")


def _event(
    uid: str, info: str, date: str, marking: Marking, tags: list[str], body: EventBody
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
        **body.content(),
    }
    if marking.distribution is Distribution.GROUP and marking.group:
        event["SharingGroup"] = {"name": marking.group}
    return {"Event": event}


def _scam(scam_type: str | None) -> str:
    return f"{scam_type.replace('_', ' ').capitalize()} scam" if scam_type else "Scam"


def report_info(view: ReportView) -> str:
    """A report's event title: its scam type, country and organization/report_id (never its
    narrative; at most some 400 characters, far below the 65,535 bytes of MISP's `info`)."""
    return f"{_scam(view.scam_type)} reported in {view.country}: report {view.org}/{view.report_id}"


def _sent_kind(mention: MentionView, country: str) -> str:
    """The kind a field MENTION goes out as: its own, or `url` for a link the partner gave as
    a URL that is a phone or a handle (`https://wa.me/NUMBER`), which only a URL reads back."""
    if mention.valid and "/" in mention.raw and mention.kind in (Kind.PHONE, Kind.HANDLE):
        again = normalize(mention.kind, mention.raw, country)
        if again.canonical != mention.canonical:
            return Kind.URL
    return mention.kind


def report_event(view: ReportView, taken: set[str] | None = None) -> dict[str, Any]:
    """One report as a MISP event; the values are as the partner wrote them. The event keeps the
    uuid of the MISP event the report came from unless it is in TAKEN (one event imported by two
    organizations is two reports; MISP holds one event per uuid): then, as a report of bigfish's
    own, a uuid of its organization and id. The uuid used is added to TAKEN."""
    uid = str(uuid.uuid5(BIGFISH_NAMESPACE, f"report:{view.org}/{view.report_id}"))
    try:
        source = str(uuid.UUID(view.source_id or ""))
    except ValueError:
        source = None
    if source is not None and (taken is None or source not in taken):
        uid = source
    if taken is not None:
        taken.add(uid)
    body = EventBody(uid)
    fields = [(_sent_kind(m, view.country), m.raw) for m in view.mentions if m.source == "field"]
    _add_identifiers(body, fields)
    if view.narrative:
        _add_narrative(body, view.narrative)
    tags = [f'{TAG_PREFIX}country="{view.country}"', f'{TAG_PREFIX}report-id="{view.report_id}"']
    blocks: list[tuple[str, str]] = []  # event reports, sightings, galaxy clusters
    for key, text in view.attributes:
        kept = KEPT_ATTRIBUTE.fullmatch(key)
        if kept is not None and key.split(".")[0] in BLOCKS:
            blocks.append((key, text))  # placed once every attribute is there
        elif kept is not None and kept.group(1) == "tag" and not is_marking_or_field_tag(text):
            tags.append(text)  # an event's other tag (a galaxy, a taxonomy), kept on import
        elif kept is not None and key.split(".")[0] == KEPT_ITEM and _said_again(body, text):
            continue  # what was said of an attribute or object, on it again
        elif kept is not None:  # a MISP event's other attribute, kept whole
            body.add(kept.group(1), text, key)
        elif key != INFO:  # one MISP has no type for (a CSV's column): read back by its name
            body.add("text", text, f"attribute:{key}")
    # An event's date is a day: the time of the report, in UTC, travels as a tag read back first.
    tags.append(f'{TAG_PREFIX}reported-at="{timestamp(view.reported_at)}"')
    tags += [f'{TAG_PREFIX}{k}="{v}"' for k, v in _optional_tags(view).items()]
    date = view.reported_at.date().isoformat()
    # The event's title: the one the report came with (a MISP event's `info`, kept on import as
    # the attribute `info`, or a partner's `info` column), else one made of the report.
    title = next((text for key, text in view.attributes if key == INFO), None)
    event = _event(uid, title or report_info(view), date, view.marking, tags, body)
    for key, text in add_blocks(event["Event"], blocks, uid):
        body.add("text", text, key)  # into the event's attributes: read back as it was
    return event


def _said_again(body: EventBody, text: str) -> bool:
    """Put what a partner said of one attribute or object (TEXT, a `misp_item` entry: its tags,
    comment, first_seen and last_seen) on the attribute of BODY holding its value, or on the
    object of its name holding one of its values; False when no such attribute or object can
    take it whole (the entry then goes as a text attribute, read back as it)."""
    try:
        entry = json.loads(text)
    except ValueError:
        return False
    if not isinstance(entry, dict):
        return False
    said = {k: entry[k] for k in ("tags", "comment", *SEEN_FIELDS) if k in entry}
    tags = said.pop("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return False
    if not all(isinstance(v, str) for v in said.values()):
        return False
    tags = [t for t in tags if not t.lower().startswith("tlp:")]  # never a marking
    if isinstance(entry.get("value"), str):
        inner = [a for o in body.objects for a in o["Attribute"]]
        targets = [a for a in [*body.attributes, *inner] if a["value"] == entry["value"]]
    elif isinstance(entry.get("object"), str) and isinstance(entry.get("values"), list):
        values = set(v for v in entry["values"] if isinstance(v, str))
        targets = [
            o
            for o in body.objects
            if o["name"] == entry["object"] and values & {a["value"] for a in o["Attribute"]}
        ]
    else:
        return False
    target = next((t for t in targets if not (said.keys() & t.keys())), None)
    if target is None:  # nothing holds it, or its comment carries bigfish's meaning
        return False
    target.update(said)
    names = [t["name"] for t in target.get("Tag", [])]
    target["Tag"] = [*target.get("Tag", []), *({"name": t} for t in tags if t not in names)]
    return True


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
    tags = [f'{TAG_PREFIX}network="{network.id}"'] + [
        f'{TAG_PREFIX}country="{c}"' for c in countries
    ]
    scams = sorted({_scam(v.scam_type).lower() for v in members if v.scam_type})
    info = f"Scam network {network.id}: {len(members)} reports in {', '.join(countries)}"
    info += f" ({', '.join(scams)})" if scams else ""
    first = min(v.reported_at for v in members).date().isoformat()
    marking = least_shared(v.marking for v in members)
    body = EventBody(uid)
    _add_identifiers(body, values)
    return _event(uid, info, first, marking, tags, body)

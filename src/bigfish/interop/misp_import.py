"""MISP event JSON → bigfish: attributes and objects to identifiers, tags to markings.

Distribution levels (MISP → bigfish): 0 your organisation → organization; 1 this community,
2 connected communities, 3 all communities → partnership; 4 sharing group → group (unknown or
unnamed → organization, the most restrictive); 5 inherit → the event's. TLP travels as `tlp:*`
tags. `bigfish.interop.misp` writes events this module reads back (`TAG_PREFIX`,
`KEPT_ATTRIBUTE`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.readers import Record, Row, Unreadable
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    MARKING_FIELDS,
    MAX_ATTRIBUTE,
    MAX_VALUE,
    STANDARD_FIELDS,
)
from bigfish.interop.markings import NOT_UNDERSTOOD
from bigfish.interop.misp_blocks import DELETED, read_blocks
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
_KINDS = frozenset(k.value for k in Kind)
#: The comment of a narrative's text attribute: `narrative`, or `narrative 2/3` for the second
#: of three parts of one longer than MISP keeps in one value.
_NARRATIVE = re.compile(r"narrative(?: ([1-9][0-9]{0,5})/([1-9][0-9]{0,5}))?")
#: A report attribute keeping a MISP attribute of TYPE: `misp_TYPE`, `misp_TYPE.2`, …
KEPT_ATTRIBUTE = re.compile(r"misp_(.+?)(?:\.[0-9]+)?")
#: The comment of a text attribute carrying a report attribute NAME that MISP has no type for
#: (a CSV's other column): `attribute:NAME`.
REPORT_ATTRIBUTE = re.compile(r"attribute:(.+)", re.DOTALL)
#: The report attribute keeping a MISP event's title (`info`): an export titles its events itself.
INFO = "info"
#: Names such an attribute may not have: the report's own fields and markings, and the title.
_RESERVED = frozenset({*STANDARD_FIELDS, *IDENTIFIER_COLUMNS, *MARKING_FIELDS, INFO})
#: The prefix of the tags that carry report fields: `bigfish:country="TH"`.
TAG_PREFIX = "bigfish:"
_LEVELS = {
    "1": Distribution.PARTNERSHIP,
    "2": Distribution.PARTNERSHIP,
    "3": Distribution.PARTNERSHIP,
}
_INHERIT = "5"


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


#: The report attribute keeping what a partner said of one attribute or object beyond its
#: value (`misp_item`, `misp_item.2`, …): JSON naming where it was (`Attribute[3]`,
#: `Object[1]`), its type and value (an object's name and values) and its own tags (not
#: `tlp:*`, read as the marking), comment, first_seen and last_seen.
KEPT_ITEM = "misp_item"
_SHOWN = 1_000  # characters of a value an entry repeats to say which attribute it was on
SEEN_FIELDS = ("first_seen", "last_seen")


def _said_of(item: Mapping[str, Any], comment: object) -> dict[str, Any]:
    """What ITEM's partner said of it that no report field holds: its tags but `tlp:*` (the
    marking), COMMENT (its comment unless bigfish read it) and when it was first and last seen."""
    said: dict[str, Any] = {}
    tags = [n for n in _tag_names(item) if not n.lower().startswith("tlp:")]
    if tags:
        said["tags"] = tags
    if isinstance(comment, str) and comment.strip():
        said["comment"] = comment
    for name in SEEN_FIELDS:
        value = item.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            said[name] = str(value)
    return said


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[:_SHOWN] + "…"


def kept_item(entry: Mapping[str, Any]) -> str:
    """ENTRY (what was said of an attribute or object) as the text of a `misp_item` attribute."""
    return json.dumps(entry, ensure_ascii=False, sort_keys=True)


def _keep(where: str, entry: Mapping[str, Any], items: _Items) -> None:
    """Keep ENTRY, said of the item at WHERE, or reject it with the reason when it is longer
    than a report attribute may be (the item's value is read all the same)."""
    text = kept_item(entry)
    if len(text) > MAX_ATTRIBUTE:
        reason = f"its tags, comment and times take over {MAX_ATTRIBUTE:,} characters"
        items.problems.append((where, reason))
    else:
        items.extra.setdefault(KEPT_ITEM, []).append(text)


def _keep_attribute_context(where: str, attribute: Mapping[str, Any], items: _Items) -> None:
    misp_type, value = attribute.get("type"), attribute.get("value")
    comment = attribute.get("comment")
    if misp_type == "text" and isinstance(comment, str) and _read_comment(comment):
        comment = None  # read by bigfish: the kind, the narrative or a kept type it names
    said = _said_of(attribute, comment)
    if not said:
        return
    entry: dict[str, Any] = {"on": where, "type": misp_type, "value": _shown(str(value))}
    _keep(where, entry | said, items)


def _keep_object_context(where: str, obj: Mapping[str, Any], items: _Items) -> None:
    said = _said_of(obj, obj.get("comment"))
    if not said:
        return
    values = [
        _shown(a["value"])
        for a in _list(obj.get("Attribute"))
        if isinstance(a, dict) and isinstance(a.get("value"), str)
    ]
    entry = {"on": where, "object": str(obj.get("name") or ""), "values": values[:20]}
    _keep(where, entry | said, items)


def _read_comment(comment: str) -> bool:
    """Whether a text attribute's COMMENT is read by bigfish (a kind, a narrative, a kept type)."""
    return (
        comment in _KINDS
        or _NARRATIVE.fullmatch(comment) is not None
        or KEPT_ATTRIBUTE.fullmatch(comment) is not None
        or REPORT_ATTRIBUTE.fullmatch(comment) is not None
    )


class _Items:
    """What a MISP event's attributes and objects hold: identifiers, kept values, narrative
    parts, the markings of the items, and the items that cannot be read (each with where and
    why)."""

    def __init__(self) -> None:
        self.identifiers: list[RawIdentifier] = []
        self.extra: dict[str, list[str]] = {}
        self.narratives: list[str] = []
        self.parts: dict[int, dict[int, str]] = {}  # parts of a long narrative: of, number
        self.markings: list[Marking] = []
        self.problems: list[tuple[str, str]] = []  # (field, reason)


def _relations(inner: list[tuple[str, Mapping[str, Any]]]) -> dict[str, tuple[str, str]]:
    """The first text value of each relation among an object's attributes, with its place."""
    found: dict[str, tuple[str, str]] = {}
    for where, attribute in inner:
        relation, value = attribute.get("object_relation"), attribute.get("value")
        if isinstance(relation, str) and isinstance(value, str) and value.strip():
            found.setdefault(relation, (where, value))
    return found


def _object_attributes(
    obj: Mapping[str, Any], where: str, items: _Items
) -> list[tuple[str, Mapping[str, Any]]]:
    """The attributes of MISP object OBJ that are not read as one of its identifiers."""
    raw = obj.get("Attribute") or []
    if not isinstance(raw, list):
        items.problems.append((f"{where}.Attribute", "must be a list of attributes"))
        return []
    if "Object" in obj:  # not MISP's: its attributes would be lost unread
        items.problems.append((f"{where}.Object", "an object inside an object is not read"))
    inner: list[tuple[str, Mapping[str, Any]]] = []
    for j, attribute in enumerate(raw):
        if isinstance(attribute, dict):
            inner.append((f"{where}.Attribute[{j}]", attribute))
        else:
            items.problems.append((f"{where}.Attribute[{j}]", "not a MISP attribute object"))
    relations = _relations(inner)
    used: tuple[str, ...] = ()
    if obj.get("name") == "coin-address" and "address-crypto" in relations:
        # a generic address is text; the symbol is no identifier
        address = relations["address-crypto"][1]
        items.identifiers.append(RawIdentifier(Kind.CRYPTO_WALLET, address))
        used = ("address-crypto", "symbol")
    bic = "swift" if "swift" in relations else "bic"
    if obj.get("name") == "bank-account" and "iban" not in relations:
        if bic in relations and "account" in relations:
            account = f"{relations[bic][1]}:{relations['account'][1]}"
            items.identifiers.append(RawIdentifier(Kind.BANK_ACCOUNT, account))
            used = (bic, "account")
    read = {relations[r][0] for r in used if r in relations}
    for w, attribute in inner:  # the attributes read together still carry their markings
        marking = item_marking(attribute) if w in read else None
        if marking is not None:
            items.markings.append(marking)
        if w in read:  # and what was said of them
            _keep_attribute_context(w, attribute, items)
    return [(w, a) for w, a in inner if w not in read]


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
        if _deleted(obj):
            items.problems.append((f"Object[{i}]", _DELETED))
            continue
        _keep_object_context(f"Object[{i}]", obj, items)
        attributes.extend(_object_attributes(obj, f"Object[{i}]", items))
    for where, attribute in attributes:
        _read_attribute(where, attribute, items)
    return items


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _deleted(item: Mapping[str, Any]) -> bool:
    """Whether MISP marks ITEM deleted (soft-deleted: an export with deleted items holds it)."""
    return item.get("deleted") in (True, 1, "1", "true")


_DELETED = DELETED


def _read_attribute(where: str, attribute: Mapping[str, Any], items: _Items) -> None:
    if _deleted(attribute):  # a withdrawn value would link reports it no longer speaks for
        marking = item_marking(attribute)  # narrows all the same: never wider for a deletion
        if marking is not None:
            items.markings.append(marking)
        items.problems.append((where, _DELETED))
        return
    misp_type, value = attribute.get("type"), attribute.get("value")
    if not isinstance(misp_type, str) or not misp_type.strip():
        items.problems.append((f"{where}.type", "an attribute needs a type"))
        return
    if not isinstance(value, str) or not value.strip():
        shown = "missing" if value is None else f"a JSON {type(value).__name__}"
        items.problems.append((f"{where}.value", f"must be non-empty text, not {shown}"))
        return
    for nested in ("Attribute", "Object"):
        if nested in attribute:  # not MISP's: what it holds would be lost unread
            items.problems.append((f"{where}.{nested}", "an attribute holds no attributes"))
    comment = attribute.get("comment") if misp_type == "text" else None
    kind = ATTRIBUTE_KINDS.get(misp_type) or (
        Kind(comment) if isinstance(comment, str) and comment in _KINDS else None
    )
    narrative = _NARRATIVE.fullmatch(comment) if isinstance(comment, str) else None
    longest = MAX_VALUE if kind is not None else MAX_ATTRIBUTE
    if len(value) > longest and narrative is None:
        items.problems.append((f"{where}.value", f"longer than {longest:,} characters"))
        return
    marking = item_marking(attribute)
    if marking is not None:
        items.markings.append(marking)
    _keep_attribute_context(where, attribute, items)
    if kind is not None:
        items.identifiers.append(RawIdentifier(kind, value))
        if misp_type == "hostname":  # normalized to its domain; the host is kept too
            items.extra.setdefault("misp_hostname", []).append(value)
    elif narrative is not None and narrative.group(1) is None:
        items.narratives.append(value)
    elif narrative is not None:
        part, of = int(narrative.group(1)), int(narrative.group(2))
        items.parts.setdefault(of, {})[part] = value
    elif isinstance(comment, str) and (named := REPORT_ATTRIBUTE.fullmatch(comment)):
        name = named.group(1)
        if name in _RESERVED or not name.strip():
            items.problems.append(
                (f"{where}.comment", f"{name!r} is not a name an attribute may have")
            )
        else:
            items.extra.setdefault(name, []).append(value)
    elif isinstance(comment, str) and KEPT_ATTRIBUTE.fullmatch(comment):
        items.extra.setdefault(comment, []).append(value)  # sent as text: MISP refused its type
    else:  # kept as a report attribute: nothing silently lost
        items.extra.setdefault(f"misp_{misp_type}", []).append(value)


def _narrative(items: _Items) -> tuple[str | None, list[tuple[str, str]]]:
    """The narrative of ITEMS (its narratives, then each long one's parts joined), and a
    problem for each part missing."""
    texts = list(items.narratives)
    problems = []
    for of, parts in sorted(items.parts.items()):
        # the first number not given: looks at the parts given, never at every number up to
        # OF (a claim of 999,999 parts per attribute held the parser for hours)
        first = next(n for n in range(1, len(parts) + 2) if n not in parts)
        if first <= of:
            problems.append(("narrative", f"part {first} of {of} of the narrative is missing"))
        texts.append("".join(text for _, text in sorted(parts.items())))
    return ("\n".join(texts) if texts else None), problems


def _report_id(event: Mapping[str, Any]) -> str:
    """The event's uuid, else its id (text or a number), else nothing."""
    for name in ("uuid", "id"):
        value = event.get(name)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return ""


#: The report attribute keeping an event's other tags (`misp_tag`, `misp_tag.2`, …).
KEPT_TAG = "misp_tag"


def is_marking_or_field_tag(name: str) -> bool:
    """Whether tag NAME is read as the marking (`tlp:*`) or a report field (`bigfish:*`)."""
    return name.lower().startswith("tlp:") or name.startswith(TAG_PREFIX)


def _tag_fields(event: Mapping[str, Any], problems: list[tuple[str, str]]) -> dict[str, str]:
    """The report fields the event's `bigfish:NAME="value"` tags give; a tag naming a marking
    field is a problem (the marking comes from tlp tags and the distribution)."""
    fields: dict[str, str] = {}
    for i, tag in enumerate(_list(event.get("Tag"))):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not name.startswith(TAG_PREFIX):
            continue
        key, _, value = name.removeprefix(TAG_PREFIX).partition("=")
        key = key.replace("-", "_")
        if key in MARKING_FIELDS:
            problems.append((f"Tag[{i}]", f"{key} is read from tlp tags and the distribution"))
        elif value:
            # The export writes `NAME="value"` unescaped: one pair of quotes comes off, so a
            # value that starts or ends with `"` itself (a report id `r"`) comes back whole.
            quoted = len(value) >= 2 and value[0] == value[-1] == '"'
            fields[key] = value[1:-1] if quoted else value
    return fields


#: Why a bigfish network event (`bigfish.interop.misp.network_event`) is not read as a report.
_NETWORK_EVENT = (
    "a bigfish network event stands for the reports of a network, not for one report; ingest"
    " the reports' own events (bigfish export misp --out FILE --sent-by ORG on their node)"
)


def _network_tag(event: Mapping[str, Any]) -> str | None:
    """Where EVENT's `bigfish:network="ID"` tag is (`Tag[0]`), the mark of a bigfish network
    event, or None."""
    for i, tag in enumerate(_list(event.get("Tag"))):
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name.startswith(f"{TAG_PREFIX}network="):
            return f"Tag[{i}]"
    return None


def event_records(line: int, wrapper: object) -> list[Record]:
    """One MISP event (with or without its {"Event": …} wrapper) as an intake row, preceded by
    an Unreadable for each of its attributes, objects or tags that cannot be read. The row's
    marking is narrowed to its items' (an attribute with distribution 0 or a tlp:red tag makes
    the report organization-only or TLP:RED; docs/interop.md)."""
    event = wrapper.get("Event", wrapper) if isinstance(wrapper, dict) else None
    if not isinstance(event, dict):
        return [Unreadable(line, "a MISP event must be a JSON object")]
    uid = event.get("uuid") if isinstance(event.get("uuid"), str) else None
    network = _network_tag(event)
    if network is not None:
        return [Unreadable(line, _NETWORK_EVENT, uid, network)]
    fields: dict[str, str] = {"report_id": _report_id(event)}
    if isinstance(event.get("date"), str):
        fields["reported_at"] = event["date"]
    items = _read_items(event)
    blocks = read_blocks(event, item_marking, _deleted)  # reports, sightings, galaxies
    items.problems.extend(blocks.problems)
    items.markings.extend(blocks.markings)
    for key, texts in blocks.kept.items():
        items.extra.setdefault(key, []).extend(texts)
    fields.update(_tag_fields(event, items.problems))
    others = [n for n in _tag_names(event) if not is_marking_or_field_tag(n)]
    if others:  # a galaxy, a taxonomy: what the partner said of the event, kept
        items.extra.setdefault(KEPT_TAG, []).extend(others)
    for key, values in items.extra.items():
        fields[key] = values[0]  # each value whole: a value may hold any character
        fields.update({f"{key}.{n}": v for n, v in enumerate(values[1:], start=2)})
    narrative, missing = _narrative(items)
    items.problems.extend(missing)
    if narrative is not None:
        fields["narrative"] = narrative
    info = event.get("info")
    if isinstance(info, str) and info.strip():  # the event's title: no report field holds it
        if len(info) > MAX_ATTRIBUTE:
            items.problems.append((INFO, f"longer than {MAX_ATTRIBUTE:,} characters"))
        else:
            fields[INFO] = info
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

"""STIX 2.1 → bigfish: observables to raw identifiers, reports to intake rows.

Accepts bigfish's own objects (with the bigfish-report extension), the `stix2extensions`
phone-number, bank-account and cryptocurrency-wallet SCOs, OpenCTI's own forms of them, and the
core url, domain-name, email-addr, user-account, ipv4-addr and ipv6-addr. Every object that is
neither a report nor something a report uses becomes an `Unreadable` with a reason: nothing is
dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bigfish.errors import InputError
from bigfish.intake.readers import Record, Row, Unreadable
from bigfish.intake.records import (
    IDENTIFIER_COLUMNS,
    MARKING_FIELDS,
    STANDARD_FIELDS,
    escape_nul,
    nul_path,
    parse_role,
)
from bigfish.interop.markings import REPORT_EXTENSION, item_marking, marking_from_object
from bigfish.interop.stix import CREATED_ATTRIBUTE
from bigfish.models import Distribution, Kind, Marking, RawIdentifier, narrowest

#: Objects a report uses, or that bigfish recomputes (networks): read, never rejected.
SUPPORTING = frozenset(
    {
        "identity",
        "marking-definition",
        "extension-definition",
        "location",
        "relationship",
        "intrusion-set",
        "campaign",
        "grouping",
    }
)
_VALUE_KINDS: dict[str, Kind] = {
    "phone-number": Kind.PHONE,
    "x-opencti-phone-number": Kind.PHONE,
    "cryptocurrency-wallet": Kind.CRYPTO_WALLET,
    "x-opencti-cryptocurrency-wallet": Kind.CRYPTO_WALLET,
    "url": Kind.URL,
    "domain-name": Kind.DOMAIN,
    "hostname": Kind.DOMAIN,
    "x-opencti-hostname": Kind.DOMAIN,
    "email-addr": Kind.EMAIL,
    "ipv4-addr": Kind.IP,
    "ipv6-addr": Kind.IP,
}
OBSERVABLE_TYPES = frozenset(
    {*_VALUE_KINDS, "bank-account", "x-opencti-bank-account", "user-account"}
)


def _text(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _given_text(obj: Mapping[str, Any], name: str) -> str | None:
    """Property NAME of OBJ as text, None when absent; any other JSON value (a list, a number)
    is an error naming it, never a property read as absent."""
    if obj.get(name) is not None and not isinstance(obj[name], str):
        raise InputError(f"must be text, not a JSON {type(obj[name]).__name__}", field=name)
    return _text(obj, name)


def raw_identifier(obj: Mapping[str, Any]) -> RawIdentifier | None:
    """The identifier an observable carries, or None when it carries none bigfish knows."""
    stix_type = obj.get("type")
    if not isinstance(stix_type, str):
        return None
    kind = _VALUE_KINDS.get(stix_type)
    if kind is not None:
        value = _text(obj, "value")
        return RawIdentifier(kind, value) if value else None
    if stix_type in ("bank-account", "x-opencti-bank-account"):
        iban = _text(obj, "iban")
        if iban:
            return RawIdentifier(Kind.BANK_ACCOUNT, iban)
        account = _text(obj, "account_number")
        bank = _text(obj, "bic")
        if account and bank and ":" not in account:
            return RawIdentifier(Kind.BANK_ACCOUNT, f"{bank}:{account}")
        return RawIdentifier(Kind.BANK_ACCOUNT, account) if account else None
    if stix_type == "user-account":
        login = _text(obj, "account_login") or _text(obj, "user_id")
        platform = _text(obj, "account_type")
        if login and platform:
            return RawIdentifier(Kind.HANDLE, f"{platform}:{login}")
    return None


def _ext_identifiers(items: object) -> list[RawIdentifier]:
    if not isinstance(items, list):
        raise InputError("identifiers must be a list", field="identifiers")
    result = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("kind") not in {k.value for k in Kind}:
            raise InputError("an identifier needs a known kind", field=f"identifiers[{i}]")
        value = item.get("value")
        if not isinstance(value, str) or not value.strip():
            raise InputError("value must be non-empty text", field=f"identifiers[{i}].value")
        result.append(RawIdentifier(Kind(item["kind"]), value, parse_role(item.get("role"))))
    return result


def _ext_attributes(items: object) -> dict[str, str]:
    """The extra fields of a bigfish report (`attributes`: name to text); a name that is a
    report's own field, or a value that is not text, is an error naming it."""
    if not isinstance(items, dict):
        raise InputError("attributes must be an object of texts", field="attributes")
    reserved = {*STANDARD_FIELDS, *IDENTIFIER_COLUMNS, *MARKING_FIELDS}
    for name, value in items.items():
        if name in reserved or not name.strip():
            raise InputError("not a name an extra field may have", field=f"attributes.{name}")
        if not isinstance(value, str):
            shown = type(value).__name__
            raise InputError(f"must be text, not a JSON {shown}", field=f"attributes.{name}")
    return dict(items)


def _scalar(name: str, value: object) -> str | None:
    """Extension field NAME as text: text or a number; anything else (true, a list) is an
    error naming the field, never dropped."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InputError(f"must be text or a number, not a JSON {type(value).__name__}", field=name)
    return repr(value) if isinstance(value, float) else str(value)


#: The end of a timestamp that says its time zone (STIX writes Z; an offset is read as such).
_ZONED = re.compile(r"(?:[Zz]|[+-]\d\d:?\d\d)$")

#: A report's STIX 2.1 identifier (section 2.9): `report--` and an RFC 4122 UUID, as the OASIS
#: schema (common/identifier.json) writes it.
_REPORT_ID = re.compile(
    r"report--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)


def check_report_id(obj: Mapping[str, Any]) -> None:
    """InputError naming `id` unless report OBJ's id is a STIX 2.1 identifier: a report goes
    out again under the id it came with (exports, TAXII), and one malformed id would make
    every later bundle of the node invalid STIX, refused whole by strict readers."""
    ident = obj.get("id")
    if not isinstance(ident, str) or _REPORT_ID.fullmatch(ident) is None:
        shown = ident[:80] if isinstance(ident, str) else ident
        raise InputError(f"not a STIX 2.1 report id (report--UUID): {shown!r}", field="id")


def _timestamp(obj: Mapping[str, Any], name: str) -> str | None:
    """Property NAME of OBJ, a STIX timestamp that says its time zone, as sent; None when
    absent; anything else is an error naming it (never a guess, never dropped)."""
    text = _given_text(obj, name)
    if text is None:
        return None
    if not _ZONED.search(text):  # STIX times are UTC with Z: never a guess
        raise InputError(f"not a STIX timestamp with a time zone (Z): {text[:40]!r}", field=name)
    try:
        datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", text))
    except ValueError:
        raise InputError(f"not a STIX timestamp: {text[:40]!r}", field=name) from None
    return text


def report_fields(
    obj: Mapping[str, Any], lookup: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, str], list[RawIdentifier]]:
    """The intake fields and identifiers of STIX report OBJ; LOOKUP resolves its object_refs.
    Its `created` (its author's creation time) is kept as the report attribute
    `stix_created` (`bigfish.interop.stix.CREATED_ATTRIBUTE`), which goes out again as it."""
    fields, found = _report_fields(obj, lookup)
    created = _timestamp(obj, "created")
    if created is not None:
        fields[CREATED_ATTRIBUTE] = created
    return fields, found


def _report_fields(
    obj: Mapping[str, Any], lookup: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, str], list[RawIdentifier]]:
    extensions = obj.get("extensions")
    ext = extensions.get(REPORT_EXTENSION) if isinstance(extensions, dict) else None
    fields: dict[str, str] = {}
    if not isinstance(obj.get("id"), str):
        raise InputError("a report needs a text id", field="id")
    published = _given_text(obj, "published")
    if published:
        if not _ZONED.search(published.strip()):  # STIX times are UTC with Z: never a guess
            raise InputError(
                f"not a STIX timestamp with a time zone (Z): {published[:40]!r}", field="published"
            )
        fields["reported_at"] = published
    description = _given_text(obj, "description")
    if description:
        fields["narrative"] = description
    refs = obj.get("object_refs")
    refs = refs if isinstance(refs, list) else []
    if isinstance(ext, dict):
        for name in (
            "report_id",
            "country",
            "scam_type",
            "channel",
            "loss_amount",
            "loss_currency",
        ):
            value = _scalar(name, ext.get(name))
            if value is not None:
                fields[name] = value
        fields.update(_ext_attributes(ext.get("attributes", {})))
        return fields, _ext_identifiers(ext.get("identifiers", []))
    fields["report_id"] = str(obj.get("id", ""))
    found: list[RawIdentifier] = []
    for ref in refs:
        target = lookup.get(ref) if isinstance(ref, str) else None
        if target is None:
            continue
        if target.get("type") == "location":
            country = _text(target, "country")
            if country and len(country) == 2:
                fields.setdefault("country", country.upper())
            continue
        ident = raw_identifier(target)
        if ident is not None:
            found.append(ident)
    return fields, found


def item_markings(obj: Mapping[str, Any], lookup: Mapping[str, Mapping[str, Any]]) -> list[Marking]:
    """The markings of the objects report OBJ takes fields or identifiers from (LOOKUP resolves
    its object_refs and marking definitions): the report is narrowed to them. A bigfish report
    takes its identifiers from its own extension, so the observables it refers to (which bigfish
    marks with the most restrictive marking of every report holding them) are no items of it."""
    extensions = obj.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get(REPORT_EXTENSION), dict):
        return []
    refs = obj.get("object_refs")
    found = []
    for ref in refs if isinstance(refs, list) else []:
        target = lookup.get(ref) if isinstance(ref, str) else None
        if target is None or target.get("type") not in OBSERVABLE_TYPES | {"location"}:
            continue
        marking = item_marking(target, lookup)
        if marking is not None:
            found.append(marking)
    return found


def file_marking(marking: Marking | None) -> Marking | None:
    """A file carries no group table: a group distribution falls back to `organization` (the most
    restrictive); sync resolves groups against the node's own."""
    if marking is not None and marking.distribution is Distribution.GROUP:
        return Marking(marking.tlp, Distribution.ORGANIZATION)
    return marking


def first_copies(objects: Sequence[Any]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The first object of each id among OBJECTS, and the ids given again with other content."""
    first: dict[str, dict[str, Any]] = {}
    conflicting: set[str] = set()
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            if first.setdefault(obj["id"], obj) != obj:
                conflicting.add(obj["id"])
    return first, conflicting


def _repeated(record: Record, first: dict[str, int], ids: dict[str, tuple[str, int]]) -> Record:
    """RECORD, or an Unreadable when it repeats the report_id of an earlier report of the
    bundle (FIRST: the object number of each report_id's first report), naming that object as
    the bundle's other rejects do (the store's check would say `line`), or when an earlier
    report of another report_id came under its STIX id (IDS: the report_id and object number
    of each id's first report; a STIX id is one report's)."""
    if not isinstance(record, Row):
        return record
    report_id = record.fields.get("report_id", "").strip()
    if record.source_id is not None:
        held, at = ids.setdefault(record.source_id, (report_id, record.line))
        if held != report_id:
            reason = f"{record.source_id} was given before for report_id {held} (object {at})"
            return Unreadable(record.line, reason, report_id or None, "id")
    if report_id in first:
        reason = f"duplicate report_id (first at object {first[report_id]})"
        return Unreadable(record.line, reason, report_id, "report_id")
    if report_id:
        first[report_id] = record.line
    return record


def read_stix(raw: IO[bytes], path: Path) -> Iterator[Record]:
    """Records of a STIX 2.1 bundle (or a JSON list of objects): one Row per report."""
    try:
        data = json.loads(raw.read().decode("utf-8-sig"), parse_float=Decimal)
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, a number of 5,000 digits
        raise InputError(f"not a STIX 2.1 JSON bundle ({exc})", file=str(path)) from None
    objects = data.get("objects") if isinstance(data, dict) else data
    if not isinstance(objects, list):
        raise InputError("a STIX bundle needs an objects list", file=str(path), field="objects")
    first, conflicting = first_copies(objects)
    # A marking given twice with different content is not understood (TLP:RED, organization);
    # of any other object given so, the first is read and the others rejected.
    lookup = {
        i: o
        for i, o in first.items()
        if not (i in conflicting and i.startswith("marking-definition--"))
    }
    used: set[str] = set()
    for obj in objects:
        if isinstance(obj, dict) and obj.get("type") == "report":
            refs = obj.get("object_refs")
            if isinstance(refs, list):
                used.update(r for r in refs if isinstance(r, str))
    reports: dict[str, int] = {}
    report_ids: dict[str, tuple[str, int]] = {}
    for number, obj in enumerate(objects, start=1):
        ident = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(ident, str):  # a list or an object is no id (nor hashable)
            ident = None
        if ident in conflicting and first[str(ident)] != obj and obj.get("type") != "report":
            yield Unreadable(
                number,
                f"{ident} was given before with other content; this copy is not read"
                + (" and the marking is not understood" if ident not in lookup else ""),
                str(ident),
                "id",
            )
            continue
        for record in _record(number, obj, lookup, used):
            yield _repeated(record, reports, report_ids)


def _record(
    number: int, obj: object, lookup: Mapping[str, Mapping[str, Any]], used: set[str]
) -> Iterator[Record]:
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        yield Unreadable(number, "a STIX object must be a JSON object with a type")
        return
    stix_type, stix_id = obj["type"], obj.get("id")
    where = nul_path(obj)
    if where is not None:  # as a peer's (bigfish.interop.importer): PostgreSQL keeps no NUL
        shown = escape_nul(stix_id) if isinstance(stix_id, str) else None
        reason = "holds a NUL character (U+0000), which this node cannot store"
        yield Unreadable(number, reason, shown, where)
        return
    if stix_type == "report":
        try:
            check_report_id(obj)
            fields, found = report_fields(obj, lookup)
        except InputError as exc:
            shown = str(stix_id) if isinstance(stix_id, str) else None
            yield Unreadable(number, exc.message, shown, exc.field)
            return
        marking = file_marking(marking_from_object(obj, lookup))
        items = item_markings(obj, lookup)
        restriction = file_marking(narrowest(*items)) if items else None
        yield Row(number, fields, found, marking, str(stix_id), restriction)
    elif stix_type in SUPPORTING:
        return
    elif stix_type in OBSERVABLE_TYPES:
        if not isinstance(stix_id, str):
            yield Unreadable(number, f"{stix_type} needs a text id", None, "id")
        elif stix_id not in used:
            yield Unreadable(number, f"{stix_type} {stix_id} is not referenced by any report")
        elif raw_identifier(obj) is None:
            yield Unreadable(
                number, f"{stix_type} {stix_id} carries no identifier (no value)", str(stix_id)
            )
    else:
        yield Unreadable(number, f"STIX type {stix_type!r} is not imported (reports only)")

"""TLP 2.0 marking definitions and the bigfish sharing extension (distribution and group).

TLP travels as the standard TLP 2.0 marking definitions (the FIRST/OASIS extension
`extension-definition--60a3c5c5-…`); TLP 1.0 ids are accepted on import. Distribution and group
travel as the property extension `bigfish-sharing` (docs/interop.md). Pure: values in, values out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from bigfish.models import TLP, Distribution, Marking

#: Namespace of every id bigfish derives (extension definitions, reports, organizations, networks).
BIGFISH_NAMESPACE = uuid.UUID("6b1f7c2e-3a0d-5e4b-9b8f-2c6d1a4e7f10")
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP1_IDS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
#: OpenCTI's own TLP:AMBER+STRICT (its other TLP markings use the TLP 1.0 / 2.0 ids above).
_OPENCTI_IDS: dict[str, TLP] = {
    "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": TLP.AMBER_STRICT,
}
_TLP_BY_ID: dict[str, TLP] = {v: k for k, v in TLP2_IDS.items()} | _TLP1_IDS | _OPENCTI_IDS
_ORDER = list(TLP)


def _extension_id(name: str) -> str:
    return f"extension-definition--{uuid.uuid5(BIGFISH_NAMESPACE, name)}"


SHARING_EXTENSION = _extension_id("bigfish-sharing")
REPORT_EXTENSION = _extension_id("bigfish-report")
NETWORK_EXTENSION = _extension_id("bigfish-network")
BIGFISH_IDENTITY = f"identity--{uuid.uuid5(BIGFISH_NAMESPACE, 'bigfish project')}"
EXTENSIONS_CREATED = "2025-12-17T00:00:00.000Z"


def tlp_marking_definition(tlp: TLP) -> dict[str, Any]:
    """The standard TLP 2.0 marking-definition object for TLP."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[tlp],
        "created": TLP2_CREATED,
        "name": f"TLP:{tlp.value.upper()}",
        "extensions": {TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp}},
    }


def tlp_from_refs(refs: object) -> TLP | None:
    """The most restrictive TLP among marking refs REFS, or None when none is a TLP marking."""
    if not isinstance(refs, list):
        return None
    found = [_TLP_BY_ID[r] for r in refs if isinstance(r, str) and r in _TLP_BY_ID]
    return max(found, key=_ORDER.index) if found else None


def _tlp_text(value: object) -> TLP | None:
    """TLP from a text such as "TLP:AMBER+STRICT", "amber" or "white"; None when it is none."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("tlp:").strip()
    text = "clear" if text == "white" else text
    return TLP(text) if text in {t.value for t in TLP} else None


def _tlp_of_definition(definition: Mapping[str, Any]) -> TLP | None:
    """The TLP a marking-definition object states (TLP 1.0 `definition_type: tlp`, the TLP 2.0
    extension, a name or a statement "TLP:…"), or None when it states none or contradicts itself
    with an unknown value."""
    readings: list[object] = []
    extensions = definition.get("extensions")
    tlp2 = extensions.get(TLP2_EXTENSION) if isinstance(extensions, dict) else None
    if isinstance(tlp2, dict):
        readings.append(tlp2.get("tlp_2_0"))
    kind = str(definition.get("definition_type") or "").lower()
    body = definition.get("definition")
    if kind == "tlp":
        readings.append(body.get("tlp") if isinstance(body, dict) else None)
    elif kind == "statement":
        statement = body.get("statement") if isinstance(body, dict) else None
        if not (isinstance(statement, str) and statement.strip().lower().startswith("tlp:")):
            return None  # a statement bigfish cannot read (terms of use, copyright…)
        readings.append(statement)
    elif kind:
        return None  # PAP, a vendor's own scheme…: not understood
    name = definition.get("name")
    if isinstance(name, str) and name.strip().lower().startswith("tlp:"):
        readings.append(name)
    found = [_tlp_text(r) for r in readings]
    if not found or any(t is None for t in found):
        return None
    return max((t for t in found if t is not None), key=_ORDER.index)


def marking_refs(obj: Mapping[str, Any]) -> list[object] | None:
    """Every marking OBJ refers to, as an object or in part (granular markings), or None when
    the markings are malformed (read as not understood)."""
    refs = obj.get("object_marking_refs", [])
    granular = obj.get("granular_markings", [])
    if not isinstance(refs, list) or not isinstance(granular, list):
        return None
    found = list(refs)
    for item in granular:
        if not isinstance(item, dict):
            return None
        if "marking_ref" in item:
            found.append(item["marking_ref"])
        elif "lang" not in item:
            return None
    return found


def tlp_of_refs(
    refs: list[object], definitions: Mapping[str, Mapping[str, Any]]
) -> tuple[TLP | None, bool]:
    """(the most restrictive TLP among REFS, whether one of them is not understood). A ref is
    understood when it is a standard TLP 1.0 / 2.0 id, OpenCTI's AMBER+STRICT, or a
    marking-definition in DEFINITIONS that states a TLP."""
    found: list[TLP] = []
    unknown = False
    for ref in refs:
        tlp = _TLP_BY_ID.get(ref) if isinstance(ref, str) else None
        if tlp is None and isinstance(ref, str):
            definition = definitions.get(ref)
            if isinstance(definition, Mapping) and definition.get("type") == "marking-definition":
                tlp = _tlp_of_definition(definition)
        if tlp is None:
            unknown = True
        else:
            found.append(tlp)
    return (max(found, key=_ORDER.index) if found else None), unknown


def most_restrictive(tlps: list[TLP]) -> TLP:
    """The most restrictive of TLPS (AMBER when empty)."""
    return max(tlps, key=_ORDER.index) if tlps else TLP.AMBER


def sharing_extension(marking: Marking) -> dict[str, Any]:
    """The bigfish-sharing property extension for MARKING."""
    body: dict[str, Any] = {
        "extension_type": "property-extension",
        "distribution": marking.distribution.value,
    }
    if marking.distribution is Distribution.GROUP and marking.group:
        body["group"] = marking.group
    return body


#: What a marking bigfish does not understand stands for: the most restrictive (docs/interop.md).
NOT_UNDERSTOOD = Marking(TLP.RED, Distribution.ORGANIZATION)


def marking_from_object(
    obj: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]] | None = None
) -> Marking | None:
    """The marking an imported object carries, or None when it carries no marking and no sharing.

    DEFINITIONS resolves marking-definitions sent along (the bundle's, the peer's). A marking
    bigfish does not understand makes the object TLP:RED, distribution `organization`; a group
    distribution without a group name, or an unknown distribution, falls back to `organization`,
    the most restrictive: never read as "no restriction".
    """
    return _read(obj, definitions or {}, Marking(TLP.AMBER, Distribution.ORGANIZATION))


def _sharing(obj: Mapping[str, Any]) -> tuple[Distribution, str | None] | None:
    """The distribution and group of OBJ's bigfish-sharing extension, None without one. One
    that cannot be read (`extensions` or the extension not an object: `"group"`, null) is
    `organization`, the most restrictive, never "no statement" (which the command line's
    marking or the report's would widen)."""
    if "extensions" not in obj:
        return None
    extensions = obj["extensions"]
    if not isinstance(extensions, dict):
        return Distribution.ORGANIZATION, None
    if SHARING_EXTENSION not in extensions:
        return None
    sharing = extensions[SHARING_EXTENSION]
    if not isinstance(sharing, dict):
        return Distribution.ORGANIZATION, None
    value = sharing.get("distribution")
    name = sharing.get("group")
    if value == Distribution.PARTNERSHIP.value:
        return Distribution.PARTNERSHIP, None
    if value == Distribution.GROUP.value and isinstance(name, str) and name.strip():
        return Distribution.GROUP, name.strip()
    return Distribution.ORGANIZATION, None


def item_marking(
    obj: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]]
) -> Marking | None:
    """What item OBJ (an observable a report reads) adds to the report's marking, or None: its
    TLP and its sharing extension, each only when present (an item without one inherits the
    report's), and TLP:RED / `organization` for a marking bigfish does not understand."""
    return _read(obj, definitions, Marking(TLP.CLEAR, Distribution.PARTNERSHIP))


def _read(
    obj: Mapping[str, Any], definitions: Mapping[str, Mapping[str, Any]], default: Marking
) -> Marking | None:
    """OBJ's TLP and sharing, each DEFAULT's when OBJ states only the other; None when it states
    neither; `NOT_UNDERSTOOD` for a marking bigfish cannot read."""
    refs = marking_refs(obj)
    if refs is None:
        return NOT_UNDERSTOOD
    tlp, unknown = tlp_of_refs(refs, definitions)
    if unknown:
        return NOT_UNDERSTOOD
    sharing = _sharing(obj)
    if tlp is None and sharing is None:
        return None
    distribution, group = sharing or (default.distribution, None)
    return Marking(tlp or default.tlp, distribution, group)


def extension_definitions() -> list[dict[str, Any]]:
    """The extension-definition objects of bigfish's own extensions, and their author."""
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": BIGFISH_IDENTITY,
        "created": EXTENSIONS_CREATED,
        "modified": EXTENSIONS_CREATED,
        "name": "bigfish",
        "identity_class": "organization",
        "description": "The bigfish open-source platform against online scams.",
    }
    described = [
        (SHARING_EXTENSION, "bigfish-sharing", "Distribution and sharing group of an object."),
        (REPORT_EXTENSION, "bigfish-report", "The fields of a bigfish scam report."),
        (NETWORK_EXTENSION, "bigfish-network", "The reports and scores of a scam network."),
    ]
    definitions = [
        {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": ident,
            "created_by_ref": BIGFISH_IDENTITY,
            "created": EXTENSIONS_CREATED,
            "modified": EXTENSIONS_CREATED,
            "name": name,
            "description": description,
            "schema": f"https://github.com/bigfish-platform/bigfish/blob/main/docs/interop.md#{name}",
            "version": "1.0",
            "extension_types": ["property-extension"],
        }
        for ident, name, description in described
    ]
    return [identity, *definitions]

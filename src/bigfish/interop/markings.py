"""TLP 2.0 marking definitions and the bigfish sharing extension (distribution and group).

TLP travels as the standard TLP 2.0 marking definitions (the FIRST/OASIS extension
`extension-definition--60a3c5c5-…`); TLP 1.0 ids are accepted on import. Distribution and group
travel as the property extension `bigfish-sharing` (docs/interop.md). Pure: values in, values out.
"""

from __future__ import annotations

import uuid
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
_TLP_BY_ID: dict[str, TLP] = {v: k for k, v in TLP2_IDS.items()} | _TLP1_IDS
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


def marking_from_object(obj: dict[str, Any]) -> Marking | None:
    """The marking an imported object carries, or None when it carries no TLP and no sharing.

    A group distribution without a group name, or an unknown distribution, falls back to
    `organization`, the most restrictive: never read as "no restriction".
    """
    tlp = tlp_from_refs(obj.get("object_marking_refs"))
    extensions = obj.get("extensions")
    sharing = extensions.get(SHARING_EXTENSION) if isinstance(extensions, dict) else None
    if tlp is None and not isinstance(sharing, dict):
        return None
    distribution = Distribution.ORGANIZATION
    group: str | None = None
    if isinstance(sharing, dict):
        value = sharing.get("distribution")
        name = sharing.get("group")
        if value == Distribution.PARTNERSHIP.value:
            distribution = Distribution.PARTNERSHIP
        elif value == Distribution.GROUP.value and isinstance(name, str) and name.strip():
            distribution, group = Distribution.GROUP, name.strip()
    return Marking(tlp or TLP.AMBER, distribution, group)


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

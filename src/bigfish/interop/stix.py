"""bigfish ↔ STIX 2.1: identifiers as observables with deterministic ids, reports, networks.

Objects are built as plain JSON dicts (a TAXII page of thousands of objects cannot afford a
library object per item); the tests parse every export with the `stix2` library and run the
OASIS validator on it. Phone numbers, bank accounts and wallets use the `stix2extensions` 2.3.5
SCOs and their extension definitions; the rest use core SCOs. The mapping is in docs/interop.md.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring as _quote
from typing import Any

from bigfish.interop.markings import (
    BIGFISH_NAMESPACE,
    NETWORK_EXTENSION,
    REPORT_EXTENSION,
    SHARING_EXTENSION,
    TLP2_IDS,
    sharing_extension,
)
from bigfish.interop.model import NetworkView, ReportView
from bigfish.models import TLP, Kind, Marking

#: The STIX 2.1 namespace for deterministic SCO ids (STIX 2.1 section 2.9).
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
#: New-SCO extension definitions of stix2extensions 2.3.5 (pinned in docs/interop.md).
PHONE_EXTENSION = "extension-definition--14a97ee2-e666-5ada-a6bd-b7177f79e211"
BANK_EXTENSION = "extension-definition--f19f3291-6a84-5674-b311-d75a925d5bd9"
WALLET_EXTENSION = "extension-definition--be78509e-6958-51b1-8b26-d17ee0eba2d7"
_NEW_SCO = {"extension_type": "new-sco"}
_BIC_LENGTHS = (8, 11)


def timestamp(value: datetime) -> str:
    """A STIX timestamp (UTC, milliseconds kept to microseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uuid5_text(namespace: uuid.UUID, name: str) -> str:
    """str(uuid.uuid5(NAMESPACE, NAME)), without building UUID objects (a TAXII page needs many)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode("utf-8")).digest()[:16])  # noqa: S324 - RFC 4122 UUIDv5 is SHA-1
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@lru_cache(maxsize=100_000)
def _sco_id_cached(stix_type: str, contributing: tuple[tuple[str, str], ...]) -> str:
    # The JCS form of the contributing properties (all text): sorted keys, no spaces.
    name = "{" + ",".join(f"{_quote(k)}:{_quote(v)}" for k, v in contributing) + "}"
    return f"{stix_type}--{uuid5_text(SCO_NAMESPACE, name)}"


def _sco_id(stix_type: str, contributing: dict[str, str]) -> str:
    return _sco_id_cached(stix_type, tuple(sorted(contributing.items())))


def _looks_like_bic(bank: str) -> bool:
    return len(bank) in _BIC_LENGTHS and bank[:6].isalpha() and bank.isalnum()


def identifier_sco(kind: str, canonical: str) -> dict[str, Any] | None:
    """The STIX observable for one canonical identifier, with a deterministic id (UUIDv5 of its
    contributing properties, as STIX 2.1 computes it), or None for an unknown kind."""
    base = {"spec_version": "2.1"}
    if kind == Kind.PHONE:
        props: dict[str, Any] = {"value": canonical}
        return _sco("phone-number", props, props, base, PHONE_EXTENSION)
    if kind == Kind.CRYPTO_WALLET:
        props = {"value": canonical}
        return _sco("cryptocurrency-wallet", props, props, base, WALLET_EXTENSION)
    if kind == Kind.BANK_ACCOUNT:
        bank, sep, account = canonical.partition(":")
        if not sep:
            return _sco(
                "bank-account", {"iban": canonical}, {"iban": canonical}, base, BANK_EXTENSION
            )
        props = {"account_number": account, "bic": bank} if _looks_like_bic(bank) else {}
        props = props or {"account_number": canonical}
        return _sco("bank-account", props, {"account_number": canonical}, base, BANK_EXTENSION)
    if kind == Kind.HANDLE:
        platform, _, login = canonical.partition(":")
        props = {"account_type": platform, "account_login": login, "user_id": login}
        return _sco("user-account", props, props, base, None)
    if kind == Kind.URL:  # the canonical form has no scheme; STIX wants a URI
        props = {"value": "https://" + canonical}
        return _sco("url", props, props, base, None)
    core = {Kind.DOMAIN: "domain-name", Kind.EMAIL: "email-addr"}
    if kind in core:
        props = {"value": canonical}
        return _sco(core[Kind(kind)], props, props, base, None)
    if kind == Kind.IP:
        stix_type = "ipv6-addr" if ":" in canonical else "ipv4-addr"
        props = {"value": canonical}
        return _sco(stix_type, props, props, base, None)
    return None


def _sco(
    stix_type: str,
    props: dict[str, Any],
    contributing: dict[str, str],
    base: dict[str, str],
    extension: str | None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": stix_type, **base, "id": _sco_id(stix_type, contributing)}
    obj.update(props)
    if extension is not None:
        obj["extensions"] = {extension: dict(_NEW_SCO)}
    return obj


@lru_cache(maxsize=10_000)
def org_identity_id(org: str) -> str:
    """The deterministic identity id of organization ORG (the same on every node)."""
    return f"identity--{uuid5_text(BIGFISH_NAMESPACE, 'organization:' + org)}"


def org_identity(org: str) -> dict[str, Any]:
    """The identity object of organization ORG. Its country travels in each of its reports
    (`org_country` of the bigfish-report extension), not here: STIX 2.1's identity has no
    property for it, and a custom one would make strict STIX readers (the stix2 library's
    default) refuse the whole bundle."""
    obj: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "id": org_identity_id(org),
        "created": "2025-01-01T00:00:00.000000Z",
        "modified": "2025-01-01T00:00:00.000000Z",
        "name": org,
        "identity_class": "organization",
    }
    return obj


def report_stix_id(org: str, report_id: str) -> str:
    """The deterministic STIX id of ORG's report REPORT_ID."""
    return f"report--{uuid5_text(BIGFISH_NAMESPACE, 'report:' + org + '/' + report_id)}"


def report_object_id(report: ReportView) -> str:
    """The STIX id REPORT goes out under: the one it came with (a peer's, OpenCTI's), else
    bigfish's own (`report_stix_id`)."""
    source = report.source_id
    if source and source.startswith("report--"):
        return source
    return report_stix_id(report.org, report.report_id)


#: The report attribute keeping the STIX `created` of the object a report came with (its
#: author's creation time), which the report goes out with again.
CREATED_ATTRIBUTE = "stix_created"


def kept_created(attributes: object) -> datetime | None:
    """The author's creation time a report's ATTRIBUTES keep (`CREATED_ATTRIBUTE`), or None
    (none kept, or text that is not a timestamp with a time zone)."""
    kept = attributes.get(CREATED_ATTRIBUTE) if isinstance(attributes, dict) else None
    if not isinstance(kept, str):
        return None
    try:
        parsed = datetime.fromisoformat(re.sub(r"[Zz]$", "+00:00", kept.strip()))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def created_of(report: ReportView) -> datetime:
    """The STIX `created` of REPORT: its author's (`CREATED_ATTRIBUTE`), else when this node
    stored it; never later than its version (STIX: created <= modified)."""
    kept = kept_created(dict(report.attributes))
    return min(kept or report.created_at, report.modified)


def marked(obj: dict[str, Any], marking: Marking) -> dict[str, Any]:
    """OBJ with the TLP marking ref and the sharing extension of MARKING."""
    obj["object_marking_refs"] = [TLP2_IDS[marking.tlp]]
    extensions = obj.setdefault("extensions", {})
    extensions[SHARING_EXTENSION] = sharing_extension(marking)
    return obj


def report_objects(report: ReportView) -> list[dict[str, Any]]:
    """The STIX objects of one report: its valid identifiers' observables, then the report."""
    scos: dict[str, dict[str, Any]] = {}
    for m in report.mentions:
        sco = identifier_sco(m.kind, m.canonical) if m.valid else None
        if sco is not None and sco["id"] not in scos:
            scos[sco["id"]] = marked(sco, report.marking)
    submitted = [
        {"kind": m.kind, "value": m.canonical if m.valid else m.raw}
        | ({"role": m.role} if m.role else {})
        for m in report.mentions
        if m.source == "field"
    ]
    fields: dict[str, Any] = {
        "extension_type": "property-extension",
        "org": report.org,
        "report_id": report.report_id,
        "country": report.country,
    }
    if submitted:  # STIX 2.1 (3.3): a list is never empty; none submitted reads back as none
        fields["identifiers"] = submitted
    optional = {
        "scam_type": report.scam_type,
        "channel": report.channel,
        "loss_amount": report.loss_amount,
        "loss_currency": report.loss_currency,
        "org_country": report.org_country,
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    if report.attributes:  # the extra fields a partner sent: nothing it sent is lost on the way
        fields["attributes"] = dict(report.attributes)
    obj: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": report_object_id(report),
        "created_by_ref": org_identity_id(report.org),
        "created": timestamp(created_of(report)),
        "modified": timestamp(report.modified),
        "name": f"Scam report {report.org}/{report.report_id}",
        "report_types": ["threat-report"],
        "published": timestamp(report.reported_at),
        "labels": ["scam"] + ([report.scam_type] if report.scam_type else []),
        "object_refs": [org_identity_id(report.org), *scos],
        "extensions": {REPORT_EXTENSION: fields},
    }
    if report.narrative:
        obj["description"] = report.narrative
    return [*scos.values(), marked(obj, report.marking)]


def revoked_report(
    *,
    org: str,
    report_id: str,
    source_id: str | None,
    created: datetime,
    reported_at: datetime,
    withdrawn_at: datetime,
    marking: Marking,
) -> dict[str, Any]:
    """The revoked version of a report that was deleted or re-marked beyond a reader's reach:
    its id, author and dates, nothing of its content (STIX 2.1 `revoked`; a bigfish node that
    pulled the report deletes its copy)."""
    author = org_identity_id(org)
    stix_id = source_id if source_id and source_id.startswith("report--") else None
    obj: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_id or report_stix_id(org, report_id),
        "created_by_ref": author,
        "created": timestamp(created),
        "modified": timestamp(max(created, withdrawn_at)),
        "name": f"Scam report {org}/{report_id}",
        "report_types": ["threat-report"],
        "published": timestamp(reported_at),
        "object_refs": [author],
        "revoked": True,
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "org": org,
                "report_id": report_id,
            }
        },
    }
    return marked(obj, marking)


def network_objects(
    network: NetworkView,
    marking: Marking,
    created: datetime,
    report_ids: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """A network as an intrusion-set related to its reports and shared identifiers. REPORT_IDS
    are the STIX ids its reports go out under (`report_object_id`), in the order of
    `network.reports`; without them, bigfish's own ids of the reports."""
    set_id = f"intrusion-set--{uuid.uuid5(BIGFISH_NAMESPACE, 'network:' + network.id)}"
    stamp = timestamp(created)
    intrusion: dict[str, Any] = {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": set_id,
        "created": stamp,
        "modified": stamp,
        "name": f"Scam network {network.id}",
        "description": (
            f"{len(network.reports)} reports in {', '.join(network.countries) or 'unknown'}"
            " joined by shared identifiers"
        ),
        "extensions": {
            NETWORK_EXTENSION: {
                "extension_type": "property-extension",
                "network_id": network.id,
                "reports": [{"org": o, "report_id": r} for o, r in network.reports],
                "countries": list(network.countries),
                **({"score": network.score} if network.score is not None else {}),
                **(
                    {"total_loss_usd": network.total_loss_usd}
                    if network.total_loss_usd is not None
                    else {}
                ),
            }
        },
    }
    if network.first_seen is not None:
        intrusion["first_seen"] = timestamp(network.first_seen)
    if network.last_seen is not None:
        intrusion["last_seen"] = timestamp(network.last_seen)
    targets = (
        list(report_ids)
        if report_ids is not None
        else [report_stix_id(o, r) for o, r in network.reports]
    )
    for kind, canonical in network.identifiers:
        sco = identifier_sco(kind, canonical)
        if sco is not None:
            targets.append(sco["id"])
    relationships = [
        marked(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": f"relationship--{uuid.uuid5(BIGFISH_NAMESPACE, set_id + '|' + target)}",
                "created": stamp,
                "modified": stamp,
                "relationship_type": "related-to",
                "source_ref": set_id,
                "target_ref": target,
            },
            marking,
        )
        for target in targets
    ]
    return [marked(intrusion, marking), *relationships]


def bundle(objects: Iterable[dict[str, Any]], *, seed: str) -> dict[str, Any]:
    """A STIX bundle of OBJECTS with an id derived from SEED (so golden files are stable)."""
    return {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(BIGFISH_NAMESPACE, 'bundle:' + seed)}",
        "objects": list(objects),
    }


def least_shared(markings: Iterable[Marking]) -> Marking:
    """The most restrictive of MARKINGS: what an object shared by several reports carries."""
    ordered = list(TLP)
    items = list(markings)
    if not items:
        return Marking()
    tlp = max((m.tlp for m in items), key=ordered.index)
    distributions = {m.distribution for m in items}
    groups = {m.group for m in items}
    if len(distributions) == 1 and len(groups) == 1:
        return Marking(tlp, items[0].distribution, items[0].group)
    return Marking(tlp)

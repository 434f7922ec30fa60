"""A CASE/UCO JSON-LD description of an evidence package (pure).

CASE (Cyber-investigation Analysis Standard Expression) on UCO is how forensic tools exchange
provenance. Each evidence file becomes a `uco-observable:File` with its SHA-256, each custody
event a `case-investigation:InvestigativeAction`, and each file's chain a
`case-investigation:ProvenanceRecord`. A file disposed of keeps its node (digest, size, name:
what was held) and its chain; its provenance record says it was disposed of, and that the package
does not hold its bytes (or, for the report's item acquired again, holds them for that item).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from bigfish.evidence.custody import CustodyEvent, CustodyRecord, utc_text
from bigfish.evidence.model import EvidenceRecord

CONTEXT = {
    "kb": "urn:bigfish:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _dt(text: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": text}


def _file_node(item: EvidenceRecord) -> dict[str, Any]:
    return {
        "@id": f"kb:file-{item.evidence_id}",
        "@type": "uco-observable:File",
        "uco-core:description": item.description or "",
        "uco-core:hasFacet": [
            {
                "@id": f"kb:file-facet-{item.evidence_id}",
                "@type": "uco-observable:FileFacet",
                "uco-observable:fileName": item.file_name or item.sha256,
                "uco-observable:sizeInBytes": {"@type": "xsd:integer", "@value": str(item.size)},
            },
            {
                "@id": f"kb:content-facet-{item.evidence_id}",
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:mimeType": item.media_type,
                "uco-observable:sizeInBytes": {"@type": "xsd:integer", "@value": str(item.size)},
                "uco-observable:hash": [
                    {
                        "@id": f"kb:hash-{item.evidence_id}",
                        "@type": "uco-types:Hash",
                        "uco-types:hashMethod": {
                            "@type": "uco-vocabulary:HashNameVocab",
                            "@value": "SHA256",
                        },
                        "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": item.sha256},
                    }
                ],
            },
        ],
    }


def _iri(kind: str, name: str) -> str:
    """The compact IRI of KIND NAME: a name may hold spaces, '#', '/' or ':', none of which an
    IRI may carry as they are (percent-encoded, so that two names never share an IRI)."""
    return f"kb:{kind}-{quote(name, safe='')}"


def _identity(name: str | None, kind: str) -> str | None:
    return None if not name else _iri(kind, name)


def _disposal(record: CustodyRecord, carried_as: str | None) -> str:
    """A disposed item's provenance: who disposed of it, when; that the package holds no file
    of it, or that the same bytes are in it for CARRIED_AS (the report's item acquired again)."""
    d = record.draft
    by = d.released_by.person or d.released_by.organization or "-"
    said = f"disposed of by {by} on {utc_text(d.at)} (custody record seq {record.seq}): "
    if carried_as is None:
        return said + "the file is not in this package"
    return (
        said
        + f"no file of its own in this package; the same bytes are in it as evidence {carried_as}"
    )


def case_document(
    org: str, report_id: str, evidence: Sequence[EvidenceRecord], records: Sequence[CustodyRecord]
) -> dict[str, Any]:
    """The JSON-LD document for the evidence of report ORG/REPORT_ID and its custody records."""
    graph: list[dict[str, Any]] = []
    people: set[str] = set()
    orgs: set[str] = {org}
    for record in records:
        for party in (record.draft.released_by, record.draft.received_by):
            if party.person:
                people.add(party.person)
            if party.organization:
                orgs.add(party.organization)
    graph += [
        {"@id": _iri("organization", o), "@type": "uco-identity:Organization", "uco-core:name": o}
        for o in sorted(orgs)
    ]
    graph += [
        {"@id": _iri("person", p), "@type": "uco-identity:Person", "uco-core:name": p}
        for p in sorted(people)
    ]
    graph += [_file_node(item) for item in evidence]
    disposed: dict[str, CustodyRecord] = {}
    for record in records:
        if record.draft.event is CustodyEvent.DISPOSED:
            disposed.setdefault(record.draft.evidence_id, record)
    carried = {
        item.sha256: item.evidence_id for item in evidence if item.evidence_id not in disposed
    }
    for item in evidence:
        provenance: dict[str, Any] = {
            "@id": f"kb:provenance-{item.evidence_id}",
            "@type": "case-investigation:ProvenanceRecord",
            "case-investigation:exhibitNumber": item.evidence_id,
            "uco-core:description": f"evidence of report {org}/{report_id}",
            "uco-core:object": [{"@id": f"kb:file-{item.evidence_id}"}],
        }
        if item.evidence_id in disposed:
            provenance["uco-core:description"] += "; " + _disposal(
                disposed[item.evidence_id], carried.get(item.sha256)
            )
            provenance["uco-core:tag"] = ["disposed", "file-not-in-package"]
        graph.append(provenance)
    for record in records:
        d = record.draft
        action: dict[str, Any] = {
            "@id": f"kb:custody-{record.seq}",
            "@type": "case-investigation:InvestigativeAction",
            "uco-core:name": d.event.value,
            "uco-core:description": d.purpose,
            "uco-action:startTime": _dt(utc_text(d.at)),
            "uco-action:endTime": _dt(utc_text(d.at)),
            "uco-action:environment": d.place,
            "uco-action:object": [{"@id": f"kb:file-{d.evidence_id}"}],
            "uco-action:result": [{"@id": f"kb:provenance-{d.evidence_id}"}],
            "uco-core:tag": [f"custody-seq:{record.seq}", f"record-sha256:{record.record_hash}"],
        }
        if d.recorded_by is not None:  # the account that wrote the record, as the node names it
            action["uco-core:tag"].append(f"recorded-by:{d.recorded_by}")
        performer = _identity(d.released_by.person, "person") or _identity(
            d.released_by.organization, "organization"
        )
        if performer:
            action["uco-action:performer"] = {"@id": performer}
        receiver = _identity(d.received_by.person, "person") or _identity(
            d.received_by.organization, "organization"
        )
        if receiver:
            action["uco-action:participant"] = [{"@id": receiver}]
        graph.append(action)
    graph.append(
        {
            "@id": _iri("investigation", f"{org}/{report_id}"),
            "@type": "case-investigation:Investigation",
            "uco-core:name": f"Report {org}/{report_id}",
            "uco-core:object": [{"@id": f"kb:provenance-{item.evidence_id}"} for item in evidence],
        }
    )
    return {"@context": CONTEXT, "@graph": graph}

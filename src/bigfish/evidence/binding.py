"""What the evidence row or a package's manifest says about a file, against what its signed
`acquired` custody record says (pure).

The evidence table and a manifest's evidence entries repeat the acquisition metadata for
convenience; only the custody record is signed. Every field they state must therefore be the
one the record signed: who acquired the file (``received_by.person``), when (``at``), from where
(``released_by.organization``), for which report, its digest and, in records written since
bigfish signs them (``acquisition``), its name, size, media type, method, tool and description.
Every later record of the item must name the same report and digest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bigfish.evidence.custody import CustodyEvent, CustodyRecord, utc_text

# Fields only records with signed acquisition metadata state.
LATER_FIELDS = (
    "file_name",
    "size",
    "media_type",
    "method",
    "tool",
    "tool_version",
    "description",
)


@dataclass(frozen=True, slots=True)
class Binding:
    """The first mismatch (a problem), or a note that older records leave fields unchecked."""

    problem: str | None = None
    note: str | None = None


def signed_facts(record: CustodyRecord) -> dict[str, Any]:
    """What an acquired RECORD signed about its file, by the field names rows and manifests use."""
    d = record.draft
    facts: dict[str, Any] = {
        "sha256": d.sha256,
        "report": d.report,
        "acquired_by": d.received_by.person,
        "acquired_at": utc_text(d.at),
        "source": d.released_by.organization,
    }
    if d.acquisition is not None:
        facts |= d.acquisition.to_json()
    return facts


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_binding(
    evidence_id: str, claimed: Mapping[str, Any], records: Sequence[CustodyRecord], where: str
) -> Binding:
    """Check CLAIMED (what WHERE says of EVIDENCE_ID: sha256, report, acquired_by, …) against the
    item's custody RECORDS in log order."""
    if not records or records[0].draft.event is not CustodyEvent.ACQUIRED:
        return Binding(f"evidence {evidence_id}: no signed acquired custody record")
    first = records[0]
    signed = signed_facts(first)
    for field, value in signed.items():
        if field in claimed and claimed[field] != value:
            return Binding(
                f"evidence {evidence_id}: {where} says {field} {_shown(claimed[field])} but its "
                f"signed acquired record (seq {first.seq}) says {_shown(value)}"
            )
    for record in records[1:]:
        for field in ("report", "sha256"):
            value = getattr(record.draft, field)
            if value != claimed.get(field, value):
                return Binding(
                    f"evidence {evidence_id}: {where} says {field} {_shown(claimed[field])} but "
                    f"its signed custody record seq {record.seq} says {_shown(value)}"
                )
    if first.draft.acquisition is None:
        return Binding(
            note=(
                f"evidence {evidence_id}: its acquired record (seq {first.seq}) was signed "
                f"before bigfish signed {', '.join(LATER_FIELDS)}; {where} is not checked "
                "for those"
            )
        )
    return Binding()

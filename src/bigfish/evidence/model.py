"""Value objects of the evidence area (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bigfish.evidence.custody import HashCheck


@dataclass(frozen=True, slots=True)
class Acquisition:
    """How a piece of evidence was acquired (ISO/IEC 27037 acquisition metadata)."""

    acquired_by: str  # the person
    source: str  # where the bytes came from: "victim's phone", "bank core system", …
    method: str  # how: "export from WhatsApp", "screenshot", "forensic image", …
    tool: str | None = None
    tool_version: str | None = None
    media_type: str = "application/octet-stream"
    description: str | None = None
    file_name: str | None = None
    acquired_at: datetime | None = None  # defaults to the time it is stored
    place: str = "bigfish node"


@dataclass(frozen=True, slots=True)
class Disposal:
    """An item's signed `disposed` custody record: who disposed of it, for which organization,
    when, why, and its seq in the log."""

    evidence_id: str
    disposed_by: str | None
    organization: str | None
    at: datetime
    purpose: str
    seq: int


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One piece of evidence attached to one report, with what is known about it."""

    evidence_id: str
    org: str  # the organization that holds the report and the evidence
    report_id: str
    sha256: str
    size: int
    media_type: str
    file_name: str | None
    acquired_by: str
    acquired_at: datetime
    source: str
    method: str
    tool: str | None
    tool_version: str | None
    description: str | None
    tlp: str
    distribution: str
    group: str | None
    integrity: HashCheck  # the stored bytes against the digest, at the last check
    held_before: bool = False  # add_evidence: these bytes were already evidence of the report
    disposal: Disposal | None = None  # the item was disposed of (its chain ends there)
    # these bytes were evidence of the report before, as an item disposed of, and this item is
    # their new acquisition with its own chain: the latest such disposal (its acquired record
    # names it)
    reacquired_after: Disposal | None = None

    @property
    def report(self) -> str:
        """`org/report_id`, the form custody records use."""
        return f"{self.org}/{self.report_id}"

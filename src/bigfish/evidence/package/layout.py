"""What an evidence package holds: its format, its documents, and the contents an export puts
in it (the layout is drawn in `bigfish.evidence.package`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from bigfish.evidence.custody import CustodyEvent, CustodyRecord, TreeHead
from bigfish.evidence.model import EvidenceRecord

FORMAT = "bigfish-evidence-package/3"
# /2 is still written when no record signs the account that wrote it (`recorded_by`): a verifier
# that knows /2 only recomputes a record's body without that field and would call the record
# edited, so a package holding such records says /3, and such a verifier names the format.
FORMAT_WITHOUT_ACCOUNTS = "bigfish-evidence-package/2"
# /4 is written only when the package holds a disposed item: its entry, marked disposed, and its
# chain up to the signed `disposed` record, but not its bytes. A verifier that knows /3 at most
# would call the absent file tampering; it names the format instead.
FORMAT_WITH_DISPOSED = "bigfish-evidence-package/4"
# /1 had no signed file metadata in acquired records; such a package is checked as far as it goes.
FORMATS = ("bigfish-evidence-package/1", FORMAT_WITHOUT_ACCOUNTS, FORMAT, FORMAT_WITH_DISPOSED)
# The formats whose records may sign the account that wrote them (`recorded_by`).
FORMATS_WITH_ACCOUNTS = (FORMAT, FORMAT_WITH_DISPOSED)
DOCUMENTS = ("public_key.pem", "custody.jsonl", "proofs.json", "case.jsonld", "summary.txt")
REQUIRED = ("manifest.json", "manifest.sig", *DOCUMENTS)


@dataclass(frozen=True, slots=True)
class PackageContents:
    """Everything an export puts in a package."""

    org: str
    report_id: str
    evidence: Sequence[EvidenceRecord]
    blobs: dict[str, Path]  # sha256 -> stored file (none for an item disposed of)
    # every record of every evidence item, in log order; an item whose records hold `disposed`
    # is carried without its bytes (`disposals`)
    records: Sequence[CustodyRecord]
    tree_head: TreeHead
    proofs: dict[int, list[bytes]]  # seq -> inclusion proof in tree_head


def disposals(records: Sequence[CustodyRecord]) -> dict[str, CustodyRecord]:
    """The `disposed` record of each evidence item RECORDS (in log order) disposed of."""
    found: dict[str, CustodyRecord] = {}
    for record in records:
        if record.draft.event is CustodyEvent.DISPOSED:
            found.setdefault(record.draft.evidence_id, record)
    return found


def package_format(records: Sequence[CustodyRecord]) -> str:
    """The format a package of RECORDS says: /4 when one of its items was disposed of, else /3
    when one of them signs `recorded_by`, else /2."""
    if disposals(records):
        return FORMAT_WITH_DISPOSED
    if any(r.draft.recorded_by is not None for r in records):
        return FORMAT
    return FORMAT_WITHOUT_ACCOUNTS


def _as_binary(stream: Any) -> BinaryIO:
    return stream  # type: ignore[no-any-return]

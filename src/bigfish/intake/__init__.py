"""Intake: partners' files and API batches → reports with normalized identifiers."""

from __future__ import annotations

from bigfish.intake.manifest import ManifestEntry, load_manifest
from bigfish.intake.mapping import ColumnMapping, load_mapping
from bigfish.intake.service import (
    READERS,
    IngestResult,
    detect_format,
    forks_workers,
    ingest_file,
)

__all__ = [
    "READERS",
    "ColumnMapping",
    "IngestResult",
    "ManifestEntry",
    "detect_format",
    "forks_workers",
    "ingest_file",
    "load_manifest",
    "load_mapping",
]

"""Intake: partners' files and API batches → reports with normalized identifiers.

The names below are loaded when first used: `bigfish.intake.readers` (a JSON line's reader,
which `bigfish normalize` and the API's strict bodies use) is imported without the store,
SQLAlchemy and alembic that `ingest_file` needs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bigfish.intake.manifest import ManifestEntry, load_manifest
    from bigfish.intake.mapping import ColumnMapping, load_mapping
    from bigfish.intake.service import (
        READERS,
        IngestResult,
        detect_format,
        forks_workers,
        ingest_file,
    )

#: Each public name and the module that defines it.
_HOMES = {
    "ManifestEntry": "bigfish.intake.manifest",
    "load_manifest": "bigfish.intake.manifest",
    "ColumnMapping": "bigfish.intake.mapping",
    "load_mapping": "bigfish.intake.mapping",
    "READERS": "bigfish.intake.service",
    "IngestResult": "bigfish.intake.service",
    "detect_format": "bigfish.intake.service",
    "forks_workers": "bigfish.intake.service",
    "ingest_file": "bigfish.intake.service",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


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

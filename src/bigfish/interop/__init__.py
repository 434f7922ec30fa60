"""Federation and interoperability: STIX 2.1, TAXII 2.1, MISP, node-to-node sync.

Importing this package registers the `stix` and `misp` readers of `bigfish ingest`.
"""

from __future__ import annotations

from bigfish.intake.service import READERS
from bigfish.interop.export import (
    FORMATS,
    ExportResult,
    export_csv,
    export_misp,
    export_stix,
    export_xlsx,
)
from bigfish.interop.misp import read_misp
from bigfish.interop.stix_import import read_stix

READERS.setdefault("stix", read_stix)
READERS.setdefault("misp", read_misp)

__all__ = [
    "FORMATS",
    "ExportResult",
    "export_csv",
    "export_misp",
    "export_stix",
    "export_xlsx",
    "read_misp",
    "read_stix",
]

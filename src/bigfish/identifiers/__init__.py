"""Canonical identifiers (spec/identifiers.md): normalize, extract from text, blind.

A pure core: values in, values out, no I/O. One module per kind (phone, url, domain, email,
bank, crypto, handle, ip); ``text`` holds the pre-processing every value goes through.
"""

from __future__ import annotations

from bigfish.identifiers.blind import blind
from bigfish.identifiers.domain import registrable_domain
from bigfish.identifiers.extract import extract
from bigfish.identifiers.model import Found, Identifier
from bigfish.identifiers.registry import normalize
from bigfish.models import Kind

__all__ = [
    "Found",
    "Identifier",
    "Kind",
    "blind",
    "extract",
    "normalize",
    "registrable_domain",
]

"""Blinded (keyed-hash) form of a canonical identifier, for privacy-preserving matching."""

from __future__ import annotations

import hashlib
import hmac

from bigfish.errors import InputError
from bigfish.identifiers.registry import as_kind
from bigfish.models import Kind

BLIND_VERSION = "v1"


def blind(key: bytes, kind: Kind | str, canonical: str) -> str:
    """``HMAC-SHA256(key, "v1|" + kind + "|" + canonical)`` in hex (spec/identifiers.md).

    KIND is the canonical kind. Raises InputError for an empty key or an unknown kind.
    """
    if not key:
        raise InputError("the blinding key is empty", field="key")
    message = f"{BLIND_VERSION}|{as_kind(kind).value}|{canonical}"
    return hmac.new(key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

"""Signatures on the events of cooperation requests (pure).

Each node signs, with its Ed25519 node key (`bigfish.evidence.custody.NodeKey`, the key that
also signs the chain of custody), every status change made by an organization it hosts. The
signature covers the request id, every field of the event and what the request asks (its
content: `bigfish.cooperation.wire.request_content` — type, parties, urgency, legal basis,
summary, details, subjects, deadline, author, creation time), so a node that received a
partner's request, acknowledgement or fulfilment keeps a proof that the partner's node made it
for that very request, and a change or a request altered on the way (or made up by anyone
without the partner's key) is refused.

The message is a fixed label followed by the canonical JSON of the event with the request's
content (sorted keys, no spaces, UTF-8; times as STIX timestamps to the microsecond, exactly as
they travel). Label /1 signed the event alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bigfish.cooperation.model import RequestEvent
from bigfish.evidence.custody import NodeKey, canonical_json, verify_signature
from bigfish.interop.stix import timestamp

_LABEL = b"bigfish-request-event/2\n"
SIGNATURE = re.compile(r"^[0-9a-f]{128}$")  # an Ed25519 signature, hex
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")  # SHA-256 of the raw public key, hex


def event_message(request_id: str, event: RequestEvent, content: Mapping[str, Any]) -> bytes:
    """The bytes a node signs for EVENT of request REQUEST_ID, which asks CONTENT."""
    return _LABEL + canonical_json(
        {
            "request": dict(content),
            "request_id": request_id,
            "event_id": event.event_id,
            "at": timestamp(event.at),
            "org": event.org,
            "actor": event.actor,
            "from_status": event.from_status.value if event.from_status else None,
            "to_status": event.to_status.value,
            "note": event.note,
        }
    )


def sign_event(
    key: NodeKey, request_id: str, event: RequestEvent, content: Mapping[str, Any]
) -> str:
    """KEY's signature of EVENT of the request asking CONTENT, hex."""
    return key.sign(event_message(request_id, event, content))


def event_signed_by(
    public_key: Ed25519PublicKey,
    signature: str,
    request_id: str,
    event: RequestEvent,
    content: Mapping[str, Any],
) -> bool:
    """Whether SIGNATURE is PUBLIC_KEY's signature of EVENT of request REQUEST_ID asking
    CONTENT."""
    return verify_signature(public_key, signature, event_message(request_id, event, content))

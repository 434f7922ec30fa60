"""`bigfish audit verify` on a log rewritten and re-chained without the node key said "the head
(row 4) is its signature does not verify: the log was changed": every other reason a signed head
fails reads after "is" (unsigned, signed by another key, below a head signed before), this one
did not. It now reads "is signed, but its signature does not verify", and the server's alert row
("head 4 …: signed, but its signature does not verify: the log was changed without the node
key") says the same."""

from __future__ import annotations

from pathlib import Path

from bigfish.audit import verify_audit
from bigfish.store import Store
from tests.security.test_audit_signed_head import _lookups, _rechain


def test_a_head_whose_signature_does_not_verify_is_said_in_a_sentence(
    store: Store, tmp_path: Path
) -> None:
    signer = _lookups(store, tmp_path / "data", 4)
    _rechain(store, 2, status=403)
    reason = str(verify_audit(store, signer).reason)
    assert reason == (
        "the head (row 4) is signed, but its signature does not verify: the log was changed"
    ), reason

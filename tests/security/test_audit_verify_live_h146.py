"""Review h146: `bigfish audit verify` on a live node. The verifier read the head, then the
rows, each in a snapshot of its own, and read the node's high-water mark (the highest row a
head was signed at) last of all: a request recorded meanwhile made the log look cut ("the log
ends at row 2 but its head says row 1: rows were deleted from or added to the end") or cut back
("at row 1, below row 2 where a head was signed before"), alarms about tampering nobody did.
Head and rows are now read in one snapshot, and the mark before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.audit import AuditEntry, HeadSigner, record, verify_audit
from bigfish.evidence.log import signing_key
from bigfish.store import Store, open_store


def _entry(i: int) -> AuditEntry:
    return AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_request_recorded_while_verify_reads_is_no_broken_link(
    store: Store, tmp_path: Path, signed: bool
) -> None:
    signer = HeadSigner(signing_key(store, tmp_path), tmp_path) if signed else None
    record(store, [_entry(1)], signer)
    server = open_store(store.engine.url.render_as_string(hide_password=False))
    appended: list[int] = []

    def between_head_and_rows(
        conn: Any, cursor: Any, statement: str, *args: object, **kwargs: object
    ) -> None:
        if "FROM audit_log" in statement and not appended:
            appended.append(record(server, [_entry(2)], signer))  # the server answers a request

    sa.event.listen(store.engine, "before_cursor_execute", between_head_and_rows)
    try:
        check = verify_audit(store, signer)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", between_head_and_rows)
        server.close()
    assert appended == [2]
    assert check.ok, check.reason
    assert (check.rows, check.head_seq, check.signature_checked) == (1, 1, signed)
    again = verify_audit(store, signer)
    assert again.ok and again.rows == 2

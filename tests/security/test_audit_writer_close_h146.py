"""Review h146: an entry submitted while the audit writer closes is answered. submit() checked
`closed`, then queued: a close() in between put its sentinel first, the thread ended at it, and
the entry queued behind it was never committed nor failed (a batch lookup waits on its future
with no timeout)."""

from __future__ import annotations

import pytest

from bigfish.audit import AuditEntry, AuditWriter, verify_audit
from bigfish.store import Store


def _entry(i: int) -> AuditEntry:
    return AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


def test_an_entry_submitted_while_the_writer_closes_is_failed_not_left_waiting(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = AuditWriter(sqlite_store)
    assert writer.submit(_entry(1)).result(timeout=60) == 1
    start = writer._start

    def closed_meanwhile() -> None:  # close() runs between submit's check and its queueing
        start()
        writer.close()

    monkeypatch.setattr(writer, "_start", closed_meanwhile)
    future = writer.submit(_entry(2))
    assert future.done()
    with pytest.raises(RuntimeError, match="closed"):
        future.result(timeout=0)
    check = verify_audit(sqlite_store)
    assert check.ok and check.rows == 1

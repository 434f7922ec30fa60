"""The signed head: the node key signs the chain's head (last seq and hash) at every append.
The key and the marks that heads are signed here, and up to which row, live under the data
directory, beside the key and out of the database's reach, so whoever can write to the database
but does not hold the key cannot rewrite rows and re-chain them to a head that verifies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bigfish.audit.entry import now_iso

if TYPE_CHECKING:
    from bigfish.evidence.custody import NodeKey

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

#: Under the data directory: heads have been signed on this node (an unsigned head then means
#: the log was rewritten). Written once, by the first signed append or `bigfish audit seal`.
SIGNING_MARK = Path("keys") / "audit-head-signed"
#: Under the data directory: the highest row a head was signed at here, so that a log cut back
#: to an earlier signed head (its rows after it deleted) is found.
HIGH_WATER = Path("keys") / "audit-head-seq"


def head_message(seq: int, row_hash: str) -> bytes:
    """What the node key signs for the head (SEQ, ROW_HASH)."""
    return f"bigfish-audit-head/1\n{seq}\n{row_hash}".encode()


@dataclass(frozen=True, slots=True)
class HeadSigner:
    """The node key, which signs the audit log's head, and the node's data directory, where the
    mark that heads are signed lives (beside the key, out of the database's reach)."""

    key: NodeKey
    data_dir: Path

    @property
    def started(self) -> bool:
        """True once heads have been signed on this node."""
        return (self.data_dir / SIGNING_MARK).exists()

    def start(self) -> None:
        """Mark that heads are signed from now on (idempotent)."""
        mark = self.data_dir / SIGNING_MARK
        if not mark.exists():
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.write_text(f"{self.key.fingerprint} {now_iso()}\n", encoding="utf-8")

    def signed_up_to(self) -> int:
        """The highest row a head was signed at on this node (0: none recorded)."""
        try:
            return int((self.data_dir / HIGH_WATER).read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def note(self, seq: int) -> None:
        """Record that the head at row SEQ was signed (the highest wins; processes queue on the
        file's lock), after its transaction committed."""
        path = self.data_dir / HIGH_WATER
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            current = os.pread(fd, 32, 0).strip()
            if current.isdigit() and int(current) >= seq:
                return
            os.pwrite(fd, f"{seq:020d}\n".encode("ascii"), 0)
        finally:
            os.close(fd)  # releases the lock

    def seal(self, seq: int, row_hash: str) -> dict[str, object]:
        """The head columns for (SEQ, ROW_HASH), signed."""
        signature = self.key.sign(head_message(seq, row_hash))
        return {"signature": signature, "signed_by": self.key.fingerprint}

    def problem(
        self,
        seq: int,
        row_hash: str,
        signature: str | None,
        by: str | None,
        highest: int | None = None,
    ) -> str | None:
        """Why the head (SEQ, ROW_HASH, SIGNATURE, BY) found in the database does not verify
        with this key, or None when it does (or was written before heads were signed here).
        HIGHEST: the high-water mark as read before the head was (read now when None)."""
        highest = self.signed_up_to() if highest is None else highest
        if seq < highest:
            return f"at row {seq}, below row {highest} where a head was signed before"
        if seq == 0:
            return None
        if signature is None or by is None:
            return "unsigned, though heads are signed on this node" if self.started else None
        if by != self.key.fingerprint:
            return f"signed by key {by[:16]}…, not by this node's key {self.key.fingerprint[:16]}…"
        from bigfish.evidence.custody import verify_signature

        if not verify_signature(self.key.public_key, signature, head_message(seq, row_hash)):
            return "its signature does not verify"
        return None


def _unsigned() -> dict[str, object]:
    return {"signature": None, "signed_by": None}

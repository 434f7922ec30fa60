"""The signed head: the node key signs the chain's head (its chain id, last seq and hash) at every
append. The key and the marks that heads are signed here, and up to which row, live under the
data directory, beside the key and out of the database's reach, so whoever can write to the
database but does not hold the key cannot rewrite rows and re-chain them to a head that verifies.

A data directory may serve several databases (a test database beside the real one, a move from
SQLite to PostgreSQL): each database's chain has a random id, made when the chain starts and
signed into every head, and the marks are kept per chain id, so one chain's marks are never held
against another's. The data directory also remembers which chain it signed for each database
(by its file or server and name): a log wiped and started again, or another database's chain
copied in, is a different chain in the same place, and does not verify.

Marks written before chains had ids (`SIGNING_MARK`, `HIGH_WATER`) were made for the one
database the data directory served then. They are held against the first chain whose head is
signed here after the upgrade, which claims them for good (`LEGACY_CLAIM` names it); until then
every chain is checked against them, as before. A head signed before chain ids (without one)
verifies until its chain's first head signed with its id: from then on it is refused, so a chain
of another database signed before the upgrade cannot be swapped in under this chain's id."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bigfish.audit.entry import now_iso

if TYPE_CHECKING:
    import sqlalchemy as sa

    from bigfish.evidence.custody import NodeKey

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

#: Under the data directory, written before chains had ids: heads have been signed on this node
#: (an unsigned head then means the log was rewritten). Read only, for the chain that claims it.
SIGNING_MARK = Path("keys") / "audit-head-signed"
#: Under the data directory, written before chains had ids: the highest row a head was signed at.
HIGH_WATER = Path("keys") / "audit-head-seq"
#: Under the data directory: the id of the chain that claimed the two marks above.
LEGACY_CLAIM = Path("keys") / "audit-head-chain"
#: Under the data directory: one folder per chain id (`signed`, `seq`: the two marks above, for
#: heads signed with the chain id) and `places/`, the chain signed for each database.
CHAIN_MARKS = Path("keys") / "audit-chains"

_CHAIN_ID = re.compile(r"[0-9a-f]{32}")

# What this process already knows of the marks, so that a note (every batch the server commits)
# costs a file lock and a write, as before chain ids, and not a dozen more file reads: the data
# directories whose old marks are claimed or absent (neither changes back: bigfish no longer
# writes them), and the chain each place mark was last seen or written to name.
_LEGACY_SETTLED: set[Path] = set()
_PLACE_SEEN: dict[Path, str] = {}


def new_chain_id() -> str:
    """A new chain's id: 32 random hex digits."""
    return secrets.token_hex(16)


def head_message(seq: int, row_hash: str, chain: str | None = None) -> bytes:
    """What the node key signs for the head (SEQ, ROW_HASH) of chain CHAIN (None: the message
    of heads signed before chains had ids)."""
    if chain is None:
        return f"bigfish-audit-head/1\n{seq}\n{row_hash}".encode()
    return f"bigfish-audit-head/2\n{chain}\n{seq}\n{row_hash}".encode("utf-8", "surrogatepass")


def database_place(url: sa.URL) -> str | None:
    """Where the database at URL lives, as the marks name it: a SQLite file's real path, a
    server's host, port and database (None: in memory, where nothing outlives the process)."""
    database = url.database
    if url.get_backend_name() == "sqlite":
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return os.path.realpath(database)
    host = (url.host or "localhost").lower()
    return f"{url.get_backend_name()}://{host}:{url.port or ''}/{database or ''}"


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _raise_to(path: Path, seq: int) -> None:
    """Write SEQ into PATH unless it holds a higher one (processes queue on the file's lock)."""
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


def _write_new(path: Path, text: str) -> bool:
    """Create PATH holding TEXT, whole or not at all; False when it exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    draft.write_text(text, encoding="utf-8")
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def _replace(path: Path, text: str) -> None:
    """Write TEXT into PATH whole (a reader sees the old text or the new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, path)


@dataclass(frozen=True, slots=True)
class HeadSigner:
    """The node key, which signs the audit log's head, and the node's data directory, where the
    marks that heads are signed live (beside the key, out of the database's reach).

    `bigfish.audit` binds it to the chain it writes or checks (`for_chain`): the chain's id and
    the place of its database. Unbound, its marks are the whole data directory's (any chain)."""

    key: NodeKey
    data_dir: Path
    chain: str | None = None
    place: str | None = None
    bound: bool = False

    def for_chain(self, chain: str | None, place: str | None) -> HeadSigner:
        """This signer for the chain CHAIN (its head's id; None: a head without one) of the
        database at PLACE (`database_place`; None: not remembered)."""
        return replace(self, chain=chain, place=place, bound=True)

    # -- where the marks live -------------------------------------------------------------

    def _chain_dir(self, chain: str) -> Path:
        # An id read from the database names a folder only when it is one bigfish makes.
        name = chain if _CHAIN_ID.fullmatch(chain) else "x" + _digest(chain)
        return self.data_dir / CHAIN_MARKS / name

    def _place_mark(self, place: str) -> Path:
        return self.data_dir / CHAIN_MARKS / "places" / _digest(place)

    def _legacy_claim(self) -> str | None:
        try:
            return (self.data_dir / LEGACY_CLAIM).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def _legacy_marks(self) -> bool:
        return (self.data_dir / SIGNING_MARK).exists() or (self.data_dir / HIGH_WATER).exists()

    def _legacy_applies(self) -> bool:
        """Whether the marks written before chain ids are this chain's: claimed by it, or by no
        chain yet."""
        if not self._legacy_marks():
            return False
        claim = self._legacy_claim()
        return claim is None or (self.chain is not None and claim == self.chain)

    def _claim_legacy(self) -> None:
        if self.chain is None or self.data_dir in _LEGACY_SETTLED:
            return
        claim = self.data_dir / LEGACY_CLAIM
        if not claim.exists() and self._legacy_marks():
            _write_new(claim, f"{self.chain}\n")
        _LEGACY_SETTLED.add(self.data_dir)

    def _all_chain_dirs(self) -> list[Path]:
        folder = self.data_dir / CHAIN_MARKS
        if not folder.is_dir():
            return []
        return [p for p in folder.iterdir() if p.is_dir() and p.name != "places"]

    # -- the marks ------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """True once heads of this chain have been signed here (unbound: of any chain)."""
        if not self.bound:
            return (self.data_dir / SIGNING_MARK).exists() or any(
                (folder / "signed").exists() for folder in self._all_chain_dirs()
            )
        if self.chain is not None and (self._chain_dir(self.chain) / "signed").exists():
            return True
        return self._legacy_applies() and (self.data_dir / SIGNING_MARK).exists()

    def _signed_with_id(self) -> bool:
        return self.chain is not None and (self._chain_dir(self.chain) / "signed").exists()

    def start(self) -> None:
        """Mark that heads of this chain are signed, with its id, from now on (idempotent)."""
        if not self.bound or self.chain is None:  # only `bigfish.audit`'s bound signers sign
            return
        self._claim_legacy()
        mark = self._chain_dir(self.chain) / "signed"
        if not mark.exists():
            _write_new(mark, f"{self.key.fingerprint} {now_iso()}\n")

    def signed_up_to(self) -> int:
        """The highest row a head of this chain was signed at here (0: none recorded; unbound:
        the highest of any chain)."""
        legacy = _read_int(self.data_dir / HIGH_WATER)
        if not self.bound:
            chains = [_read_int(folder / "seq") for folder in self._all_chain_dirs()]
            return max([legacy, *chains])
        own = _read_int(self._chain_dir(self.chain) / "seq") if self.chain is not None else 0
        return max(own, legacy) if self._legacy_applies() else own

    def note(self, seq: int) -> None:
        """Record that the head of this chain at row SEQ was signed (the highest wins), and that
        this chain is the one of its database, after its transaction committed."""
        if not self.bound or self.chain is None:
            return
        self._claim_legacy()
        _raise_to(self._chain_dir(self.chain) / "seq", seq)
        if self.place is not None:
            mark = self._place_mark(self.place)
            if _PLACE_SEEN.get(mark) != self.chain and self._chain_at(mark) != self.chain:
                _replace(mark, f"{self.chain}\n{self.place}\n")
            _PLACE_SEEN[mark] = self.chain

    @staticmethod
    def _chain_at(mark: Path) -> str | None:
        with contextlib.suppress(FileNotFoundError):
            return mark.read_text(encoding="utf-8").split("\n", 1)[0]
        return None

    # -- signing and checking -------------------------------------------------------------

    def seal(self, seq: int, row_hash: str) -> dict[str, object]:
        """The head columns for (SEQ, ROW_HASH), signed (with the chain id when bound to one)."""
        signature = self.key.sign(head_message(seq, row_hash, self.chain))
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
        if self.bound:
            found = self._not_this_chain()
            if found is not None:
                return found
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

        if self.chain is not None and verify_signature(
            self.key.public_key, signature, head_message(seq, row_hash, self.chain)
        ):
            return None
        if verify_signature(self.key.public_key, signature, head_message(seq, row_hash)):
            if not self._signed_with_id():
                return None  # signed before chain ids, and no head of this chain since
            return "signed without its chain id, though this chain's heads are signed with it"
        return "signed, but its signature does not verify"

    def _not_this_chain(self) -> str | None:
        """Why the chain found is not the one this data directory signed for its database."""
        if self.chain is not None and not _CHAIN_ID.fullmatch(self.chain):
            return f"of a chain whose id {self.chain[:40]!r} is not one bigfish makes"
        if self.place is None:
            return None
        known = self._chain_at(self._place_mark(self.place))
        if known is None or known == self.chain:
            return None
        up_to = _read_int(self._chain_dir(known) / "seq")
        found = f"chain {self.chain}" if self.chain else "no chain id"
        return (
            f"of {found}, but this data directory signed chain {known} up to row {up_to} for "
            "this database: its log was wiped or replaced"
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _unsigned() -> dict[str, object]:
    return {"signature": None, "signed_by": None}

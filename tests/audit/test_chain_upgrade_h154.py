"""Upgrading to audit chain ids (migration 0023): a database whose chain began before gets an id,
its head signed without one keeps verifying, and the marks the data directory kept before (no
chain id) still find a cut: the first chain signed after the upgrade claims them for good."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.audit import (
    ALERT_ACTION,
    HIGH_WATER,
    LEGACY_CLAIM,
    SIGNING_MARK,
    AuditEntry,
    HeadSigner,
    head_message,
    record,
    verify_audit,
)
from bigfish.evidence.log import signing_key
from bigfish.store import Store, metadata, open_store
from bigfish.store.schema_access import audit_head, audit_log
from tests.store.test_migrations import run_migration


def _entry(i: int) -> AuditEntry:
    return AuditEntry(f"key:{i}", "A", "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


def _head(store: Store) -> dict[str, object]:
    with store.connect() as conn:
        return dict(conn.execute(sa.select(audit_head)).one()._asdict())


def _actions(store: Store) -> list[str]:
    with store.connect() as conn:
        return list(conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())


def _before_chain_ids(store: Store, data: Path, rows: int, highest: int | None = None) -> None:
    """STORE and DATA as bigfish left them before 0023: ROWS entries, the head signed without a
    chain id, the marks `audit-head-signed` and `audit-head-seq` (HIGHEST, else ROWS)."""
    for i in range(rows):
        record(store, [_entry(i)])
    run_migration(store, "downgrade", "0022")
    key = signing_key(store, data)
    with store.begin() as conn:
        seq, digest = conn.execute(sa.text("SELECT seq, row_hash FROM audit_head")).one()
        conn.execute(
            sa.text("UPDATE audit_head SET signature = :s, signed_by = :b"),
            {"s": key.sign(head_message(seq, digest)), "b": key.fingerprint},
        )
    (data / SIGNING_MARK).write_text(f"{key.fingerprint} 2026-01-01T00:00:00Z\n")
    (data / HIGH_WATER).write_text(f"{highest or rows:020d}\n")


def test_an_upgraded_chain_gets_an_id_and_keeps_verifying(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _before_chain_ids(store, data, 3)
    with store.connect() as conn:
        kept = dict(conn.execute(sa.text("SELECT * FROM audit_head")).one()._asdict())
    run_migration(store, "upgrade", "head")
    chain = _head(store)["chain_id"]
    assert isinstance(chain, str) and re.fullmatch(r"[0-9a-f]{32}", chain)
    signer = HeadSigner(signing_key(store, data), data)
    check = verify_audit(store, signer)  # the head signed without an id still verifies
    assert check.ok and check.signature_checked and check.chain_id == chain, check.reason
    assert not (data / LEGACY_CLAIM).exists()  # verifying claims nothing

    record(store, [_entry(9)], signer)  # the server's next request
    assert ALERT_ACTION not in _actions(store)
    assert (data / LEGACY_CLAIM).read_text().strip() == chain
    assert verify_audit(store, signer).signature_checked

    # a head signed without the id is refused from now on (another database's, from before)
    head = _head(store)
    old_style = signer.key.sign(head_message(int(str(head["seq"])), str(head["row_hash"])))
    with store.begin() as conn:
        conn.execute(audit_head.update().values(signature=old_style))
    check = verify_audit(store, signer)
    assert not check.ok and "without its chain id" in str(check.reason)

    # and the chain cut back to the head kept from before the upgrade is found
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq > kept["seq"]))
        conn.execute(audit_head.update().values(kept | {"chain_id": chain}))
    check = verify_audit(store, signer)
    assert not check.ok and "below row 4" in str(check.reason)


def test_a_cut_made_before_the_upgrade_is_still_found(store: Store, tmp_path: Path) -> None:
    """The data directory signed row 6; the database came back at row 3 (its signed head kept)."""
    data = tmp_path / "data"
    _before_chain_ids(store, data, 3, highest=6)
    run_migration(store, "upgrade", "head")
    signer = HeadSigner(signing_key(store, data), data)
    check = verify_audit(store, signer)
    assert not check.ok and "below row 6" in str(check.reason)
    record(store, [_entry(9)], signer)  # the server records what it found, for good
    assert _actions(store)[3] == ALERT_ACTION
    assert not verify_audit(store, signer).ok


def test_old_marks_claimed_by_one_chain_are_not_held_against_another(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _before_chain_ids(store, data, 4)
    run_migration(store, "upgrade", "head")
    signer = HeadSigner(signing_key(store, data), data)
    record(store, [_entry(9)], signer)  # claims the old marks (row 4) for this chain
    other = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    try:
        record(other, [_entry(1)], signer)  # a new database, at row 1
        assert ALERT_ACTION not in _actions(other)
        check = verify_audit(other, signer)
        assert check.ok and check.signature_checked, check.reason
    finally:
        other.close()
    assert verify_audit(store, signer).ok


def test_0023_audit_chain_id_downgrades_and_upgrades_again(store: Store) -> None:
    record(store, [_entry(1)])

    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("audit_head")}

    assert "chain_id" in columns()
    run_migration(store, "downgrade", "0022")
    assert "chain_id" not in columns()
    run_migration(store, "upgrade", "head")
    assert "chain_id" in columns() and _head(store)["chain_id"] is not None
    with store.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert verify_audit(store).ok

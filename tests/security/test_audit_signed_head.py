"""Class 19, with the key: the audit log's head is signed by the node key, so whoever can write
to the database but does not hold the key cannot rewrite rows and re-chain them unnoticed."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bigfish.accounts import create_key
from bigfish.api import create_app
from bigfish.audit import (
    ALERT_ACTION,
    AuditEntry,
    HeadSigner,
    record,
    row_hash,
    seal_audit,
    verify_audit,
)
from bigfish.cli import app as cli
from bigfish.evidence.custody import NodeKey, load_node_key
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log
from tests.store.test_migrations import _run


def _lookups(store: Store, data_dir: Path, requests: int, org: str = "A") -> HeadSigner:
    """Answer REQUESTS lookups through an API built with DATA_DIR; the signer it used."""
    add_org(store, org, country="TH")
    key = create_key(store, org=org, role=ApiRole.ANALYST).secret
    with TestClient(create_app(store, data_dir=data_dir)) as client:
        for i in range(requests):
            answer = client.get(
                "/api/v1/lookup",
                params={"kind": "phone", "value": f"+6681234567{i}"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200
    return HeadSigner(load_node_key(data_dir), data_dir)


def _rechain(store: Store, seq: int, **changes: object) -> None:
    """What someone with the database and without the key can do: change row SEQ, recompute
    every hash and move the head to the new end (its old signature stays)."""
    with store.begin() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
        prev = "0" * 64
        for row in rows:
            values = row._asdict() | (changes if row.seq == seq else {})
            entry = AuditEntry(
                values["actor"],
                values["org"],
                values["action"],
                values["target"],
                values["status"],
                values["at"],
            )
            digest = row_hash(row.seq, entry, prev)
            update = {**(changes if row.seq == seq else {}), "prev_hash": prev, "row_hash": digest}
            conn.execute(audit_log.update().where(audit_log.c.seq == row.seq).values(update))
            prev = digest
        conn.execute(audit_head.update().values(row_hash=prev))


def _actions(store: Store) -> list[str]:
    with store.connect() as conn:
        return list(conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())


def test_the_server_signs_the_head_and_a_rechained_log_no_longer_verifies(
    store: Store, tmp_path: Path
) -> None:
    signer = _lookups(store, tmp_path / "data", 4)
    check = verify_audit(store, signer)
    assert check.ok and check.signature_checked and check.signed_by == signer.key.fingerprint
    assert check.rows == 4 and signer.started
    _rechain(store, 2, status=403)
    assert verify_audit(store).ok  # the chain alone cannot tell: it was recomputed
    check = verify_audit(store, signer)
    assert not check.ok and "signature does not verify" in str(check.reason)
    with store.begin() as conn:  # nor can the signature be dropped: heads are signed here
        conn.execute(audit_head.update().values(signature=None, signed_by=None))
    check = verify_audit(store, signer)
    assert not check.ok and "unsigned" in str(check.reason)


def test_the_next_request_records_a_head_that_did_not_verify_for_good(
    store: Store, tmp_path: Path
) -> None:
    """Re-signing on the next append must not launder a rewritten log: the server first adds
    an alert row, which the new signed head covers and the verifier reports from then on."""
    data = tmp_path / "data"
    signer = _lookups(store, data, 3)
    _rechain(store, 1, actor="key:someone-else")
    _lookups(store, data, 2, org="B")
    actions = _actions(store)
    assert actions.count(ALERT_ACTION) == 1 and actions[3] == ALERT_ACTION
    check = verify_audit(store, signer)
    assert not check.ok and check.broken_seq == 4
    assert "head 3" in str(check.reason) and "signature does not verify" in str(check.reason)
    assert not verify_audit(store).ok  # with or without the key
    assert not seal_audit(store, signer).ok  # and sealing cannot clear it


def test_a_head_signed_by_another_key_is_refused(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _lookups(store, data, 2)
    other = HeadSigner(NodeKey(Ed25519PrivateKey.generate()), data)
    check = verify_audit(store, other)
    assert not check.ok and "not by this node's key" in str(check.reason)


def test_seal_signs_a_head_written_before_heads_were_signed_and_nothing_else(
    store: Store, tmp_path: Path
) -> None:
    record(store, [AuditEntry("key:1", "A", "GET /api/v1/health", None, 200)])
    signer = HeadSigner(NodeKey(Ed25519PrivateKey.generate()), tmp_path / "data")
    unsigned = verify_audit(store, signer)  # written before heads were signed: nothing to check
    assert unsigned.ok and not unsigned.signature_checked and not signer.started
    sealed = seal_audit(store, signer)
    assert sealed.ok and sealed.signed_by == signer.key.fingerprint and signer.started
    assert verify_audit(store, signer).signature_checked
    record(store, [AuditEntry("key:1", "A", "GET /api/v1/health", None, 200)], signer)
    assert verify_audit(store, signer).ok and "AUDIT" not in " ".join(_actions(store))
    with store.begin() as conn:  # now an unsigned head is a changed log, and seal refuses it
        conn.execute(audit_head.update().values(signature=None, signed_by=None))
    refused = seal_audit(store, signer)
    assert not refused.ok and "unsigned" in str(refused.reason)
    with store.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(status=500))
    broken = seal_audit(store, signer)
    assert not broken.ok and broken.broken_seq == 1


def test_audit_verify_and_seal_at_the_console(sqlite_store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = _lookups(sqlite_store, data, 4)
    url = str(sqlite_store.engine.url)
    runner = CliRunner()

    def run(*args: str, data_dir: Path = data) -> tuple[int, str]:
        done = runner.invoke(cli, ["--db", url, "--data-dir", str(data_dir), "audit", *args])
        return done.exit_code, done.output

    code, out = run("verify")
    assert code == 0 and f"head signed by the node key {signer.key.fingerprint[:16]}" in out
    code, out = run("verify", data_dir=tmp_path / "none")
    assert code == 0 and "signature not checked" in out
    _rechain(sqlite_store, 1, actor="key:someone-else")
    code, out = run("verify", "--json")
    assert code == 1 and '"signature_checked": false' in out and "does not verify" in out
    code, out = run("seal")
    assert code == 1 and "does not verify" in out


def test_0009_audit_head_signature_downgrades_and_upgrades_again(store: Store) -> None:
    def columns() -> set[str]:
        return {c["name"] for c in sa.inspect(store.engine).get_columns("audit_head")}

    assert {"signature", "signed_by"} <= columns()
    _run(store, "downgrade", "0008")
    assert not {"signature", "signed_by"} & columns()
    _run(store, "upgrade", "head")
    assert {"signature", "signed_by"} <= columns()


def test_a_log_cut_back_to_an_earlier_signed_head_is_found(store: Store, tmp_path: Path) -> None:
    """Someone who kept an earlier head row (its signature included) deletes the rows after it
    and restores it: the chain and the signature verify, but the data directory remembers the
    highest row signed, and the next request records the cut for good."""
    data = tmp_path / "data"
    signer = _lookups(store, data, 2)
    with store.connect() as conn:
        kept = conn.execute(sa.select(audit_head)).one()._asdict()
    _lookups(store, data, 2, org="B")
    assert signer.signed_up_to() == 4
    with store.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq > kept["seq"]))
        conn.execute(audit_head.update().values(kept))
    assert verify_audit(store).ok  # without the data directory, a shorter log that verifies
    check = verify_audit(store, signer)
    assert not check.ok and "below row 4" in str(check.reason)
    _lookups(store, data, 3, org="C")  # the server goes on, recording what it found
    assert _actions(store).count(ALERT_ACTION) == 1
    check = verify_audit(store, signer)
    assert not check.ok and check.broken_seq == 3 and "below row 4" in str(check.reason)

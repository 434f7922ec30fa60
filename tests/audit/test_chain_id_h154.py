"""One data directory, several databases: each audit chain has an id signed into its heads, and
the node's marks are kept per chain id, so a second database served with the same --data-dir
verifies (it used to carry a lasting false alarm: "below row N where a head was signed before").
Tampering is still found: a row deleted or rewritten, the tail cut, the log wiped, another
database's chain copied in with its own id or under this one's."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import (
    ALERT_ACTION,
    CHAIN_MARKS,
    AuditEntry,
    HeadSigner,
    head_message,
    record,
    row_hash,
    verify_audit,
)
from bigfish.cli import app as cli
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.log import signing_key
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.store import Store, open_store
from bigfish.store.schema_access import audit_head, audit_log


def _entry(i: int, org: str = "A") -> AuditEntry:
    return AuditEntry(f"key:{i}", org, "GET /api/v1/lookup", f"/api/v1/lookup?value={i}", 200)


def _requests(store: Store, data: Path, count: int, org: str = "A") -> HeadSigner:
    """COUNT entries recorded as the server records them, the head signed with DATA's key."""
    signer = HeadSigner(signing_key(store, data), data)
    for i in range(count):
        record(store, [_entry(i, org)], signer)
    return signer


def _head(store: Store) -> dict[str, object]:
    with store.connect() as conn:
        return dict(conn.execute(sa.select(audit_head)).one()._asdict())


def _rows(store: Store) -> list[dict[str, object]]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        return [dict(row._asdict()) for row in rows]


def _actions(store: Store) -> list[str]:
    return [str(row["action"]) for row in _rows(store)]


def _second(tmp_path: Path, name: str = "second.db") -> Store:
    return open_store(f"sqlite:///{tmp_path / name}")


def test_a_second_database_served_with_the_same_data_dir_verifies(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    signer = _requests(store, data, 5)
    other = _second(tmp_path)
    try:
        _requests(other, data, 2, org="B")  # a test database beside the real one
        for db, rows in ((store, 5), (other, 2)):
            check = verify_audit(db, signer)
            assert check.ok, check.reason
            assert check.rows == rows and check.signature_checked
            assert ALERT_ACTION not in _actions(db)
        _requests(store, data, 1)  # back to the first: no alarm either way
        _requests(other, data, 1, org="B")
        assert ALERT_ACTION not in _actions(store) + _actions(other)
        assert verify_audit(store, signer).ok and verify_audit(other, signer).ok
        first, second = _head(store)["chain_id"], _head(other)["chain_id"]
        assert isinstance(first, str) and len(first) == 32 and first != second
        assert {p.name for p in (data / CHAIN_MARKS).iterdir()} >= {first, second}
    finally:
        other.close()


def test_the_chain_id_is_signed_into_the_head(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = _requests(store, data, 2)
    head = _head(store)
    message = head_message(int(str(head["seq"])), str(head["row_hash"]), str(head["chain_id"]))
    assert b"bigfish-audit-head/2\n" + str(head["chain_id"]).encode() in message
    from bigfish.evidence.custody import verify_signature

    assert verify_signature(signer.key.public_key, str(head["signature"]), message)
    check = verify_audit(store, signer)
    assert check.ok and check.chain_id == head["chain_id"]


def test_rows_deleted_rewritten_or_cut_are_still_found_beside_another_chain(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    other = _second(tmp_path)
    try:
        _requests(other, data, 6, org="B")  # another chain, further along, in the same data dir
        signer = _requests(store, data, 3)
        kept = _head(store)
        _requests(store, data, 2)
        with store.begin() as conn:  # the tail cut back to an earlier signed head
            conn.execute(audit_log.delete().where(audit_log.c.seq > kept["seq"]))
            conn.execute(audit_head.update().values(kept))
        check = verify_audit(store, signer)
        assert not check.ok and "below row 5" in str(check.reason)
        assert verify_audit(other, signer).ok  # the other chain is not affected
        with store.begin() as conn:  # a row rewritten
            conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(status=500))
        check = verify_audit(store, signer)
        assert not check.ok and check.broken_seq == 2
        with store.begin() as conn:  # a row deleted
            conn.execute(audit_log.delete().where(audit_log.c.seq == 2))
        assert not verify_audit(store, signer).ok
    finally:
        other.close()


def test_a_wiped_log_is_a_new_chain_where_the_data_dir_signed_another(
    store: Store, tmp_path: Path
) -> None:
    """Rows and head deleted: the next entry starts a chain with a new id. The data directory
    remembers which chain it signed for this database, so that is no fresh database."""
    data = tmp_path / "data"
    signer = _requests(store, data, 3)
    with store.begin() as conn:
        conn.execute(audit_log.delete())
        conn.execute(audit_head.delete())
    check = verify_audit(store, signer)
    assert not check.ok and "wiped or replaced" in str(check.reason)
    _requests(store, data, 1)  # the server goes on, and records what it found for good
    assert _actions(store)[0] == ALERT_ACTION
    check = verify_audit(store, signer)
    assert not check.ok and check.broken_seq == 1 and "wiped or replaced" in str(check.reason)


def _copy_log(source: Store, target: Store, **head: object) -> None:
    """Replace TARGET's audit log with SOURCE's rows and head (HEAD's columns changed)."""
    rows, copied = _rows(source), _head(source) | head
    with target.begin() as conn:
        conn.execute(audit_log.delete())
        conn.execute(audit_log.insert(), rows)
        conn.execute(audit_head.update().values(copied))


def test_another_databases_chain_copied_in_is_found(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = _requests(store, data, 2)
    own = _head(store)["chain_id"]
    other = _second(tmp_path)
    try:
        _requests(other, data, 5, org="B")  # signed with the same key, further along
        _copy_log(other, store)  # with its own id: a chain this data dir signed elsewhere
        check = verify_audit(store, signer)
        assert not check.ok and "wiped or replaced" in str(check.reason)
        _copy_log(other, store, chain_id=own)  # claiming this database's id
        check = verify_audit(store, signer)
        assert not check.ok and "signature does not verify" in str(check.reason)
        assert verify_audit(store).ok  # the chain alone cannot tell: only the key's marks
    finally:
        other.close()


def test_a_chain_id_that_bigfish_does_not_make_names_no_file(
    sqlite_store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    signer = _requests(sqlite_store, data, 1)
    with sqlite_store.begin() as conn:
        conn.execute(audit_head.update().values(chain_id="../../../outside"))
    check = verify_audit(sqlite_store, signer)
    assert not check.ok and "not one bigfish makes" in str(check.reason)
    _requests(sqlite_store, data, 1)
    assert ALERT_ACTION in _actions(sqlite_store)
    assert not (tmp_path / "outside").exists() and not (data / "outside").exists()
    assert all(p.name != "outside" for p in data.rglob("*"))


def test_console_commands_on_two_databases_with_one_data_dir(tmp_path: Path) -> None:
    """What README warned against: `org add` on a test database with the real --data-dir."""
    data = tmp_path / "data"
    load_or_create_node_key(data)
    runner = CliRunner()
    for step, name in enumerate(("real.db", "test.db", "real.db", "test.db")):
        url = f"sqlite:///{tmp_path / name}"
        org = ["org", "add", f"org-{step}", "--country", "TH"]
        done = runner.invoke(cli, ["--db", url, "--data-dir", str(data), *org])
        assert done.exit_code == 0, done.output
        done = runner.invoke(cli, ["--db", url, "--data-dir", str(data), "audit", "verify"])
        assert done.exit_code == 0 and "head signed by the node key" in done.output, done.output
    key = load_node_key(data)
    for name in ("real.db", "test.db"):
        db = open_store(f"sqlite:///{tmp_path / name}")
        try:
            assert ALERT_ACTION not in _actions(db)
            assert verify_audit(db, HeadSigner(key, data)).signature_checked
        finally:
            db.close()


def test_a_rechained_log_is_refused_on_each_chain(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    signer = _requests(store, data, 3)
    with store.begin() as conn:  # recomputed hashes: only the head's signature tells
        prev = "0" * 64
        for row in _rows(store):
            entry = AuditEntry(
                str(row["actor"]),
                row["org"],  # type: ignore[arg-type]
                str(row["action"]),
                row["target"],  # type: ignore[arg-type]
                500,
                str(row["at"]),
            )
            digest = row_hash(int(str(row["seq"])), entry, prev)
            values = {"status": 500, "prev_hash": prev, "row_hash": digest}
            conn.execute(audit_log.update().where(audit_log.c.seq == row["seq"]).values(values))
            prev = digest
        conn.execute(audit_head.update().values(row_hash=prev))
    check = verify_audit(store, signer)
    assert not check.ok and "signature does not verify" in str(check.reason)

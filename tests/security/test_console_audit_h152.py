"""Console actions that change access (a key, a user, a group, an organization) are in the audit
log the API writes, actor `console:<OS user>`, the head signed with the node key as the server
signs it: `bigfish audit verify` passes with console actions between server requests."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bigfish.accounts import create_key, list_keys
from bigfish.api import create_app
from bigfish.audit import ALERT_ACTION, HeadSigner, verify_audit
from bigfish.cli import app as cli
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_access import audit_head, audit_log

PASSWORD = "correct horse battery staple"


def _rows(store: Store) -> list[sa.Row[tuple[object, ...]]]:
    with store.connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)))


def _console(store: Store, data_dir: Path, *args: str) -> tuple[int, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(cli, ["--db", url, "--data-dir", str(data_dir), *args])
    return done.exit_code, done.output


def _requests(store: Store, data_dir: Path, key: str, count: int) -> None:
    """COUNT lookups through an API built with DATA_DIR (which signs the head)."""
    with TestClient(create_app(store, data_dir=data_dir)) as client:
        for i in range(count):
            answer = client.get(
                "/api/v1/lookup",
                params={"kind": "phone", "value": f"+6681234567{i}"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 200


def test_each_console_action_that_changes_access_appends_one_row(
    sqlite_store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "no-key-here"
    steps: list[tuple[str, ...]] = [
        ("org", "add", "th-aoc", "--country", "TH"),
        ("org", "add", "vn-police", "--country", "VN"),
        ("key", "create", "--org", "th-aoc", "--json"),
        ("user", "add", "alice", "--org", "th-aoc", "--password", PASSWORD),
        ("user", "disable", "alice"),
        ("user", "enable", "alice"),
        ("user", "password", "alice", "--password", PASSWORD + "!"),
        ("group", "add", "mekong", "--org", "vn-police", "--org", "th-aoc"),
    ]
    outputs = []
    for step in steps:
        code, out = _console(sqlite_store, data, *step)
        assert code == 0, out
        outputs.append(out)
    created = json.loads(outputs[2])
    code, out = _console(sqlite_store, data, "key", "revoke", str(created["id"]))
    assert code == 0, out

    rows = _rows(sqlite_store)
    found = [(r.actor, r.org, r.action, r.target, r.status) for r in rows]
    me = f"console:{getpass.getuser()}"
    key_id = str(created["id"])
    assert found == [
        (me, "th-aoc", "org add", "th-aoc", 201),
        (me, "vn-police", "org add", "vn-police", 201),
        (me, "th-aoc", "key create", key_id, 201),
        (me, "th-aoc", "user add", "alice", 201),
        (me, "th-aoc", "user disable", "alice", 200),
        (me, "th-aoc", "user enable", "alice", 200),
        (me, "th-aoc", "user password", "alice", 200),
        (me, "vn-police", "group add", "mekong", 201),
        (me, "th-aoc", "key revoke", key_id, 204),
    ]
    written = json.dumps([list(map(str, r)) for r in rows])
    assert created["key"] not in written and PASSWORD not in written
    assert verify_audit(sqlite_store).ok


def test_a_failed_console_command_writes_no_row(sqlite_store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _console(sqlite_store, data, "org", "add", "th-aoc", "--country", "TH")[0] == 0
    before = len(_rows(sqlite_store))
    failing: list[tuple[str, ...]] = [
        ("key", "create", "--org", "nowhere"),
        ("user", "add", "bob", "--org", "th-aoc", "--password", "short"),
        ("user", "disable", "nobody"),
        ("user", "password", "nobody", "--password", PASSWORD),
        ("group", "add", "mekong", "--org", "nowhere"),
        ("org", "add", "th-aoc", "--country", "TH"),
        ("key", "revoke", "999"),
    ]
    for step in failing:
        code, out = _console(sqlite_store, data, *step)
        assert code == 1, (step, out)
    assert len(_rows(sqlite_store)) == before == 1


@pytest.mark.postgres
def test_console_actions_between_server_requests_keep_the_signed_log_verifying(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    add_org(store, "A", country="TH")
    key = create_key(store, org="A", role=ApiRole.ANALYST).secret
    _requests(store, data, key, 2)
    code, out = _console(store, data, "key", "create", "--org", "A", "--json")
    assert code == 0, out
    code, out = _console(store, data, "user", "add", "alice", "--org", "A", "--password", PASSWORD)
    assert code == 0, out
    _requests(store, data, key, 2)

    actions = [r.action for r in _rows(store)]
    assert actions == [
        "GET /api/v1/lookup",
        "GET /api/v1/lookup",
        "key create",
        "user add",
        "GET /api/v1/lookup",
        "GET /api/v1/lookup",
    ]
    assert ALERT_ACTION not in actions
    check = verify_audit(store, HeadSigner(load_node_key(data), data))
    assert check.ok and check.signature_checked, check.reason
    code, out = _console(store, data, "audit", "verify", "--json")
    assert code == 0, out
    assert json.loads(out)["signature_checked"] is True


def test_a_console_action_on_an_empty_log_signs_the_head(
    sqlite_store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    node_key = load_or_create_node_key(data)
    code, out = _console(sqlite_store, data, "org", "add", "th-aoc", "--country", "TH")
    assert code == 0, out
    with sqlite_store.connect() as conn:
        head = conn.execute(sa.select(audit_head)).one()
    assert (head.seq, head.signed_by) == (1, node_key.fingerprint)
    code, out = _console(sqlite_store, data, "audit", "verify", "--json")
    assert code == 0, out
    assert json.loads(out) | {"head_hash": None} == {
        "ok": True,
        "rows": 1,
        "head_seq": 1,
        "head_hash": None,
        "broken_seq": None,
        "reason": None,
        "signed_by": node_key.fingerprint,
        "signature_checked": True,
    }
    # and the server appends to it afterwards without finding anything wrong
    key = create_key(sqlite_store, org="th-aoc", role=ApiRole.ANALYST).secret
    _requests(sqlite_store, data, key, 1)
    assert ALERT_ACTION not in [r.action for r in _rows(sqlite_store)]
    assert verify_audit(sqlite_store, HeadSigner(node_key, data)).signature_checked


def test_a_signed_log_without_the_node_key_refuses_the_action(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """An unsigned head after signed ones reads as a log changed without the key (the server
    would raise an alert on it): the console refuses, changing nothing, until given the key."""
    data = tmp_path / "data"
    add_org(sqlite_store, "A", country="TH")
    key = create_key(sqlite_store, org="A", role=ApiRole.ANALYST).secret
    _requests(sqlite_store, data, key, 1)
    keys_before = len(list_keys(sqlite_store, None))
    code, out = _console(sqlite_store, tmp_path / "elsewhere", "key", "create", "--org", "A")
    assert code == 1 and "--data-dir" in out
    assert len(list_keys(sqlite_store, None)) == keys_before
    assert [r.action for r in _rows(sqlite_store)] == ["GET /api/v1/lookup"]
    code, out = _console(sqlite_store, data, "key", "create", "--org", "A")
    assert code == 0, out
    assert verify_audit(sqlite_store, HeadSigner(load_node_key(data), data)).signature_checked


def test_the_actor_is_console_when_the_os_user_cannot_be_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unknown() -> str:
        raise OSError("No username set in the environment")

    from bigfish.audit import console_actor  # new in this change: the other tests run before it

    monkeypatch.setattr(getpass, "getuser", unknown)
    assert console_actor() == "console"


def test_audit_seal_is_recorded_after_the_head_it_sealed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    from bigfish.audit import AuditEntry, record

    data = tmp_path / "data"
    record(sqlite_store, [AuditEntry("key:1", "A", "GET /api/v1/lookup", None, 200)])
    code, out = _console(sqlite_store, data, "audit", "seal")
    assert code == 0 and "sealed: head 1 " in out, out
    rows = _rows(sqlite_store)
    last = rows[-1]
    assert (len(rows), last.actor, last.org, last.action, last.target, last.status) == (
        2,
        f"console:{getpass.getuser()}",
        None,
        "audit seal",
        "head 1",
        200,
    )
    check = verify_audit(sqlite_store, HeadSigner(load_node_key(data), data))
    assert check.ok and check.signature_checked and check.head_seq == 2, check.reason
    with sqlite_store.begin() as conn:  # a seal refused (a changed row) writes nothing
        conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(status=500))
    code, out = _console(sqlite_store, data, "audit", "seal")
    assert code == 1 and len(_rows(sqlite_store)) == 2, out

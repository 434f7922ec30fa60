"""The console commands of the access area: key create/revoke, group add, audit verify, lookup,
blind."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import AuditEntry, record
from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import open_store
from bigfish.store.schema_access import api_keys, audit_log

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "A", country="TH")
    add_org(store, "C", country="KH")
    store.close()
    return url


def test_key_create_prints_the_key_once_and_stores_a_hash(tmp_path: Path) -> None:
    url = _db(tmp_path)
    result = runner.invoke(
        app, ["--db", url, "key", "create", "--org", "A", "--role", "readonly", "--json"]
    )
    assert result.exit_code == 0, result.output
    key = json.loads(result.stdout)["key"]
    store = open_store(url)
    with store.connect() as conn:
        stored = conn.execute(sa.select(api_keys.c.key_hash, api_keys.c.prefix)).one()
    assert key not in stored and key.startswith("bf_")
    bad = runner.invoke(app, ["--db", url, "key", "create", "--org", "nobody"])
    assert bad.exit_code == 1 and "nobody" in bad.stderr
    plain = runner.invoke(app, ["--db", url, "key", "create", "--org", "C", "--label", "bank"])
    assert plain.stdout.strip().startswith("bf_") and "\n" not in plain.stdout.strip()
    second = int(plain.stderr.split("key id ")[1].split()[0])
    listed = json.loads(runner.invoke(app, ["--db", url, "key", "list", "--json"]).stdout)["keys"]
    first = json.loads(result.stdout)["id"]
    assert [(k["id"], k["org"], k["label"], k["revoked"]) for k in listed] == [
        (first, "A", None, False),
        (second, "C", "bank", False),
    ]
    assert key not in json.dumps(listed) and plain.stdout.strip() not in json.dumps(listed)
    assert all(k["created_at"].endswith("Z") for k in listed)  # as networks --json writes times
    assert runner.invoke(app, ["--db", url, "key", "revoke", str(second)]).exit_code == 0
    listed = runner.invoke(app, ["--db", url, "key", "list", "--org", "C"]).stdout
    assert listed.split("\t")[:4] == [str(second), "C", "analyst", "revoked"]


def test_group_blind_and_lookup(tmp_path: Path) -> None:
    url = _db(tmp_path)
    assert (
        runner.invoke(
            app, ["--db", url, "group", "add", "mekong", "--org", "A", "--org", "C"]
        ).exit_code
        == 0
    )
    values = tmp_path / "values.jsonl"
    values.write_text(
        '{"kind": "phone", "value": "081-234-5678", "country": "TH"}\n'
        '{"kind": "phone", "value": "12"}\n'
    )
    out = tmp_path / "blinded.jsonl"
    result = runner.invoke(
        app, ["--db", url, "blind", str(values), "--group", "mekong", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["line"] == 1 and len(lines[0]["blinded"]) == 64
    assert "values.jsonl:2" in result.stderr
    looked = runner.invoke(
        app, ["--db", url, "lookup", "081-234-5678", "--kind", "phone", "--country", "TH", "--json"]
    )
    assert json.loads(looked.stdout)["canonical"] == "+66812345678"
    plain = runner.invoke(
        app, ["--db", url, "lookup", "081-234-5678", "--kind", "phone", "--country", "TH"]
    )
    assert "valid: yes" in plain.stdout and "networks: -" in plain.stdout  # no Python values
    assert "True" not in plain.stdout and "[]" not in plain.stdout


def test_audit_verify_exits_1_on_a_changed_row(tmp_path: Path) -> None:
    url = _db(tmp_path)
    store = open_store(url)
    record(store, [AuditEntry("key:1", "A", "GET /api/v1/lookup", None, 200)] * 3)
    data = ["--data-dir", str(tmp_path / "data")]  # a node of its own, not the checkout's
    assert runner.invoke(app, ["--db", url, *data, "audit", "verify"]).exit_code == 0
    with store.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(org="B"))
    result = runner.invoke(app, ["--db", url, *data, "audit", "verify"])
    assert result.exit_code == 1 and "row 2" in result.stderr

"""`verify-log` holds each custody record's signed `recorded_by` to the audit log's row of its
action (console, API, web): a row naming another account is a problem, named; an action with no
row is counted and noted (a row may fail to commit after its action: README "Known
limitations"); records written before bigfish signed the account are not compared."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import AuditEntry, record
from bigfish.cli import app
from bigfish.evidence import service
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, get_evidence
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema_access import audit_log
from tests.api.helpers import Partnership, build_partnership, report
from tests.evidence.conftest import Node, add, add_report, export_r1
from tests.web.conftest import WebPartnership, csrf_of, fresh_throttle, web  # noqa: F401

UPLOAD = "POST /api/v1/reports/TH-AOC/R-1/evidence"


def _row(store: Store, actor: str, action: str, target: str, status: int) -> int:
    """Append the audit row an action's writer would (its time stamped now, as they do)."""
    return record(store, [AuditEntry(actor, "TH-AOC", action, target, status)])


def _access(node: Node, evidence_id: str, account: str) -> None:
    get_evidence(
        node.store,
        node.data_dir,
        node.a,
        evidence_id,
        Activity("Niran", "review"),
        recorded_by=account,
    )


def _set_actor(store: Store, seq: int, actor: str) -> None:
    with store.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == seq).values(actor=actor))


def _cli_node(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    return ["--db", url, "--data-dir", str(tmp_path / "data")]


def _console_actions(runner: CliRunner, opts: list[str], tmp_path: Path) -> str:
    """Add, show, seal and export (with and without --org) at the console; the evidence id."""
    chat = tmp_path / "chat.txt"
    chat.write_text("scammer: send 5000 baht\n")
    added = runner.invoke(
        app,
        [*opts, "evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-1", "--json"],
    )
    assert added.exit_code == 0, added.output
    evidence_id = str(json.loads(added.stdout)["evidence_id"])
    for step in (
        ["show", evidence_id],
        ["event", evidence_id, "--type", "sealed", "--purpose", "bag 7"],
        ["export", "--report", "R-1", "--out", str(tmp_path / "one.zip")],
        ["export", "--report", "R-1", "--org", "TH-AOC", "--out", str(tmp_path / "two.zip")],
    ):
        done = runner.invoke(app, [*opts, "evidence", *step])
        assert done.exit_code == 0, done.output
    return evidence_id


def test_console_actions_agree_with_their_audit_rows(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _cli_node(tmp_path)
    _console_actions(runner, opts, tmp_path)
    checked = runner.invoke(app, [*opts, "evidence", "verify-log", "--json"])
    assert checked.exit_code == 0, checked.output
    doc = json.loads(checked.stdout)
    assert (doc["records"], doc["recorded_by_checked"], doc["without_audit_row"]) == (5, 5, [])
    said = runner.invoke(app, [*opts, "evidence", "verify-log"])
    assert (
        said.exit_code == 0
        and "the recorded_by of 5 records agrees with the audit log" in said.stdout
    )
    assert "note:" not in said.stderr


def test_an_audit_row_changed_to_name_another_account_is_named(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _cli_node(tmp_path)
    evidence_id = _console_actions(runner, opts, tmp_path)
    store = open_store(opts[1])
    try:
        _set_actor(store, 2, "user:mallory")  # the row of `evidence show` (custody seq 2)
    finally:
        store.close()
    checked = runner.invoke(app, [*opts, "evidence", "verify-log"])
    assert checked.exit_code == 1, checked.output
    assert (
        f"custody log: {evidence_id}: custody record seq 2 is signed as recorded by console:"
        in checked.stderr
    )
    assert "but the audit log's row #2 for that action names user:mallory" in checked.stderr
    assert "(evidence show at " in checked.stderr


def test_a_record_signed_as_one_account_whose_action_the_log_gives_another_is_named(
    node: Node,
) -> None:
    item = service.add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(b"a screenshot"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=service.Acquisition(acquired_by="Somchai", source="phone", method="copy"),
        recorded_by="key:12",
    )
    row = _row(node.store, "user:alice", UPLOAD, "/api/v1/reports/TH-AOC/R-1/evidence", 201)
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert str(check.problem).startswith(
        f"{item.evidence_id}: custody record seq 1 is signed as recorded by key:12 but the "
        f"audit log's row #{row} for that action names user:alice ({UPLOAD} at "
    )


def test_an_action_without_its_audit_row_is_noted_by_seq_not_failed(
    node: Node, tmp_path: Path
) -> None:
    item = add(node, b"chat export")  # through the library: no audit row (console's account)
    for seq in (2, 3, 4):  # three accesses by one key; the second's row never committed
        _access(node, item.evidence_id, "key:12")
        if seq != 3:
            _row(node.store, "key:12", f"GET /api/v1/evidence/{item.evidence_id}", "x", 200)
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    assert (check.recorded_by_checked, check.without_audit_row) == (2, (1, 3))
    assert check.notes == ()  # the notes of what could not be checked stay what they were


def test_the_cli_notes_records_without_an_audit_row(node: Node, tmp_path: Path) -> None:
    add(node, b"chat export")
    url = node.store.engine.url.render_as_string(hide_password=False)
    said = CliRunner().invoke(
        app, ["--db", url, "--data-dir", str(node.data_dir), "evidence", "verify-log"]
    )
    assert said.exit_code == 0, said.output
    assert "note: 1 custody record sign recorded_by but have no audit row for their action " in (
        said.stderr
    )
    assert "(seq 1)" in said.stderr
    as_json = CliRunner().invoke(
        app, ["--db", url, "--data-dir", str(node.data_dir), "evidence", "verify-log", "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    # --json's notes are every note stderr gets (this one was on stderr alone).
    assert doc["without_audit_row"] == [1]
    assert [n for n in doc["notes"] if "have no audit row" in n and "(seq 1)" in n]


def test_records_written_before_recorded_by_are_not_compared(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "recording_account", lambda given: None)
    old = add(node, b"acquired by an older bigfish")
    _access(node, old.evidence_id, "key:12")
    monkeypatch.undo()
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    assert (check.records, check.recorded_by_checked, check.without_audit_row) == (2, 0, ())


def test_an_exports_records_are_one_action_with_one_row(node: Node, tmp_path: Path) -> None:
    add(node, b"first file")
    add(node, b"second file", name="b.txt")
    export_r1(node, tmp_path / "case.zip", recorded_by="user:carol")
    _row(node.store, "user:carol", "POST /api/v1/reports/TH-AOC/R-1/evidence/package", "x", 200)
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    assert (check.recorded_by_checked, check.without_audit_row) == (2, (1, 2))


def test_verify_log_reads_the_audit_log_once_however_many_records(node: Node) -> None:
    item = add(node, b"chat export")
    for _ in range(20):
        _access(node, item.evidence_id, "key:12")
        _row(node.store, "key:12", f"GET /api/v1/evidence/{item.evidence_id}", "x", 200)
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(node.store.engine, "before_cursor_execute", seen)
    try:
        check = verify_custody_log(node.store, node.data_dir)
    finally:
        sa.event.remove(node.store.engine, "before_cursor_execute", seen)
    assert check.ok and check.recorded_by_checked == 20, check
    assert len([s for s in statements if "audit_log" in s]) == 1, statements


@pytest.fixture
def api(sqlite_store: Store, tmp_path: Path) -> Iterator[Partnership]:
    for p in build_partnership(sqlite_store):
        p.client.app.state.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
        yield p


def test_api_actions_agree_and_a_download_given_to_another_key_is_named(
    api: Partnership, tmp_path: Path
) -> None:
    api.submit("A", [report("R-1")])
    upload = api.client.post(
        "/api/v1/reports/A/R-1/evidence",
        files={"file": ("slip.txt", io.BytesIO(b"transfer 5000 THB"), "text/plain")},
        data={"source": "victim", "method": "photo"},
        headers=api.headers("A"),
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    for path in (f"/api/v1/evidence/{evidence_id}", f"/api/v1/evidence/{evidence_id}/content"):
        assert api.client.get(path, headers=api.headers("A")).status_code == 200
    packaged = api.client.post("/api/v1/reports/A/R-1/evidence/package", headers=api.headers("A"))
    assert packaged.status_code == 200, packaged.text
    check = verify_custody_log(api.store, tmp_path / "data")
    assert check.ok, check.problem
    assert (check.records, check.recorded_by_checked, check.without_audit_row) == (4, 4, ())

    with api.store.connect() as conn:
        seq, actor = conn.execute(
            sa.select(audit_log.c.seq, audit_log.c.actor).where(
                audit_log.c.action == f"GET /api/v1/evidence/{evidence_id}/content"
            )
        ).one()
    _set_actor(api.store, seq, "key:999")
    check = verify_custody_log(api.store, tmp_path / "data")
    assert check.problem is not None and check.problem.startswith(
        f"{evidence_id}: custody record seq 3 is signed as recorded by {actor} but the audit "
        f"log's row #{seq} for that action names key:999 (GET /api/v1/evidence/{evidence_id}/"
        "content at "
    )


def test_a_web_verification_agrees_and_its_row_given_to_another_user_is_named(
    web: WebPartnership,  # noqa: F811  (the web tests' fixture, imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BIGFISH_DATA_DIR", str(tmp_path / "node"))
    upload = web.api.client.post(
        "/api/v1/reports/A/a-1/evidence",
        headers=web.api.headers("A"),
        files={"file": ("chat.png", b"a screenshot of the chat", "image/png")},
        data={"source": "the victim's phone", "method": "screenshot"},
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    alice = web.clients["A"]
    checked = alice.post(f"/evidence/{evidence_id}/verify", data={"csrf_token": csrf_of(alice)})
    assert checked.status_code == 200
    check = verify_custody_log(web.store, tmp_path / "node")
    assert check.ok, check.problem
    assert (check.records, check.recorded_by_checked, check.without_audit_row) == (2, 2, ())

    action = f"POST /evidence/{evidence_id}/verify"
    with web.store.connect() as conn:
        seq = conn.execute(sa.select(audit_log.c.seq).where(audit_log.c.action == action)).one()[0]
    _set_actor(web.store, seq, "user:bob")
    check = verify_custody_log(web.store, tmp_path / "node")
    assert check.problem is not None and check.problem.startswith(
        f"{evidence_id}: custody record seq 2 is signed as recorded by user:alice but the audit "
        f"log's row #{seq} for that action names user:bob ({action} at "
    )

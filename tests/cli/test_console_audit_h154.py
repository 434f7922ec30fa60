"""Console commands that change evidence, cooperation requests, the contact directory or pins
append one audit row each, as those that change access do (bigfish.audit.console): actor
console:<OS user>, the organization acted for, the command, what it acted on, the API's status
for the same action. A failed command writes none, nor does one that only reads; once heads are
signed, a command without the node key refuses before acting."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import ALERT_ACTION, HeadSigner, verify_audit
from bigfish.cli import app as cli
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.organizations import add_org
from bigfish.store import Store
from bigfish.store.schema_evidence import cooperation_requests
from bigfish.store.schema_linking import link_pins
from tests.api.helpers import audit_rows
from tests.evidence.conftest import add_report

ME = f"console:{getpass.getuser()}"


def _console(store: Store, data: Path, *args: str) -> tuple[int, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(cli, ["--db", url, "--data-dir", str(data), *args])
    return done.exit_code, done.output


def _ok(store: Store, data: Path, *args: str) -> str:
    code, out = _console(store, data, *args)
    assert code == 0, (args, out)
    return out


def _node(store: Store) -> None:
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "KH-NPA", country="KH")
    add_report(store, "TH-AOC", "R-1")


def _request(store: Store, data: Path, *extra: str) -> str:
    out = _ok(
        store,
        data,
        "request",
        "create",
        "--org",
        "TH-AOC",
        "--to",
        "KH-NPA",
        "--type",
        "preservation",
        "--basis",
        "uncc-42",
        "--summary",
        "Preserve",
        "--identifier",
        "phone:+85512345678",
        "--json",
        *extra,
    )
    return str(json.loads(out)["request_id"])


def test_each_console_change_appends_one_row_and_reads_append_none(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _node(store)
    chat = tmp_path / "chat.txt"
    chat.write_text("scammer: send 5000 baht to 123-4-56789-0\n")
    add = ("evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-1", "--json")
    evidence = json.loads(_ok(store, data, *add))["evidence_id"]
    _ok(store, data, *add)  # the same bytes again: held before, nothing added
    _ok(store, data, "evidence", "show", evidence, "--purpose", "case review")
    _ok(store, data, "evidence", "event", evidence, "--type", "sealed", "--purpose", "court")
    package = tmp_path / "case.zip"
    _ok(
        store,
        data,
        "evidence",
        "export",
        "--report",
        "R-1",
        "--org",
        "TH-AOC",
        "--out",
        str(package),
    )
    sent = _request(store, data, "--send")
    _ok(store, data, "request", "update", sent, "--org", "KH-NPA", "--status", "acknowledged")
    late = _request(store, data, "--send")
    with store.begin() as conn:
        conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.request_id == late)
            .values(deadline=datetime.now(UTC) - timedelta(hours=1))
        )
    _ok(store, data, "request", "expire")
    contact = ("contact", "add", "--org", "KH-NPA", "--name", "NPA duty desk", "--role", "24/7")
    contact += ("--email", "duty@npa.example")
    _ok(store, data, *contact)
    _ok(store, data, "pin", "02-888-8888", "--kind", "phone", "--country", "TH", "--no-link")
    written = audit_rows(store)

    reads: list[tuple[str, ...]] = [
        ("evidence", "list"),
        ("evidence", "verify-log"),
        ("evidence", "head"),
        ("evidence", "verify", str(package)),
        ("request", "list", "--org", "KH-NPA"),
        ("request", "show", sent, "--org", "TH-AOC"),
        ("request", "bases"),
        ("request", "expire"),  # nothing overdue now: nothing changed
        ("contact", "list"),
    ]
    for step in reads:
        _ok(store, data, *step)
    assert audit_rows(store) == written

    assert written == [
        (ME, "TH-AOC", "evidence add", evidence, 201),
        (ME, "TH-AOC", "evidence add", evidence, 200),
        (ME, "TH-AOC", "evidence show", evidence, 200),
        (ME, "TH-AOC", "evidence event", f"{evidence} sealed", 201),
        (ME, "TH-AOC", "evidence export", "TH-AOC/R-1", 200),
        (ME, "TH-AOC", "request create", f"{sent} sent", 201),
        (ME, "KH-NPA", "request update", f"{sent} acknowledged", 200),
        (ME, "TH-AOC", "request create", f"{late} sent", 201),
        (ME, None, "request expire", "1 request(s)", 200),
        (ME, "KH-NPA", "contact add", "NPA duty desk", 201),
        (ME, None, "pin", "phone:+6628888888 not linking", 200),
    ]
    check = verify_audit(store, HeadSigner(load_node_key(data), data))
    assert check.ok and check.signature_checked, check.reason


def test_a_failed_console_change_writes_no_row(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _node(store)
    sent = _request(store, data, "--send")
    before = audit_rows(store)
    chat = tmp_path / "chat.txt"
    chat.write_text("hello\n")
    failing: list[tuple[str, ...]] = [
        ("evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-404"),
        ("evidence", "show", "ev-" + "0" * 64),
        ("evidence", "event", "ev-" + "0" * 64, "--type", "sealed", "--purpose", "x"),
        ("evidence", "export", "--report", "R-404", "--org", "TH-AOC", "--out", "x.zip"),
        ("request", "create", "--org", "TH-AOC", "--to", "nowhere", "--type", "preservation",
         "--basis", "uncc-42", "--summary", "x"),
        ("request", "update", "rq-missing", "--org", "KH-NPA", "--status", "acknowledged"),
        ("request", "update", sent, "--org", "KH-NPA", "--status", "withdrawn"),
        ("contact", "add", "--org", "nowhere", "--name", "n", "--role", "r"),
        ("pin", "not a phone", "--kind", "phone", "--no-link"),
    ]  # fmt: skip
    for step in failing:
        code, out = _console(store, data, *step)
        assert code == 1, (step, out)
    assert audit_rows(store) == before


def test_once_heads_are_signed_a_change_without_the_node_key_is_refused(
    store: Store, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _node(store)
    load_or_create_node_key(data)
    _request(store, data)  # its row signed with the node key under DATA
    assert ALERT_ACTION not in [row[2] for row in audit_rows(store)]
    before = audit_rows(store)
    elsewhere = tmp_path / "elsewhere"
    pin = ("pin", "02-888-8888", "--kind", "phone", "--country", "TH", "--no-link")
    contact = ("contact", "add", "--org", "KH-NPA", "--name", "desk", "--role", "24/7", "--24-7")
    contact += ("--email", "duty@npa.example")
    for step in (pin, contact):
        code, out = _console(store, elsewhere, *step)
        assert code == 1 and "--data-dir" in out and "nothing was changed" in out, out
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(link_pins)).scalar() == 0
    assert audit_rows(store) == before
    assert (
        "contacts" not in _ok(store, data, "contact", "list", "--json").replace('"contacts"', "")
        or json.loads(_ok(store, data, "contact", "list", "--json"))["contacts"] == []
    )
    _ok(store, data, *pin)  # with the key, it is done and recorded
    assert audit_rows(store)[-1][2] == "pin"


def test_sync_allow_appends_a_row_as_the_api_peers_route_is_audited(
    store: Store, tmp_path: Path
) -> None:
    # `sync allow` lifts the guard against internal addresses for one peer; before, the console
    # wrote no row for it while POST /api/v1/peers was audited (helper 176's finding).
    data = tmp_path / "data"
    _node(store)
    before = audit_rows(store)
    _ok(store, data, "sync", "allow", "https://10.20.0.5:8443", "--note", "VPN node")
    assert audit_rows(store)[len(before) :] == [
        (ME, None, "sync allow", "https://10.20.0.5:8443", 201)
    ]

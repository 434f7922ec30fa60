"""Custody records sign the account that wrote them into bigfish (`recorded_by`), beside the
people it stated: a court asking "who put this into your system?" reads it in the package.

pre_recorded_by_h166.zip is a package written by bigfish before it signed the account
(commit 067be56: an acquisition, a hand-over and an export of report TH-AOC/R-OLD)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.audit import console_actor
from bigfish.cli import app
from bigfish.errors import InputError
from bigfish.evidence import log, service
from bigfish.evidence.custody import (
    CustodyEvent,
    CustodyRecord,
    Party,
    canonical_body,
    canonical_json,
    load_node_key,
    record_from_json,
    utc_text,
)
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.model import Acquisition
from bigfish.evidence.package import (
    FORMAT,
    FORMAT_WITHOUT_ACCOUNTS,
    AcquiredBy,
    package_format,
    verify_package,
)
from bigfish.evidence.service import Activity, record_custody_event
from bigfish.organizations import add_org
from bigfish.store import open_store
from bigfish.store.schema_access import audit_log
from bigfish.store.schema_evidence import custody_events
from tests.evidence.builders import build_package, rewrite
from tests.evidence.conftest import Node, add, add_report, export_r1

OLD_PACKAGE = Path(__file__).with_name("pre_recorded_by_h166.zip")
OLD_KEY = "d39f795540788f37af8960970e0064d108087ef7c31b68731b80543b9ce93555"


def _records(node: Node, evidence_id: str) -> list[CustodyRecord]:
    with node.store.connect() as conn:
        return log.read_records(conn, [evidence_id])


def _column(node: Node, seq: int) -> Any:
    with node.store.connect() as conn:
        return conn.execute(
            sa.select(custody_events.c.recorded_by).where(custody_events.c.seq == seq)
        ).scalar()


def _lines(package: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(package) as zf:
        return [json.loads(line) for line in zf.read("custody.jsonl").splitlines()]


def test_every_record_signs_the_account_that_wrote_it(node: Node, tmp_path: Path) -> None:
    item = service.add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(b"chat export"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=Acquisition("Somchai P.", "victim's phone", "WhatsApp export"),
        recorded_by="user:alice",
    )
    record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        CustodyEvent.TRANSFERRED,
        Activity("Somchai P.", "hand-over to the prosecutor"),
        Party("Lan N.", "VN-MPS"),
        recorded_by="key:7",
    )
    service.get_evidence(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        Activity("Niran", "review"),
        recorded_by="user:niran",
    )
    export_r1(node, tmp_path / "case.zip", recorded_by="user:carol")
    chain = _records(node, item.evidence_id)
    assert [(r.draft.event.value, r.draft.recorded_by) for r in chain] == [
        ("acquired", "user:alice"),
        ("transferred", "key:7"),
        ("accessed", "user:niran"),
        ("exported", "user:carol"),
    ]
    # The stated acquirer stays what was typed; the account is beside it, signed.
    assert chain[0].draft.received_by.person == "Somchai P."
    assert json.loads(chain[0].body())["recorded_by"] == "user:alice"
    assert [_column(node, r.seq) for r in chain] == [
        "user:alice",
        "key:7",
        "user:niran",
        "user:carol",
    ]
    assert verify_custody_log(node.store, node.data_dir).ok
    # The package carries it: its records are the signed bodies.
    assert [line["recorded_by"] for line in _lines(tmp_path / "case.zip")] == [
        "user:alice",
        "key:7",
        "user:niran",
        "user:carol",
    ]
    check = verify_package(tmp_path / "case.zip")
    assert check.ok, check.problem
    assert check.acquired == (AcquiredBy(item.evidence_id, "Somchai P.", "user:alice"),)
    with zipfile.ZipFile(tmp_path / "case.zip") as zf:
        assert (
            json.loads(zf.read("manifest.json"))["format"]
            == FORMAT
            == ("bigfish-evidence-package/3")
        )
        assert "; recorded by user:alice" in zf.read("summary.txt").decode()
        graph = json.loads(zf.read("case.jsonld"))["@graph"]
    tags = [n["uco-core:tag"] for n in graph if n["@id"] == f"kb:custody-{chain[0].seq}"]
    assert tags[0][-1] == "recorded-by:user:alice"


def test_a_call_without_an_account_signs_the_console_s(node: Node) -> None:
    item = add(node, b"added from a script on the node")
    assert _records(node, item.evidence_id)[0].draft.recorded_by == console_actor()


@pytest.mark.parametrize("account", ["", "  ", "user:" + "x" * 200, "user:a\x00b"])
def test_an_account_no_record_can_hold_is_refused_before_anything_is_stored(
    node: Node, account: str
) -> None:
    with pytest.raises(InputError) as refused:
        service.add_evidence(
            node.store,
            node.data_dir,
            node.a,
            io.BytesIO(b"x"),
            org="TH-AOC",
            report_id="R-1",
            acquisition=Acquisition("Somchai", "phone", "copy"),
            recorded_by=account,
        )
    assert refused.value.field == "recorded_by"
    with node.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(custody_events)).scalar() == 0


def _old_style_add(node: Node, monkeypatch: pytest.MonkeyPatch, content: bytes) -> str:
    """Add evidence as bigfish did before it signed the account (no recorded_by)."""
    monkeypatch.setattr(service, "recording_account", lambda given: None)
    item = add(node, content)
    monkeypatch.undo()
    return item.evidence_id


def test_records_written_before_keep_their_bytes_and_verify_beside_new_ones(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_id = _old_style_add(node, monkeypatch, b"acquired by an older bigfish")
    new = add(node, b"acquired now")
    old, fresh = _records(node, old_id)[0], _records(node, new.evidence_id)[0]
    d = old.draft
    assert d.recorded_by is None and _column(node, old.seq) is None
    # The body exactly as bigfish wrote it before (commit 067be56's canonical_body).
    before: dict[str, Any] = {
        "seq": old.seq,
        "evidence_id": d.evidence_id,
        "sha256": d.sha256,
        "report": d.report,
        "event": "acquired",
        "purpose": d.purpose,
        "released_by": {"person": None, "organization": "victim's phone"},
        "received_by": {"person": "Somchai", "organization": "TH-AOC"},
        "at": utc_text(d.at),
        "place": d.place,
        "channel": "upload",
        "hash_check": "match",
        "marking": {"tlp": "amber", "distribution": "organization", "group": None},
        "prev_hash": old.prev_hash,
        "evidence_prev_hash": old.evidence_prev_hash,
        "acquisition": d.acquisition.to_json() if d.acquisition else None,
    }
    assert (
        old.body()
        == canonical_json(before)
        == canonical_body(old.seq, d, old.prev_hash, old.evidence_prev_hash)
    )
    assert "recorded_by" not in json.loads(old.body())
    assert fresh.draft.recorded_by == console_actor()
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem


def _set_column(node: Node, seq: int, value: str | None) -> None:
    with node.store.begin() as conn:
        conn.execute(
            custody_events.update().where(custody_events.c.seq == seq).values(recorded_by=value)
        )


@pytest.mark.parametrize("value", ["user:mallory", None])
def test_a_changed_account_in_the_database_fails_verify_log_naming_the_record(
    node: Node, value: str | None
) -> None:
    item = add(node, b"chat export")
    seq = _records(node, item.evidence_id)[0].seq
    _set_column(node, seq, value)
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert (
        check.problem == f"custody record seq {seq}: its content does not match its hash (edited)"
    )


def test_an_account_given_to_an_old_record_in_the_database_fails_verify_log(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_id = _old_style_add(node, monkeypatch, b"acquired by an older bigfish")
    seq = _records(node, old_id)[0].seq
    _set_column(node, seq, "user:alice")
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok and f"custody record seq {seq}: its content" in str(check.problem)


def _change_line(seq: int, change: Any) -> Any:
    def edit(members: dict[str, bytes]) -> None:
        lines = members["custody.jsonl"].splitlines()
        out = []
        for line in lines:
            obj = json.loads(line)
            if obj["seq"] == seq:
                change(obj)
            out.append(canonical_json(obj))
        members["custody.jsonl"] = b"\n".join(out) + b"\n"

    return edit


def test_a_changed_account_in_a_package_fails_verification_naming_the_record(
    node: Node, tmp_path: Path
) -> None:
    item = add(node, b"chat export")
    export_r1(node, tmp_path / "case.zip", recorded_by="user:carol")
    seq = _records(node, item.evidence_id)[0].seq
    for change in (
        lambda obj: obj.update(recorded_by="user:mallory"),
        lambda obj: obj.pop("recorded_by"),
        lambda obj: obj.update(recorded_by=None),
    ):
        check = verify_package(rewrite(tmp_path / "case.zip", _change_line(seq, change)))
        assert not check.ok
        assert check.problem == (
            f"custody record seq {seq}: its content does not match its hash (edited)"
        )


def test_an_older_format_re_signed_around_a_record_with_an_account_is_refused(
    node: Node, tmp_path: Path
) -> None:
    item = add(node, b"chat export")
    export_r1(node, tmp_path / "case.zip")
    key = load_node_key(node.data_dir)

    def as_format_2(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["format"] = FORMAT_WITHOUT_ACCOUNTS
        members["manifest.json"] = canonical_json(manifest)
        members["manifest.sig"] = key.sign(members["manifest.json"]).encode()

    check = verify_package(rewrite(tmp_path / "case.zip", as_format_2), key.fingerprint)
    seq = _records(node, item.evidence_id)[0].seq
    assert not check.ok
    assert check.problem == (
        f"custody record seq {seq} signs recorded_by, which a bigfish-evidence-package/2 "
        "package does not hold (bigfish-evidence-package/3 does)"
    )


def test_a_package_written_before_still_verifies_with_its_bytes_unchanged() -> None:
    check = verify_package(OLD_PACKAGE, OLD_KEY)
    assert check.ok, check.problem
    assert (check.report, check.files, check.records) == ("TH-AOC/R-OLD", 1, 3)
    assert check.acquired == (AcquiredBy(check.acquired[0].evidence_id, "Somchai P.", None),)
    with zipfile.ZipFile(OLD_PACKAGE) as zf:
        assert json.loads(zf.read("manifest.json"))["format"] == "bigfish-evidence-package/2"
        raw = zf.read("custody.jsonl").splitlines()
    for line in raw:
        record = record_from_json(json.loads(line))
        assert "recorded_by" not in json.loads(line) and record.draft.recorded_by is None
        assert canonical_json(record.to_json()) == line  # read and written back: the same bytes


def test_records_without_an_account_are_written_in_the_older_format(tmp_path: Path) -> None:
    package, key = build_package(tmp_path)  # records as bigfish wrote them before
    with zipfile.ZipFile(package) as zf:
        assert json.loads(zf.read("manifest.json"))["format"] == FORMAT_WITHOUT_ACCOUNTS
    assert verify_package(package, key.fingerprint).ok
    assert package_format([]) == FORMAT_WITHOUT_ACCOUNTS


def _cli_node(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_org(store, "VN-MPS", country="VN")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    return ["--db", url, "--data-dir", str(tmp_path / "data")]


def test_cli_commands_sign_the_console_account_the_audit_log_names(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _cli_node(tmp_path)
    chat = tmp_path / "chat.txt"
    chat.write_text("scammer: send 5000 baht\n")
    added = runner.invoke(
        app,
        [
            *opts,
            "evidence",
            "add",
            str(chat),
            "--org",
            "TH-AOC",
            "--report",
            "R-1",
            "--by",
            "Somchai P.",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    evidence_id = json.loads(added.stdout)["evidence_id"]
    moved = runner.invoke(
        app,
        [
            *opts,
            "evidence",
            "event",
            evidence_id,
            "--type",
            "transferred",
            "--purpose",
            "MLA",
            "--to-org",
            "VN-MPS",
            "--by",
            "Somchai P.",
        ],
    )
    assert moved.exit_code == 0, moved.output
    account = console_actor()
    assert moved.stdout.rstrip().endswith(f"; recorded by {account}")
    package = tmp_path / "case.zip"
    exported = runner.invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(package)]
    )
    assert exported.exit_code == 0, exported.output
    shown = runner.invoke(app, [*opts, "evidence", "show", evidence_id, "--json"])
    assert shown.exit_code == 0, shown.output
    custody = json.loads(shown.stdout)["custody"]
    assert [(r["event"], r.get("recorded_by")) for r in custody] == [
        ("acquired", account),
        ("transferred", account),
        ("exported", account),
        ("accessed", account),
    ]
    text = runner.invoke(app, [*opts, "evidence", "show", evidence_id])
    assert text.stdout.count(f"; recorded by {account}") == 5
    store = open_store(opts[1])
    try:
        with store.connect() as conn:
            actors = set(conn.execute(sa.select(audit_log.c.actor)).scalars())
    finally:
        store.close()
    assert actors == {account}  # the same text as the audit log's actor of those commands
    verified = runner.invoke(app, ["evidence", "verify", str(package)])
    assert verified.exit_code == 0, verified.output
    assert f"{evidence_id}: acquired by Somchai P. (recorded by {account})" in verified.stdout
    as_json = json.loads(runner.invoke(app, ["evidence", "verify", str(package), "--json"]).stdout)
    assert as_json["acquired"] == [
        {"evidence_id": evidence_id, "acquired_by": "Somchai P.", "recorded_by": account}
    ]


def test_cli_verify_says_an_old_package_does_not_sign_the_account() -> None:
    result = CliRunner().invoke(app, ["evidence", "verify", str(OLD_PACKAGE), "--key", OLD_KEY])
    assert result.exit_code == 0, result.output
    assert (
        ": acquired by Somchai P. (the account that recorded it is not signed: the record is "
        "older than that)"
    ) in result.stdout

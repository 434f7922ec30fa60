"""`bigfish evidence …` end to end, and verification on a machine state with no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.organizations import add_org
from bigfish.store import open_store
from tests.evidence.conftest import BIG, add_report, evidence_rows, stored_files

BIGFISH = str(Path(sys.executable).parent / "bigfish")


def _node(tmp_path: Path) -> list[str]:
    url = f"sqlite:///{tmp_path / 'node.db'}"
    store = open_store(url)
    add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    store.close()
    return ["--db", url, "--data-dir", str(tmp_path / "data")]


@pytest.mark.slow
def test_cli_add_export_and_verify_offline(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    chat = tmp_path / "chat.txt"
    chat.write_text("scammer: send 5000 baht to 123-4-56789-0\n")
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
            "--source",
            "victim's phone",
            "--method",
            "WhatsApp export",
            "--json",
        ],
    )
    assert added.exit_code == 0, added.output
    record = json.loads(added.stdout)
    assert record["media_type"] == "text/plain" and record["integrity"] == "match"
    assert record["held_before"] is False
    again = runner.invoke(
        app,
        [*opts, "evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-1", "--json"],
    )
    assert again.exit_code == 0, again.output  # the same bytes: the first acquisition stands
    assert json.loads(again.stdout)["evidence_id"] == record["evidence_id"]
    assert json.loads(again.stdout)["held_before"] is True
    assert f"already held as {record['evidence_id']}" in again.stderr

    shown = runner.invoke(app, [*opts, "evidence", "show", record["evidence_id"], "--json"])
    assert shown.exit_code == 0, shown.output
    assert [c["event"] for c in json.loads(shown.stdout)["custody"]] == ["acquired", "accessed"]

    package = tmp_path / "out" / "case.zip"
    package.parent.mkdir()
    exported = runner.invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(package), "--json"]
    )
    assert exported.exit_code == 0, exported.output
    fingerprint = json.loads(exported.stdout)["key_fingerprint"]
    for given, checked_key in (([], False), (["--key", fingerprint], True)):
        said = runner.invoke(app, ["evidence", "verify", str(package), "--json", *given])
        assert said.exit_code == 0, said.output
        # Without --key the package is signed by a key it carries itself: JSON says so.
        assert json.loads(said.stdout)["key_checked"] is checked_key

    # A foreign prosecutor's machine: a fresh directory, no database, no data dir, no network.
    fresh = tmp_path / "prosecutor"
    fresh.mkdir()
    copy = fresh / "case.zip"
    copy.write_bytes(package.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGFISH_")}
    ok = subprocess.run(
        [
            BIGFISH,
            "evidence",
            "verify",
            "case.zip",
            "--key",
            fingerprint,
        ],
        cwd=fresh,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    assert sorted(p.name for p in fresh.iterdir()) == ["case.zip"]  # no database was created

    with zipfile.ZipFile(copy) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n in members if n.startswith("files/"))
    members[name] = members[name].replace(b"5000", b"9000")
    with zipfile.ZipFile(copy, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    # The changed copy is refused; in this process (the offline run above was the subprocess),
    # in the same directory and without BIGFISH_ settings.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(fresh)
        for name in os.environ:
            if name.startswith("BIGFISH_"):
                monkeypatch.delenv(name)
        bad = runner.invoke(app, ["evidence", "verify", "case.zip", "--key", fingerprint])
    assert bad.exit_code == 1
    assert "chat.txt" in bad.stderr and "file changed" in bad.stderr

    checked = runner.invoke(app, [*opts, "evidence", "verify-log", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["records"] == 3


def test_cli_bad_input_exits_1_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    chat = tmp_path / "chat.txt"
    chat.write_text("x")
    missing = runner.invoke(
        app, [*opts, "evidence", "add", str(chat), "--org", "TH-AOC", "--report", "NOPE"]
    )
    assert missing.exit_code == 1 and "NOPE" in missing.stderr
    empty = runner.invoke(
        app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(tmp_path / "p.zip")]
    )
    assert empty.exit_code == 1 and "has no evidence" in empty.stderr
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"junk")
    bad = runner.invoke(app, [*opts, "evidence", "verify", str(junk)])
    assert bad.exit_code == 1 and "not a readable zip" in bad.stderr
    assert bad.stderr.count(str(junk)) == 1
    wrong_key = runner.invoke(app, [*opts, "evidence", "verify", str(junk), "--key", "zz"])
    assert wrong_key.exit_code == 1 and "not a key fingerprint" in wrong_key.stderr


def test_every_evidence_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for command in ("add", "show", "list", "event", "export", "verify", "verify-log", "head"):
        result = runner.invoke(app, ["evidence", command, "--help"])
        assert result.exit_code == 0 and "Example" in result.stdout, command


def test_cli_add_on_a_full_disk_exits_1_and_records_nothing(tmp_path: Path, full_disk: str) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    big = tmp_path / "full.bin"
    big.write_bytes(os.urandom(BIG))
    result = runner.invoke(
        app, [*opts, "evidence", "add", str(big), "--org", "TH-AOC", "--report", "R-1"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "could not store evidence file" in result.stderr
    assert "Traceback" not in result.output
    assert evidence_rows(open_store(opts[1])) == (0, 0)
    assert stored_files(tmp_path / "data") == []


def _node_with_evidence(tmp_path: Path, runner: CliRunner) -> list[str]:
    """`_node` whose custody log holds one record (so its key is bound to the log)."""
    opts = _node(tmp_path)
    chat = tmp_path / "chat.txt"
    chat.write_text("x")
    added = runner.invoke(
        app, [*opts, "evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-1"]
    )
    assert added.exit_code == 0, added.output
    return opts


def test_cli_key_and_verify_log_refuse_a_data_dir_without_the_logs_key(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node_with_evidence(tmp_path, runner)
    shown = runner.invoke(app, [*opts, "evidence", "key", "--json"])
    fingerprint = json.loads(shown.stdout)["fingerprint"]
    wrong = [*opts[:2], "--data-dir", str(tmp_path / "other")]
    for command in (["key"], ["verify-log"]):
        result = runner.invoke(app, [*wrong, "evidence", *command])
        assert result.exit_code == 1, command
        assert str(tmp_path / "other") in result.stderr and fingerprint in result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "other").exists()

    key_file = tmp_path / "data" / "keys" / "node_ed25519.pem"
    key_file.chmod(0o600)
    key_file.write_text("not a key")
    corrupt = runner.invoke(app, [*opts, "evidence", "key"])
    assert corrupt.exit_code == 1 and "not a PEM private key" in corrupt.stderr
    assert str(key_file) in corrupt.stderr and "Traceback" not in corrupt.output


def test_cli_failed_export_exits_1_and_records_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    opts = _node(tmp_path)
    chat = tmp_path / "chat.txt"
    chat.write_text("x")
    add = [*opts, "evidence", "add", str(chat), "--org", "TH-AOC", "--report", "R-1"]
    assert runner.invoke(app, add).exit_code == 0
    bad = tmp_path / "nonexistent" / "x.zip"
    for out in (bad, tmp_path):
        result = runner.invoke(
            app, [*opts, "evidence", "export", "--report", "R-1", "--out", str(out)]
        )
        assert result.exit_code == 1 and result.stderr.startswith("error: ")
        assert str(out) in result.stderr
        assert "Traceback" not in result.output
    checked = runner.invoke(app, [*opts, "evidence", "verify-log", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["records"] == 1


def test_serve_refuses_a_data_dir_without_the_logs_key_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server loads the node key when it starts (it signs the audit log's head): a data
    directory without the key that signed the custody log is an error naming both, before any
    worker starts, not a traceback."""
    for name in ("BIGFISH_DATABASE_URL", "BIGFISH_DATA_DIR", "BIGFISH_RATE_LIMIT"):
        monkeypatch.setenv(name, "")  # serve sets them; restored after the test
    runner = CliRunner()
    opts = _node_with_evidence(tmp_path, runner)
    wrong = [*opts[:2], "--data-dir", str(tmp_path / "other")]
    result = runner.invoke(app, [*wrong, "serve", "--port", "9"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(tmp_path / "other") in result.stderr and "custody log is signed" in result.stderr

"""Every command has --help with an example (spec/cli.md), and the contract's names exist."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bigfish.cli import app, main

CONTRACT = [
    "demo", "synth", "ingest", "normalize", "extract", "networks", "network", "lookup",
    "org add", "org list", "key create", "group add", "serve", "export", "sync pull",
    "evidence add", "evidence export", "evidence verify", "audit verify", "classify", "report",
]  # fmt: skip


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found.update(_commands(command, path + " "))
        else:
            found[path] = command
    return found


def test_every_contract_command_exists() -> None:
    commands = _commands(typer.main.get_command(app))
    missing = [name for name in CONTRACT if name not in commands]
    assert not missing


def test_every_command_has_help_with_an_example() -> None:
    commands = _commands(typer.main.get_command(app))
    undocumented = [
        name for name, command in commands.items() if "Example" not in (command.help or "")
    ]
    assert not undocumented


def test_a_database_or_directory_the_command_cannot_use_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_db = tmp_path / "n.db"
    not_a_db.write_text("x" * 200, "utf-8")
    a_file = tmp_path / "file"
    a_file.write_text("x", "utf-8")
    for argv, expected in (
        (["--db", f"sqlite:///{not_a_db}", "networks"], "database could not be used"),
        (["--db", "postgresql://nobody@127.0.0.1:1/x", "org", "list"], "database could not"),
        (["synth", str(a_file / "out"), "--reports", "10"], str(a_file)),
    ):
        monkeypatch.setattr(sys, "argv", ["bigfish", *argv])
        with pytest.raises(SystemExit) as ended:
            main()
        err = capsys.readouterr().err
        assert ended.value.code == 1, (argv, err)
        assert err.startswith("error: ") and expected in err and "Traceback" not in err, err


def test_exit_status_is_1_for_input_and_2_for_usage(tmp_path: Path) -> None:
    """spec/cli.md: 1 a problem with the input or the request, 2 usage."""
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--data-dir", str(tmp_path / "data")]
    missing = str(tmp_path / "missing.file")
    for argv, status in (
        (["normalize", "--input", missing], 1),
        (["classify", "--input", missing], 1),
        (["ingest", missing, "--org", "a"], 1),
        (["evidence", "add", missing, "--org", "a", "--report", "r"], 1),
        (["evidence", "verify", missing], 1),
        (["export", "json", "--out", str(tmp_path / "x")], 2),
        (["ingest", "--org", "a"], 2),
        (["networks", "--top", "many"], 2),
    ):
        result = runner.invoke(app, [*db, *argv])
        assert result.exit_code == status, (argv, result.output)

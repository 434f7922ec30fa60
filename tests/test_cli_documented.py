"""Every command has --help with an example (spec/cli.md), and the contract's names exist."""

from __future__ import annotations

from typing import Any

import typer.main

from bigfish.cli import app

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

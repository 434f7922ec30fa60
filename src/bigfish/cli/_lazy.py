"""The command groups of `bigfish`, each imported when one of its commands is run.

Importing every command module when the program starts pulled in SQLAlchemy, alembic, igraph
and scipy, argon2, the web stack and matplotlib before any command ran: over a second for
`bigfish classify` or `bigfish normalize`, which need none of them. `bigfish --help` (and a
missing command) still loads them all, to list their commands as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer import _click  # the typer this project uses keeps its own click
from typer.core import TyperGroup

from bigfish.cli._help import fit_help_texts

COMMANDS: dict[str, str] = {
    "lookup": "access",
    "blind": "access",
    "demo": "demo",
    "normalize": "identifiers",
    "extract": "identifiers",
    "ingest": "intake",
    "export": "interop",
    "classify": "ml",
    "networks": "networks",
    "network": "networks",
    "link": "networks",
    "pin": "networks",
    "report": "report",
    "serve": "serve",
    "synth": "synth",
    "key": "access",
    "group": "access",
    "user": "access",
    "audit": "access",
    "evidence": "evidence",
    "org": "intake",
    "sync": "interop",
    "ml": "ml",
    "request": "requests",
    "contact": "requests",
}
"""Each command and command group of `bigfish`, in the order of `bigfish --help` (its
commands, then its groups), with the module of bigfish.cli that registers it on the app."""


def load_command(name: str) -> _click.Command:
    """The click command or group NAME of COMMANDS, its module imported (which registers it
    on the app) and the command built from that registration as typer builds it."""
    from bigfish.cli._app import app

    importlib.import_module(f"bigfish.cli.{COMMANDS[name]}")
    fit_help_texts(app)
    for info in app.registered_commands:
        named = info.name or (
            typer.main.get_command_name(info.callback.__name__) if info.callback else None
        )
        if named == name:
            return typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    raise LookupError(f"bigfish.cli.{COMMANDS[name]} registers no command {name!r}")


class LazyCommands(MutableMapping[str, _click.Command]):
    """The commands of the `bigfish` group by name: every name of COMMANDS is listed, and a
    command is built, its module imported, when it is first looked up."""

    def __init__(self, built: MutableMapping[str, _click.Command]) -> None:
        self._built = dict(built)
        self._names = [*COMMANDS, *(name for name in built if name not in COMMANDS)]

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built:
            if name not in COMMANDS or name not in self._names:
                raise KeyError(name)
            self._built[name] = load_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        self._names.remove(name)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class LazyGroup(TyperGroup):
    """The `bigfish` group: its commands are LazyCommands (click's lazy group, as click's
    documentation draws it, for typer: a command's module is imported when it is run)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        if self.name in (None, "bigfish"):  # the app's group, not a command group's
            _fit_built(self.commands)
        self.commands = LazyCommands(self.commands)


def _fit_built(built: MutableMapping[str, _click.Command]) -> None:
    """Fit the help of the commands typer built before this group (their modules were imported
    without `load_command`: by a test, or by a program that imports one first), as
    `load_command` fits each it builds: their registrations are fitted, and the built commands
    and their subcommands take the fitted help."""
    from bigfish.cli._app import app

    fit_help_texts(app)
    for info in app.registered_commands:
        name = info.name or (
            typer.main.get_command_name(info.callback.__name__) if info.callback else None
        )
        if name is not None and name in built and info.help is not None:
            built[name].help = info.help
    for group in app.registered_groups:
        command = built.get(group.name or "")
        if command is not None:
            _fit_group(command, group.typer_instance, group.help)


def _fit_group(command: _click.Command, typer_app: typer.Typer | None, help: object) -> None:
    """COMMAND (a group typer built) and its subcommands with the help of TYPER_APP's fitted
    registrations."""
    if isinstance(help, str):
        command.help = help
    if typer_app is None or not isinstance(command, TyperGroup):
        return
    for info in typer_app.registered_commands:
        name = info.name or (
            typer.main.get_command_name(info.callback.__name__) if info.callback else None
        )
        sub = command.commands.get(name or "")
        if sub is not None and info.help is not None:
            sub.help = info.help
    for group in typer_app.registered_groups:
        sub = command.commands.get(group.name or "")
        if sub is not None:
            _fit_group(sub, group.typer_instance, group.help)

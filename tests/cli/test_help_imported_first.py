"""Help texts are fitted even for a command whose module was imported before the group was
built (a test or an embedding program importing `bigfish.cli.demo` first): its summary was the
docstring's first paragraph with its hard line break, so `bigfish --help` broke it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import typer.main
import bigfish.cli.demo, bigfish.cli.serve  # registered on the app before it is built
from bigfish.cli import app

group = typer.main.get_command(app)
for name in ("demo", "serve", "networks"):
    command = group.commands[name]
    summary = command.short_help or (command.help or "").split("\\n\\n")[0]
    print(name, "\\n" in summary.strip())
"""


def test_a_command_imported_before_the_group_is_built_has_a_one_line_summary() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["demo False", "serve False", "networks False"]

"""`bigfish lookup … --json` run in-process, for the CLI lookup tests."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()


def lookup_json(url: str, *args: str) -> dict[str, Any]:
    """The answer of `bigfish --db URL lookup ARGS… --json`; the command must succeed."""
    result = runner.invoke(app, ["--db", url, "lookup", *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer

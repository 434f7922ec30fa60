"""Review h167 (README "Usage": `bigfish lookup` asks for --country for a local number). With
`--kind phone` and no --country, `bigfish lookup 0812345678` printed `valid: no` and nothing
else: not why, nor that --country would find it. The answer is the same (stdout, and --json,
unchanged); stderr now says why the value is not valid."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.store import open_store

runner = CliRunner()


def test_an_invalid_value_is_told_why_on_stderr(store_url: str) -> None:
    open_store(store_url).close()  # a node's store (a lookup reads one; it makes none)
    result = runner.invoke(app, ["--db", store_url, "lookup", "0812345678", "--kind", "phone"])
    assert result.exit_code == 0, result.output
    assert "valid: no" in result.stdout
    assert "not a valid phone: a national number needs the report's country" in result.stderr
    assert "--country" in result.stderr
    answer = runner.invoke(
        app, ["--db", store_url, "lookup", "0812345678", "--kind", "phone", "--json"]
    )
    assert json.loads(answer.stdout)["valid"] is False


def test_a_valid_value_says_nothing_on_stderr(store_url: str) -> None:
    open_store(store_url).close()
    args = ["--db", store_url, "lookup", "0812345678", "--kind", "phone", "--country", "TH"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "valid: yes" in result.stdout and result.stderr == ""

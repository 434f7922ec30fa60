"""An id the node does not have is an error that says what to do (spec/cli.md, README: every
error says what was wrong, where, and what to do).

`bigfish key create --org nosuch` said "organization 'nosuch' not found" and stopped there:
nothing named the command that lists the organizations, or the one that adds one; the same
for networks, API keys, users, evidence, sharing groups, requests and reports. `bigfish user
list --org nosuch` printed nothing and succeeded, where `key list --org nosuch` was an error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()


@pytest.fixture
def node(tmp_path: Path, migrated_sqlite: Callable[[str], str]) -> list[str]:
    """The global options of a node with one organization, "a"."""
    options = ["--db", migrated_sqlite("n.db"), "--data-dir", str(tmp_path / "data")]
    added = runner.invoke(app, [*options, "org", "add", "a", "--country", "TH"])
    assert added.exit_code == 0, added.output
    return options


@pytest.mark.parametrize(
    ("args", "missing", "next_step"),
    [
        (["key", "create", "--org", "nosuch"], "nosuch", "bigfish org list"),
        (["key", "list", "--org", "nosuch"], "nosuch", "bigfish org add"),
        (["user", "list", "--org", "nosuch"], "nosuch", "bigfish org list"),
        (["evidence", "list", "--org", "nosuch"], "nosuch", "bigfish org list"),
        (["contact", "list", "--org", "nosuch"], "nosuch", "bigfish org list"),
        (["group", "add", "g", "--org", "nosuch"], "nosuch", "bigfish org list"),
        (["export", "csv", "--out", "{dir}/x.csv", "--as-org", "nosuch"], "nosuch", "org list"),
        (["network", "999"], "999", "bigfish networks"),
        (["key", "revoke", "999"], "999", "bigfish key list"),
        (["user", "disable", "nosuch"], "nosuch", "bigfish user list"),
        (["evidence", "show", "ev-nosuch"], "ev-nosuch", "bigfish evidence list"),
        (["blind", "{dir}/in.jsonl", "--group", "g1", "--out", "{dir}/o"], "g1", "group add"),
        (["request", "show", "rq-nosuch", "--org", "a"], "rq-nosuch", "bigfish request list"),
        (
            ["evidence", "export", "--report", "r-nosuch", "--org", "a", "--out", "{dir}/p.zip"],
            "r-nosuch",
            "bigfish ingest",
        ),
    ],
)
def test_an_id_the_node_does_not_have_names_the_command_to_find_or_add_it(
    node: list[str], tmp_path: Path, args: list[str], missing: str, next_step: str
) -> None:
    (tmp_path / "in.jsonl").write_text('{"kind": "phone", "value": "+66812345678"}\n', "utf-8")
    argv = [*node, *(part.replace("{dir}", str(tmp_path)) for part in args)]
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert f"{missing}'" in lines[0] and "not found" in lines[0], lines
    assert next_step in lines[0], lines
    assert "Traceback" not in result.output


def test_a_known_organization_still_lists_its_users(node: list[str]) -> None:
    listed = runner.invoke(app, [*node, "user", "list", "--org", "a", "--json"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.strip() == '{"users": []}'


@pytest.mark.parametrize(
    ("args", "missing", "next_step"),
    [
        (["user", "add", "bob", "--org", "nosuch"], "nosuch", "bigfish org add"),
        (["user", "password", "nosuch"], "nosuch", "bigfish user list"),
    ],
)
def test_an_unknown_organization_or_user_is_named_before_a_password_is_asked(
    node: list[str], args: list[str], missing: str, next_step: str
) -> None:
    """The password was asked first: with nothing to read, 'Aborted.' and nothing else."""
    result = runner.invoke(app, [*node, *args], input="")
    assert result.exit_code == 1, result.output
    assert "Password" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{missing}' not found" in lines[0] and next_step in lines[0]


@pytest.mark.parametrize(
    "command", [["user", "add", "bob", "--org", "a"], ["user", "password", "carol"]]
)
def test_a_password_that_cannot_be_asked_says_to_give_it(
    node: list[str], command: list[str]
) -> None:
    """Without a terminal or piped lines, the prompt ended in 'Aborted.' alone."""
    carol = ["user", "add", "carol", "--org", "a", "--password", "p" * 12]
    assert runner.invoke(app, [*node, *carol]).exit_code == 0
    result = runner.invoke(app, [*node, *command], input="")
    assert result.exit_code == 1, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "--password" in last, result.stderr


def test_a_piped_password_is_still_read_twice(node: list[str]) -> None:
    secret = "correct horse battery"
    result = runner.invoke(
        app, [*node, "user", "add", "bob", "--org", "a"], input=f"{secret}\n{secret}\n"
    )
    assert result.exit_code == 0, result.output
    assert "user bob of a (analyst)" in result.stdout and secret not in result.output
    again = runner.invoke(app, [*node, "user", "password", "bob"], input=f"{secret}!\n{secret}!\n")
    assert again.exit_code == 0 and "password set" in again.stdout, again.output


def test_demo_with_no_reports_is_a_usage_error_before_it_starts(tmp_path: Path) -> None:
    """As `synth --reports 0`: `demo --reports 0` printed 'Synthesizing 0 reports' first,
    then failed with status 1."""
    work = ["--workdir", str(tmp_path / "demo")]
    result = runner.invoke(app, ["demo", "--no-serve", "--reports", "0", *work])
    assert result.exit_code == 2, result.output
    assert "--reports" in result.output and "Synthesizing" not in result.output
    assert not (tmp_path / "demo").exists()

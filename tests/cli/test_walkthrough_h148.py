"""A new analyst follows README.md and docs/ and makes the mistakes a newcomer makes.

Each test is a step of that walk where the command did not do what the documents say: an
organization the node does not have named by a cooperation-request command, a password piped
to `user add`, an option whose help the terminal cut short.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.cli._lazy import COMMANDS

runner = CliRunner()
NOT_FOUND = "organization 'nosuch' not found; see bigfish org list, or add it with bigfish org add"


@pytest.fixture
def node(tmp_path: Path, migrated_sqlite: Callable[[str], str]) -> list[str]:
    """The global options of a node with two organizations, th-aoc and vn-police."""
    options = ["--db", migrated_sqlite("n.db"), "--data-dir", str(tmp_path / "data")]
    for name, country in (("th-aoc", "TH"), ("vn-police", "VN")):
        added = runner.invoke(app, [*options, "org", "add", name, "--country", country])
        assert added.exit_code == 0, added.output
    return options


REQUEST = [
    "--type", "preservation", "--basis", "budapest-29", "--summary", "Preserve it",
    "--identifier", "phone:+66812345678",
]  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["request", "create", "--org", "th-aoc", "--to", "nosuch", *REQUEST],
        ["request", "create", "--org", "nosuch", "--to", "vn-police", *REQUEST],
        ["request", "list", "--org", "nosuch"],
        ["request", "show", "rq-0000000000000000", "--org", "nosuch"],
        ["request", "update", "rq-0000000000000000", "--org", "nosuch", "--status", "sent"],
        ["contact", "add", "--org", "nosuch", "--name", "desk", "--role", "24/7"],
    ],
    ids=["create --to", "create --org", "list", "show", "update", "contact add"],
)
def test_a_request_command_names_the_command_that_finds_an_unknown_organization(
    node: list[str], args: list[str]
) -> None:
    """README: "An organization, user, key or network the node does not have is an error that
    names the command to find or add it." The request commands said `field 'to_org': unknown
    organization 'nosuch'` (and `contact add` first asked for a phone number)."""
    result = runner.invoke(app, [*node, *args])
    assert (result.exit_code, result.stderr.strip()) == (1, f"error: {NOT_FOUND}"), result.output


def test_a_password_piped_twice_leaves_the_output_to_the_command(node: list[str]) -> None:
    """README: "in a script give --password, or pipe it twice, on two lines". Piped, the
    prompt wrote `Password:Repeat for confirmation:` before the command's own line (and, run
    for real, warned twice that the input may be echoed)."""
    secret = "correct horse battery"
    added = runner.invoke(
        app, [*node, "user", "add", "bob", "--org", "th-aoc"], input=f"{secret}\n{secret}\n"
    )
    assert (added.exit_code, added.stdout, added.stderr) == (
        0,
        "user bob of th-aoc (analyst)\n",
        "",
    )
    changed = runner.invoke(
        app, [*node, "user", "password", "bob"], input=f"{secret}!\r\n{secret}!\r\n"
    )
    assert (changed.exit_code, changed.stdout) == (0, "user bob: password set, sessions ended\n")


@pytest.mark.parametrize(
    ("piped", "expected"),
    [
        (
            "correct horse battery\ncorrect horse batery\n",
            "error: the two lines piped on stdin differ: pipe the same password twice",
        ),
        (
            "correct horse battery\n",
            "error: the password was piped once: pipe it twice, on two lines, or give --password",
        ),
    ],
    ids=["differ", "once"],
)
def test_a_password_piped_wrong_is_named_for_what_is_wrong(
    node: list[str], piped: str, expected: str
) -> None:
    """Two lines that differ were reported as `Error: The two entered values do not match.`,
    a third prompt, then `no password given, and none could be read from stdin`."""
    result = runner.invoke(app, [*node, "user", "add", "bob", "--org", "th-aoc"], input=piped)
    assert (result.exit_code, result.stdout, result.stderr.strip()) == (1, "", expected)
    listed = runner.invoke(app, [*node, "user", "list"])
    assert "bob" not in listed.stdout


def _command_paths(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*path, name)
        if hasattr(command, "commands"):
            yield from _command_paths(command, (*path, name))


_PATHS = [(), *_command_paths(typer.main.get_command(app))]


def _command(path: tuple[str, ...]) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", _PATHS, ids=lambda path: " ".join(path) or "bigfish")
def test_every_word_of_an_option_help_shows_whole_on_an_80_column_terminal(
    path: tuple[str, ...],
) -> None:
    """`bigfish ingest --help` showed `--format  auto|csv|jsonl|xlsx…`: a help text of one
    word longer than its column is cut, not wrapped, and stix and misp were not shown."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    shown = set(result.output.split())
    helps = [param.help for param in _command(path).params if getattr(param, "help", None)]
    cut = [word for text in helps for word in text.split() if word not in shown]
    assert not cut


@pytest.mark.parametrize("path", _PATHS, ids=lambda path: " ".join(path) or "bigfish")
def test_no_option_help_leaves_out_the_rest_of_its_values(path: tuple[str, ...]) -> None:
    """`bigfish pin --kind` said `phone|url|domain|email|bank_account|…` at any width: an
    analyst learnt the other kinds only from the error of a wrong one."""
    helps = [param.help for param in _command(path).params if getattr(param, "help", None)]
    assert not [text for text in helps if "|…" in text]


ROOT = Path(__file__).resolve().parents[2]


def _documents() -> str:
    """README.md and every page under docs/, a command continued on the next line joined."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return re.sub(r"\\\n\s*", " ", "\n".join(p.read_text("utf-8") for p in pages))


def test_every_command_and_subcommand_is_documented_in_readme_or_docs() -> None:
    """`bigfish blind` and `bigfish contact list` were in no document, only in --help; a
    newcomer reading README and docs/ never learnt that they exist (sqlite-utils' rule, which
    STYLE.md takes: a test asserts that every CLI command is documented)."""
    text = _documents()
    paths = [path for path in _PATHS if path]
    assert {path[0] for path in paths} == set(COMMANDS)
    global_options = r"(?: --[\w-]+(?: [^-\s]\S*)?)*"
    undocumented = [
        " ".join(path)
        for path in paths
        if not re.search(rf"bigfish{global_options} {' '.join(path)}(?![\w-])", text)
    ]
    assert not undocumented


def test_the_deadlines_of_the_documents_examples_are_still_ahead() -> None:
    """docs/evidence.md's `request create … --deadline 2026-01-10T12:00Z --send`, run as
    written on 2026-12-01, said `field 'deadline': the deadline is in the past` (the --help
    examples are held to this by test_cli_walkthrough)."""
    deadlines = re.findall(r"--deadline (\d{4}-\d\d-\d\d)", _documents())
    assert deadlines
    assert [d for d in deadlines if date.fromisoformat(d) <= date.today()] == []


KEY = "57c1ebe5ffceead9717119a8032f45e05aeefc722d18b30bed8e1bebe6f6000b"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--node", "https://vn.example.org", "--node-key", "57c1ebe5"],
            "'57c1ebe5' is not a key fingerprint (64 hex digits, as the partner's `bigfish "
            "evidence key` prints it)",
        ),
        (["--node-key", KEY], "only with --node: the key of the partner node the organization"),
    ],
    ids=["short key", "no --node"],
)
def test_org_add_node_key_says_which_part_is_wrong(
    node: list[str], args: list[str], expected: str
) -> None:
    """`org add vn-bank --node https://vn.example.org --node-key 57c1ebe5` said
    `Invalid value for --node-key: needs --node, and a key fingerprint: 64 hex digits`, though
    --node was given."""
    result = runner.invoke(app, [*node, "org", "add", "vn-bank", "--country", "VN", *args])
    assert result.exit_code == 2
    assert expected in " ".join(result.output.replace("│", " ").split())
    assert "needs --node" not in result.output


@pytest.mark.parametrize("path", [("org", "add"), ("org", "list")], ids=" ".join)
def test_every_option_of_org_says_what_it_does(path: tuple[str, ...]) -> None:
    """`bigfish org add --help` and `org list --help` showed `--json  <bool>` and nothing."""
    options = [p for p in _command(path).params if p.param_type_name == "option"]
    assert [p.opts for p in options if not p.help] == []


ALLOW = "an administrator must allow this exact peer: bigfish sync allow http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            [],
            "error: refused: http://127.0.0.1:9 resolves to the internal address 127.0.0.1; "
            + ALLOW,
        ),
        (
            ["--every", "1", "--runs", "1"],
            "http://127.0.0.1:9/taxii2/: pull failed, retrying later: refused: "
            f"http://127.0.0.1:9 resolves to the internal address 127.0.0.1; {ALLOW}",
        ),
    ],
    ids=["once", "--every"],
)
def test_a_peer_refused_as_internal_is_told_with_the_command_that_allows_it(
    node: list[str], options: list[str], expected: str
) -> None:
    """README: "A partner node on an internal address is allowed with `bigfish sync allow
    URL`", but the refusal said only "an administrator must allow this exact peer"."""
    args = ["sync", "pull", "http://127.0.0.1:9/taxii2/", "--key", "k", *options]
    result = runner.invoke(app, [*node, *args])
    assert expected in result.stderr.splitlines(), result.stderr
    allowed = runner.invoke(app, [*node, "sync", "allow", "http://127.0.0.1:9"])
    assert allowed.exit_code == 0, allowed.output


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("csv", "2 reports, 2 rows"), ("misp", "2 reports, 2 MISP events")],
)
def test_export_says_what_it_counted_in_the_format_s_own_words(
    node: list[str], tmp_path: Path, fmt: str, expected: str
) -> None:
    """`bigfish export csv` said `3580 reports, 3580 csv objects` (rows) and `export misp`
    `3580 reports, 1245 misp objects` (events: one per network, one per report in none)."""
    reports = tmp_path / "r.csv"
    reports.write_text(
        "report_id,reported_at,country\nr1,2025-01-01,TH\nr2,2025-01-02,TH\n", encoding="utf-8"
    )
    ingested = runner.invoke(app, [*node, "ingest", str(reports), "--org", "th-aoc"])
    assert ingested.exit_code == 0, ingested.output
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(app, [*node, "export", fmt, "--out", str(out)])
    assert (result.exit_code, result.stdout) == (0, f"{out}: {expected}\n")


def test_ingest_into_a_group_the_node_does_not_have_names_the_command_that_adds_it(
    node: list[str], tmp_path: Path
) -> None:
    """`ingest … --distribution group --group mekong` before `bigfish group add mekong` said
    `error: field 'group': sharing group 'mekong' not found` and no more: the file loop printed
    the error's text, not what `fail` adds for an id the node does not have (and created the
    organization --org named, though "nothing was stored")."""
    reports = tmp_path / "r.csv"
    reports.write_text("report_id,reported_at,country\nr1,2025-01-01,TH\n", encoding="utf-8")
    marking = ["--distribution", "group", "--group", "mekong"]
    result = runner.invoke(app, [*node, "ingest", str(reports), "--org", "kh-npa", *marking])
    assert (result.exit_code, result.stderr) == (
        1,
        "error: sharing group 'mekong' not found; add it with bigfish group add\n",
    )
    assert "kh-npa" not in runner.invoke(app, [*node, "org", "list"]).stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "no evidence on this node yet"),
        (["--report", "R-2025-0001"], "no evidence of report R-2025-0001 yet"),
        (["--org", "th-aoc"], "no evidence of th-aoc's reports yet"),
        (["--org", "th-aoc", "--report", "R-1"], "no evidence of report th-aoc/R-1 yet"),
    ],
)
def test_evidence_list_with_nothing_to_list_says_so(
    node: list[str], args: list[str], expected: str
) -> None:
    """docs/evidence.md's `bigfish evidence list --report R-2025-0001` printed nothing at all,
    status 0, on a report with no evidence (or a report id mistyped)."""
    result = runner.invoke(app, [*node, "evidence", "list", *args])
    assert (result.exit_code, result.stdout) == (
        0,
        f"{expected}: bigfish evidence add stores a file\n",
    )
    as_json = runner.invoke(app, [*node, "evidence", "list", *args, "--json"])
    assert as_json.stdout == '{"evidence": []}\n'


def test_an_evidence_package_of_one_file_says_one_file(node: list[str], tmp_path: Path) -> None:
    """docs/evidence.md's walk: `evidence export` said `wrote case-0001.zip: 1 files, …` and
    `evidence verify` `OK: case-0001.zip: report th-aoc/R-1, 1 files, …`."""
    reports = tmp_path / "r.csv"
    reports.write_text("report_id,reported_at,country\nR-1,2025-01-01,TH\n", encoding="utf-8")
    assert runner.invoke(app, [*node, "ingest", str(reports), "--org", "th-aoc"]).exit_code == 0
    chat = tmp_path / "chat.txt"
    chat.write_text("hello", encoding="utf-8")
    added = runner.invoke(
        app, [*node, "evidence", "add", str(chat), "--org", "th-aoc", "--report", "R-1"]
    )
    assert added.exit_code == 0, added.output
    package = tmp_path / "case.zip"
    export = ["evidence", "export", "--report", "R-1", "--org", "th-aoc", "--out", str(package)]
    exported = runner.invoke(app, [*node, *export])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.startswith(f"wrote {package}: 1 file, 2 custody records\n")
    verified = runner.invoke(app, [*node, "evidence", "verify", str(package)])
    assert verified.exit_code == 0, verified.output
    ok = f"OK: {package}: report th-aoc/R-1, 1 file, 2 custody records, signed by key "
    assert verified.stdout.startswith(ok), verified.stdout

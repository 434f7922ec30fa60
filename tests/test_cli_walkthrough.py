"""What a new user following the README and `--help` met at the console (the CLI walkthrough).

Each test is one finding: a traceback where the contract promises a message and status 1, a
line tool whose answers drifted from its input lines, an example that could not be pasted.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from bigfish.cli import app, main
from tests.serve_capture import capture_serve

runner = CliRunner()


def _db(tmp_path: Path) -> list[str]:
    return ["--db", f"sqlite:///{tmp_path / 'b.db'}", "--data-dir", str(tmp_path / "data")]


def _run_main(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Any, str]:
    monkeypatch.setattr(sys, "argv", ["bigfish", *argv])
    with pytest.raises(SystemExit) as ended:
        main()
    return ended.value.code, capsys.readouterr().err


def _leaves(group: Any, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_leaves(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


# --- ids and numbers the store cannot hold -------------------------------------------------


def test_an_id_past_64_bits_is_not_found_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bigfish network 99999999999999999999999` and `key revoke` of such an id ended in
    OverflowError (SQLite) or 'the database could not be used' (PostgreSQL)."""
    huge = "99999999999999999999999"
    for argv, expected in (
        (["network", huge], f"error: network '{huge}' not found"),
        (["key", "revoke", huge], f"error: api key '{huge}' not found"),
    ):
        code, err = _run_main([*_db(tmp_path), *argv], monkeypatch, capsys)
        assert code == 1 and err.strip().startswith(expected), err


def test_a_port_or_seed_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    """`serve --port 99999999` ended in uvicorn's OverflowError, `synth --seed -1` in numpy's."""
    for argv, param in (
        (["serve", "--port", "99999999"], "--port"),
        (["demo", "--no-serve", "--port", "70000", "--workdir", str(tmp_path / "d")], "--port"),
        (["synth", str(tmp_path / "s"), "--reports", "5", "--seed=-1"], "--seed"),
        (["demo", "--no-serve", "--seed=-1", "--workdir", str(tmp_path / "d")], "--seed"),
    ):
        result = runner.invoke(app, [*_db(tmp_path), *argv])
        assert result.exit_code == 2, (argv, result.output, result.exception)
        assert param in result.output
    assert not (tmp_path / "s").exists() and not (tmp_path / "d").exists()


def test_a_bigfish_error_a_command_lets_through_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bigfish --db mysql://x/y org list` (or any URL but sqlite/postgresql) ended in a
    ConfigError traceback for the commands that do not catch it themselves."""
    for argv in (["org", "list"], ["key", "list"], ["user", "list"], ["contact", "list"]):
        code, err = _run_main(["--db", "mysql://x/y", *argv], monkeypatch, capsys)
        assert code == 1, (argv, err)
        assert err.startswith("error: unsupported database URL 'mysql://x/y'"), err


def test_a_library_reading_a_file_that_is_not_utf8_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bigfish ml train --extra labels.tsv` with a Latin-1 file ended in UnicodeDecodeError."""
    labels = tmp_path / "labels.tsv"
    labels.write_bytes(b"scam\tcaf\xe9 prize\n")
    shared = Path(__file__).resolve().parents[1] / "data" / "messages"
    argv = ["ml", "train", "--data", str(shared), "--extra", str(labels)]
    code, err = _run_main([*argv, "--out", str(tmp_path / "m")], monkeypatch, capsys)
    assert code == 1 and "Traceback" not in err
    assert err.startswith("error: ") and "UTF-8" in err, err


# --- the line tools: one answer per input line ---------------------------------------------


def _out_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.split("\n") if line.startswith("{")]


def test_a_line_that_is_not_utf8_is_answered_in_its_place(tmp_path: Path) -> None:
    """normalize --input and classify --input ended in UnicodeDecodeError at the first byte
    that was not UTF-8; every other line is still answered, that one named."""
    values = tmp_path / "values.jsonl"
    values.write_bytes(
        b'{"kind": "email", "value": "a@b.com"}\n'
        b'{"kind": "email", "value": "caf\xe9@b.com"}\n'
        b'{"kind": "phone", "value": "0812345678", "country": "TH"}\n'
    )
    result = runner.invoke(app, ["normalize", "--input", str(values)])
    assert result.exit_code == 1, result.output
    answers = _out_lines(result.stdout)
    assert [a.get("line") for a in answers] == [None, 2, None]
    assert "UTF-8" in answers[1]["error"] and answers[2]["canonical"] == "+66812345678"
    assert f"{values}:2: not valid UTF-8" in result.stderr

    texts = tmp_path / "messages.txt"
    texts.write_bytes(b"hello\ncaf\xe9 prize\nsee you\n")
    for argv, stdin in (
        (["classify", "--json", "--input", str(texts)], None),
        (["classify", "--json"], texts.read_bytes()),
    ):
        result = runner.invoke(app, argv, input=stdin)
        assert result.exit_code == 1, result.output
        answers = _out_lines(result.stdout)
        assert len(answers) == 3 and answers[1]["line"] == 2 and "UTF-8" in answers[1]["error"]
        assert "label" in answers[0] and "label" in answers[2]

    result = runner.invoke(app, ["extract"], input=b'{"text": "x\xff"}\n{"text": "a@b.com"}\n')
    assert result.exit_code == 1
    answers = _out_lines(result.stdout)
    assert answers[0]["line"] == 1 and answers[1]["identifiers"][0]["canonical"] == "a@b.com"


def test_a_line_ends_at_newline_only(tmp_path: Path) -> None:
    """classify cut its input with str.splitlines, which also ends a line at U+2028, U+0085
    and form feeds: two input lines got four answers, each after the first out of step."""
    stdin = "first part\u2028second part\nthird\x0cfourth\x85fifth\n".encode()
    result = runner.invoke(app, ["classify", "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    assert len(_out_lines(result.stdout)) == 2

    # A JSON string may hold U+2028 unescaped: the line after it is still line 2.
    stdin = '{"kind": "email", "value": "x\u2028y"}\n{"kind": "nope", "value": "1"}\n'.encode()
    result = runner.invoke(app, ["normalize"], input=stdin)
    answers = _out_lines(result.stdout)
    assert len(answers) == 2 and answers[1]["line"] == 2, answers


def test_a_byte_order_mark_is_not_part_of_the_input(tmp_path: Path) -> None:
    """A file saved with a UTF-8 BOM: normalize answered its first line 'not JSON', and
    classify read JSON lines as plain text (the BOM hid the first line's object), so each
    message was classified as the literal text '{"text": …}'."""
    line = '{"kind": "phone", "value": "0812345678", "country": "TH"}\n'
    result = runner.invoke(app, ["normalize"], input=b"\xef\xbb\xbf" + line.encode())
    assert result.exit_code == 0, result.output
    assert _out_lines(result.stdout)[0]["canonical"] == "+66812345678"

    lines = b'{"text": "see you at lunch"}\n{"text": "you won a prize, call now"}\n'
    plain = runner.invoke(app, ["classify", "--json"], input=lines)
    with_bom = runner.invoke(app, ["classify", "--json"], input=b"\xef\xbb\xbf" + lines)
    assert with_bom.exit_code == 0 and with_bom.stdout == plain.stdout


def test_blind_numbers_lines_as_its_input_has_them(tmp_path: Path) -> None:
    """blind cut its input with str.splitlines too: a value holding U+2028 ended the command
    ('expected {"kind", "value", "country"}'), and a file that is not UTF-8 was named without
    its line."""
    db = _db(tmp_path)
    assert runner.invoke(app, [*db, "org", "add", "th-aoc", "--country", "TH"]).exit_code == 0
    assert runner.invoke(app, [*db, "group", "add", "g", "--org", "th-aoc"]).exit_code == 0
    values = tmp_path / "v.jsonl"
    values.write_text(
        '{"kind": "handle", "value": "line:a\u2028b"}\n'
        '{"kind": "phone", "value": "0812345678", "country": "TH"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, [*db, "blind", str(values), "--group", "g"])
    assert result.exit_code == 0, result.output
    assert [a["line"] for a in _out_lines(result.stdout)][-1] == 2

    values.write_bytes(b'{"kind": "phone", "value": "1"}\n{"kind": "phone", "value": "\xff"}\n')
    result = runner.invoke(app, [*db, "blind", str(values), "--group", "g"])
    assert result.exit_code == 1 and f"{values}:2: not valid UTF-8" in result.stderr


# --- messages and help ----------------------------------------------------------------------


def test_ingest_of_one_unreadable_file_does_not_speak_of_others(tmp_path: Path) -> None:
    """'error: 1 of 1 files were not read (above); the others are stored' for a lone file."""
    db = _db(tmp_path)
    result = runner.invoke(app, [*db, "ingest", str(tmp_path / "missing.csv"), "--org", "a"])
    assert result.exit_code == 1
    assert "the others" not in result.stderr
    assert "error: the file was not read (above); nothing was stored" in result.stderr
    result = runner.invoke(
        app, [*db, "ingest", str(tmp_path / "m1.csv"), str(tmp_path / "m2.csv"), "--org", "a"]
    )
    assert "none of the 2 files was read (above); nothing was stored" in result.stderr


def test_evidence_event_offers_only_the_types_stated_by_hand(tmp_path: Path) -> None:
    """--type listed acquired|accessed|exported too, which the service always refuses."""
    result = runner.invoke(app, ["evidence", "event", "--help"], env={"COLUMNS": "200"})
    assert "transferred|sealed|disposed" in result.output and "acquired" not in result.output
    argv = ["evidence", "event", "ev-x", "--type", "acquired", "--purpose", "p"]
    result = runner.invoke(app, [*_db(tmp_path), *argv])
    assert result.exit_code == 2 and "--type" in result.output


def test_serve_says_where_it_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bigfish serve` printed nothing at all until the first warning: was it up?"""
    import socket

    import uvicorn

    from bigfish.cli import serve as serve_command

    for name in ("BIGFISH_DATABASE_URL", "BIGFISH_DATA_DIR", "BIGFISH_RATE_LIMIT"):
        monkeypatch.setenv(name, "unset")  # serve sets them; restored after the test
    monkeypatch.setenv("BIGFISH_WARM_FIGURES", "0")
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    monkeypatch.setattr(serve_command, "_listen", lambda host, port: socket.socket())  # no port
    result = runner.invoke(app, [*_db(tmp_path), "serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert ran["port"] == 8123
    assert "serving on http://127.0.0.1:8123 (Ctrl-C to stop)" in result.stdout


def test_the_demo_serves_with_serve_s_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bigfish demo` called the `serve` command as a function without its newer options, so
    they were typer's option objects: the public check was on (an object is true) and every
    connection raised in the protocol (the connection cap read the object's text as a number)."""
    from bigfish.cli import demo, serve

    ran = capture_serve(monkeypatch, tmp_path)
    demo._serve(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "demo-data", "127.0.0.1", 8124)
    assert ran["port"] == 8124 and ran["workers"] == 1
    assert ran["public_check"] == "0" and ran["rate_limit"] == "6000"
    assert ran["cap"] == serve.MAX_CONNECTIONS_PER_ADDRESS


def test_every_command_summary_is_one_line() -> None:
    """`bigfish --help` (and each group's) broke summaries where the docstring did."""
    broken = []
    for name, command in _leaves(typer.main.get_command(app)).items():
        summary = command.short_help or (command.help or "").split("\n\n")[0]
        if "\n" in summary.strip():
            broken.append(name)
    assert not broken


def _examples(text: str) -> list[str]:
    """The bigfish commands of TEXT: from 'bigfish ' to the end of its line, continued while
    a line ends with a backslash."""
    found, current = [], ""
    for line in text.splitlines():
        piece = line.strip()
        if not current:
            start = re.search(r"(?:^|: |\| )(bigfish .*)$", piece)
            if start is None:
                continue
            piece = start.group(1)
        current += " " + piece.removesuffix("\\")
        if not piece.endswith("\\"):
            found.append(current.strip())
            current = ""
    return found


def test_every_help_example_can_be_pasted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples broken over two lines mid-argument (`--basis` / `budapest-29`, or inside a
    quoted string) ran as a broken command when pasted; `request create`'s deadline had
    passed. Every example must parse as a whole command line (no command is run)."""
    root = typer.main.get_command(app)
    leaves = _leaves(root)
    for command in leaves.values():
        monkeypatch.setattr(command, "callback", lambda **_: None)
    checked = 0
    for name, command in leaves.items():
        for example in _examples(command.help or ""):
            args = shlex.split(example)[1:]
            try:
                with runner.isolation(input="a password to type\n" * 2):  # user add prompts
                    root.main(args, prog_name="bigfish", standalone_mode=False)
            except Exception as exc:  # a usage error names the example that broke
                pytest.fail(f"{name}: {example!r}: {exc}")
            for deadline in re.findall(r"--deadline (\d{4}-\d\d-\d\d)", example):
                assert date.fromisoformat(deadline) > date.today(), example
            checked += 1
    assert checked >= len(leaves)


def test_an_unknown_user_role_lists_only_the_roles_a_user_can_have(tmp_path: Path) -> None:
    """`user add … --role boss` offered `sync`, which is then refused for users."""
    db = _db(tmp_path)
    assert runner.invoke(app, [*db, "org", "add", "x", "--country", "TH"]).exit_code == 0
    args = [*db, "user", "add", "bob", "--org", "x", "--role", "boss"]
    result = runner.invoke(app, args, input="longpassword123\nlongpassword123\n")
    assert result.exit_code == 1
    assert "unknown role 'boss' (one of analyst, admin, readonly)" in result.output
    key = runner.invoke(app, [*db, "key", "create", "--org", "x", "--role", "boss"])
    assert "(one of analyst, admin, sync, readonly)" in key.output  # keys may be sync


def test_a_json_line_that_gives_a_key_twice_is_answered_with_an_error(tmp_path: Path) -> None:
    """`{"text": "a", "text": "b"}` was classified as "b", the first value dropped unsaid."""
    twice = '{"text": "win a prize http://bit.ly/x"}\n{"text": "a", "text": "b"}\n'
    classified = runner.invoke(app, ["classify", "--json"], input=twice)
    answers = [json.loads(line) for line in classified.stdout.splitlines()]
    assert classified.exit_code == 1 and len(answers) == 2 and "label" in answers[0]
    assert answers[1] == {"line": 2, "error": "the key 'text' is given more than once"}
    value = '{"kind": "phone", "value": "0812345678", "country": "TH", "value": "x"}\n'
    normalized = runner.invoke(app, ["normalize"], input=value)
    [answer] = [json.loads(line) for line in normalized.stdout.splitlines()]
    assert answer["field"] == "value" and "more than once" in answer["error"]


def test_an_empty_contact_directory_says_so(tmp_path: Path) -> None:
    """`contact list --org kh-npa` printed nothing at all when the organization had none."""
    db = _db(tmp_path)
    assert runner.invoke(app, [*db, "org", "add", "kh-npa", "--country", "KH"]).exit_code == 0
    listed = runner.invoke(app, [*db, "contact", "list", "--org", "kh-npa"])
    assert listed.exit_code == 0
    assert listed.stdout.strip() == "no contacts of kh-npa: add one with bigfish contact add"
    as_json = runner.invoke(app, [*db, "contact", "list", "--json"])
    assert json.loads(as_json.stdout) == {"contacts": []}


def test_a_filter_no_network_matches_says_so(tmp_path: Path) -> None:
    """`networks --min-countries 99` said "no networks yet: ingest reports" beside networks."""
    db = _db(tmp_path)
    synth = runner.invoke(app, [*db, "synth", str(tmp_path / "p"), "--reports", "300"])
    assert synth.exit_code == 0, synth.output
    manifest = str(tmp_path / "p" / "partnership.json")
    assert runner.invoke(app, [*db, "ingest", "--manifest", manifest]).exit_code in (0, 1)
    assert "no networks yet" not in runner.invoke(app, [*db, "networks"]).stdout
    filtered = runner.invoke(app, [*db, "networks", "--min-countries", "99"])
    assert filtered.exit_code == 0 and "(no network matches the filter)" in filtered.stdout

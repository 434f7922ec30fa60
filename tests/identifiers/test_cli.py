# ruff: noqa: E501  (expected JSON lines read best on one line)
"""`bigfish normalize` and `bigfish extract` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_normalize_reads_json_lines_from_stdin() -> None:
    given = '{"kind": "phone", "value": "081-234-5678", "country": "TH"}\n{"kind": "url", "value": "https://t.me/Gold_Mentor_88"}\n'
    result = runner.invoke(app, ["normalize"], input=given)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        {
            "kind": "phone",
            "value": "081-234-5678",
            "country": "TH",
            "canonical_kind": "phone",
            "canonical": "+66812345678",
            "valid": True,
            "error": None,
        },
        {
            "kind": "url",
            "value": "https://t.me/Gold_Mentor_88",
            "country": None,
            "canonical_kind": "handle",
            "canonical": "telegram:gold_mentor_88",
            "valid": True,
            "error": None,
        },
    ]


def test_normalize_reports_invalid_values_in_the_output() -> None:
    result = runner.invoke(app, ["normalize"], input='{"kind": "url", "value": "javascript:x"}\n')
    assert result.exit_code == 0
    (line,) = lines(result.stdout)
    assert line["valid"] is False and "scheme" in str(line["error"])


def test_normalize_names_the_bad_line_and_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"kind": "ip", "value": "192[.]0.2.1"}\n{oops\n{"kind": "pager", "value": "1"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["normalize", "--input", str(source)])
    assert result.exit_code == 1
    first, second, third = lines(result.stdout)  # one output line per input line, in order
    assert first["canonical"] == "192.0.2.1"
    assert second["line"] == 2 and "not JSON" in str(second["error"])
    assert third["line"] == 3 and third["field"] == "kind"
    assert f"{source}:2" in result.stderr and "not JSON" in result.stderr
    assert f"{source}:3" in result.stderr and "kind" in result.stderr


def test_an_unknown_country_is_an_error_of_its_line() -> None:
    given = '{"kind": "phone", "value": "0812345678", "country": "XX"}\n{"kind": "phone", "value": "0812345678", "country": "uk"}\n'
    result = runner.invoke(app, ["normalize"], input=given)
    assert result.exit_code == 1
    unknown, alias = lines(result.stdout)
    assert unknown["field"] == "country" and "line" not in alias and alias["country"] == "uk"
    assert runner.invoke(app, ["extract", "--country", "ZZ", "call 0812345678"]).exit_code == 2


def test_normalize_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """Exit 1 as for every input that cannot be read (ingest, classify); 2 is for usage."""
    result = runner.invoke(app, ["normalize", "--input", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "missing.jsonl" in result.stderr


def test_extract_text_argument() -> None:
    result = runner.invoke(app, ["extract", "--country", "TH", "โทร0812345678ครับ LINE ID: w2659"])
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == [
        {
            "kind": "phone",
            "value": "0812345678",
            "canonical_kind": "phone",
            "canonical": "+66812345678",
            "start": 3,
            "end": 13,
        },
        {
            "kind": "handle",
            "value": "LINE ID: w2659",
            "canonical_kind": "handle",
            "canonical": "line:w2659",
            "start": 18,
            "end": 32,
        },
    ]


def test_extract_json_lines_in_order() -> None:
    given = '{"text": "โทร0812345678", "country": "TH"}\n{"text": "nothing here"}\n{"text": "t.me/abcde"}\n'
    result = runner.invoke(app, ["extract"], input=given)
    assert result.exit_code == 0, result.output
    documents = lines(result.stdout)
    assert [len(document["identifiers"]) for document in documents] == [1, 0, 1]  # type: ignore[arg-type]
    assert documents[2]["identifiers"][0]["canonical"] == "telegram:abcde"  # type: ignore[index]


def test_extract_bad_json_line_exits_1() -> None:
    given = (
        '{"text": "x"}\nnot json\n{"country": "TH"}\n{"text": "call 0812345678", "country": "TH"}\n'
    )
    result = runner.invoke(app, ["extract"], input=given)
    assert result.exit_code == 1
    assert "<stdin>:2" in result.stderr
    found = lines(result.stdout)
    assert [sorted(f) for f in found] == [
        ["identifiers"],
        ["error", "field", "line"],
        ["error", "field", "line"],
        ["identifiers"],
    ]
    assert found[2]["field"] == "text" and found[3]["identifiers"]


def test_extract_bad_country_is_a_usage_error() -> None:
    assert runner.invoke(app, ["extract", "--country", "Thailand", "x"]).exit_code == 2


def test_help_has_an_example() -> None:
    for command in ("normalize", "extract"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.stdout


def test_lookup_without_kind_and_a_bad_country_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    """Review finding: the kind was guessed outside the error handling."""
    done = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "lookup", "x", "--country", "ZZ"]
    )
    assert done.exit_code == 1
    assert "country" in done.output and "Traceback" not in done.output

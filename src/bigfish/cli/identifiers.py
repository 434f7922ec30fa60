"""`bigfish normalize` and `bigfish extract` (spec/cli.md): JSON lines in, JSON lines out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from bigfish.cli._app import app, fail
from bigfish.cli._lines import json_line, numbered_lines
from bigfish.errors import InputError
from bigfish.identifiers import Found, extract, normalize


def _record(line: str, source: str, number: int) -> dict[str, Any]:
    """The JSON object on LINE; InputError names the line when it is not one."""
    record = json_line(line, source, number)
    if not isinstance(record, dict):
        raise InputError("expected a JSON object", file=source, line=number)
    return record


def _text_field(record: dict[str, Any], name: str, source: str, line: int) -> str | None:
    value = record.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{name!r} must be a string", file=source, line=line, field=name)


def _emit(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in the input) is no UTF-8: escaped
        text = json.dumps(document)
    typer.echo(text)


def _run(lines: Iterable[bytes], source: str, handle: Any) -> None:
    """Apply HANDLE to each JSON line (blank lines are no input; bigfish.cli._lines says where
    a line ends). A line that cannot be handled (not UTF-8 included) gets {"line", "error",
    "field"} in its place, so that output line N answers input N; it is also reported on
    stderr, the others go on, and the exit status is 1."""
    failed = False
    for number, line in numbered_lines(lines, source):
        if isinstance(line, str) and not line.strip():
            continue
        try:
            if isinstance(line, InputError):
                raise line
            handle(number, _record(line, source, number))
        except InputError as error:
            typer.echo(f"error: {error}", err=True)
            _emit({"line": number, "error": error.message, "field": error.field})
            failed = True
    if failed:
        raise typer.Exit(1)


def _found_document(found: Found) -> dict[str, Any]:
    identifier = found.identifier
    return {
        "kind": identifier.kind.value,
        "value": identifier.value,
        "canonical_kind": identifier.canonical_kind.value,
        "canonical": identifier.canonical,
        "start": found.start,
        "end": found.end,
    }


@app.command("normalize")
def normalize_command(
    input_file: Path | None = typer.Option(
        None, "--input", help="JSON lines file (default: standard input)."
    ),
) -> None:
    """Normalize identifiers read as JSON lines {"kind", "value", "country"}.

    Writes one JSON line per input with kind, value, country, canonical_kind, canonical,
    valid and error. An input that cannot be read (not JSON, no kind or value, an unknown
    kind or country) gets {"line", "error", "field"} in its place and a message on stderr; the
    others are still processed, and the exit status is 1.

    Example:

        echo '{"kind": "phone", "value": "081-234-5678", "country": "TH"}' | bigfish normalize
    """
    source = str(input_file) if input_file else "<stdin>"

    def handle(line: int, record: dict[str, Any]) -> None:
        kind = _text_field(record, "kind", source, line)
        value = _text_field(record, "value", source, line)
        country = _text_field(record, "country", source, line)
        if kind is None or value is None:
            missing = "kind" if kind is None else "value"
            raise InputError("needs 'kind' and 'value'", file=source, line=line, field=missing)
        try:
            identifier = normalize(kind, value, country)
        except InputError as error:
            raise InputError(error.message, file=source, line=line, field=error.field) from None
        _emit(
            {
                "kind": identifier.kind.value,
                "value": value,
                "country": country,
                "canonical_kind": identifier.canonical_kind.value,
                "canonical": identifier.canonical,
                "valid": identifier.valid,
                "error": identifier.error,
            }
        )

    if input_file is None:
        _run(sys.stdin.buffer, source, handle)
        return
    try:
        with input_file.open("rb") as lines:
            _run(lines, source, handle)
    except OSError as error:
        raise fail(f"{input_file}: {error.strerror}") from None  # input, not usage: 1


@app.command("extract")
def extract_command(
    text: str | None = typer.Argument(None, help="Text to search (default: JSON lines on stdin)."),
    country: str | None = typer.Option(
        None, "--country", help="Report country (ISO alpha-2) for national phone numbers."
    ),
) -> None:
    """Find identifiers in free text, in any language.

    With TEXT: one JSON line per identifier (kind, value as written, canonical_kind, canonical,
    start, end). Without TEXT: reads JSON lines {"text", "country"} from stdin and writes one
    line {"identifiers": [...]} per input, in the same order; an input that cannot be read
    gets {"line", "error", "field"} in its place, and the exit status is 1.

    Example:

        bigfish extract --country TH "โทร0812345678ครับ LINE ID: w2659"
    """
    try:
        if text is not None:
            for found in extract(text, country):
                _emit(_found_document(found))
            return
        extract("", country)  # validates --country before reading anything
    except InputError as error:
        raise typer.BadParameter(error.message, param_hint="--country") from None

    def handle(line: int, record: dict[str, Any]) -> None:
        body = _text_field(record, "text", "<stdin>", line)
        if body is None:
            raise InputError("needs 'text'", file="<stdin>", line=line, field="text")
        line_country = _text_field(record, "country", "<stdin>", line) or country
        try:
            found = extract(body, line_country)
        except InputError as error:
            raise InputError(error.message, file="<stdin>", line=line, field=error.field) from None
        _emit({"identifiers": [_found_document(item) for item in found]})

    _run(sys.stdin.buffer, "<stdin>", handle)

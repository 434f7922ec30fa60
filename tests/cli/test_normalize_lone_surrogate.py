"""`bigfish normalize` of a JSON line holding a lone surrogate ("\\ud800", valid JSON, no UTF-8)
answers that line with the surrogate escaped and goes on: it crashed with UnicodeEncodeError
and every later line was lost."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bigfish.cli import app


def test_a_lone_surrogate_is_answered_escaped_and_the_rest_goes_on() -> None:
    given = (
        '{"kind": "phone", "value": "\\ud800081"}\n'
        '{"kind": "phone", "value": "0812345678", "country": "TH"}\n'
    )
    result = CliRunner().invoke(app, ["normalize"], input=given)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["value"] == "\ud800081" and first["valid"] is False
    assert "\\ud800" in result.stdout.splitlines()[0]
    assert second["canonical"] == "+66812345678"

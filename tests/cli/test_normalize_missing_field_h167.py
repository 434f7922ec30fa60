"""Review h167 (README "Usage": a line normalize cannot read gets {"line", "error"} naming what
is wrong). A line without `kind` or `value` got `"field": null`, where extract's line without
`text` names `"field": "text"`: a script could not tell which key to add."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bigfish.cli import app


def test_a_missing_kind_or_value_is_named_as_the_field() -> None:
    lines = [
        {"value": "0812345678", "country": "TH"},
        {"kind": "phone", "country": "TH"},
        {"kind": "phone", "value": "0812345678", "country": "TH"},
    ]
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    result = CliRunner().invoke(app, ["normalize"], input=stdin)
    assert result.exit_code == 1
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a.get("line"), a.get("field")) for a in answers[:2]] == [(1, "kind"), (2, "value")]
    assert answers[2]["canonical"] == "+66812345678"
    assert "field 'kind'" in result.stderr and "field 'value'" in result.stderr

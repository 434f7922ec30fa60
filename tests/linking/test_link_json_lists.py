"""`bigfish link --json` names the warning lists the run stopped values with (the shipped ones
and the operator's), as `bigfish.linking.warninglists.describe`'s docstring always said it did;
the JSON held the run's counts only, so an operator could not tell whether `--warning-lists` or
BIGFISH_WARNING_LISTS had been read."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()

OURS = {
    "name": "our-hotlines",
    "type": "exact",
    "kinds": ["phone"],
    "country": "TH",
    "list": ["02-555-0100", "02-555-0101"],
}


def test_link_json_names_the_lists_it_used(tmp_path: Path) -> None:
    """Before: KeyError: 'warning_lists'."""
    lists = tmp_path / "our-lists"
    lists.mkdir()
    (lists / "ours.json").write_text(json.dumps(OURS), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'node.db'}"
    assert (
        runner.invoke(app, ["--db", db, "org", "add", "th-aoc", "--country", "TH"]).exit_code == 0
    )
    result = runner.invoke(app, ["--db", db, "link", "--json", "--warning-lists", str(lists)])
    assert result.exit_code == 0, result.output
    used = {entry["name"]: entry for entry in json.loads(result.output)["warning_lists"]}
    assert used["our-hotlines"] == {
        "name": "our-hotlines",
        "type": "exact",
        "kinds": ["phone"],
        "entries": 2,
    }
    assert "hotlines-th" in used  # the shipped lists too
    plain = runner.invoke(app, ["--db", db, "link", "--json"])
    assert "our-hotlines" not in {e["name"] for e in json.loads(plain.output)["warning_lists"]}

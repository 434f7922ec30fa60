"""Ids the node does not have name the command to find or add them on every path.

`bigfish report --as-org nosuch` passed the error's text to `fail`, which adds the next step
only for the error itself; `bigfish network ID` and `bigfish key revoke ID` of an id the
store cannot even be asked about (0, negative, past 64 bits) said "not found" and no more.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bigfish.cli import app

runner = CliRunner()
HUGE = "99999999999999999999999"


@pytest.fixture
def node(tmp_path: Path) -> list[str]:
    """The global options of a node with one organization, "a"."""
    options = ["--db", f"sqlite:///{tmp_path / 'n.db'}", "--data-dir", str(tmp_path / "data")]
    added = runner.invoke(app, [*options, "org", "add", "a", "--country", "TH"])
    assert added.exit_code == 0, added.output
    return options


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["report", "--out", "{dir}/r.html", "--as-org", "nosuch"],
            "error: organization 'nosuch' not found; see bigfish org list, "
            "or add it with bigfish org add",
        ),
        (
            ["network", HUGE],
            f"error: network '{HUGE}' not found; see bigfish networks for the ids",
        ),
        (["network", "0"], "error: network '0' not found; see bigfish networks for the ids"),
        (
            ["key", "revoke", HUGE],
            f"error: api key '{HUGE}' not found; see bigfish key list for the ids",
        ),
        (
            ["key", "revoke", "--", "-1"],
            "error: api key '-1' not found; see bigfish key list for the ids",
        ),
    ],
)
def test_an_id_the_node_does_not_have_names_the_next_step(
    node: list[str], tmp_path: Path, args: list[str], expected: str
) -> None:
    argv = [*node, *(part.replace("{dir}", str(tmp_path)) for part in args)]
    result = runner.invoke(app, argv)
    assert (result.exit_code, result.stderr.strip()) == (1, expected), result.output
    assert not (tmp_path / "r.html").exists()

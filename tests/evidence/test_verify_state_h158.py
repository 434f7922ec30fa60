"""`bigfish evidence verify` says which state of the sender's log a package shows: an older
package of the same report, replayed, verifies too (it was genuinely signed), and only its
smaller, earlier tree head tells it apart."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.evidence.package import verify_package
from tests.evidence.conftest import Node, add, export_r1


def test_verify_shows_the_state_of_the_log_a_package_comes_from(node: Node, tmp_path: Path) -> None:
    add(node, b"chat export")
    older, newer = tmp_path / "older.zip", tmp_path / "newer.zip"
    export_r1(node, older)
    export_r1(node, newer)
    first, second = verify_package(older), verify_package(newer)
    assert first.ok and second.ok
    assert first.tree_size is not None and second.tree_size is not None
    assert first.tree_size < second.tree_size  # the replayed package shows the smaller log
    assert first.tree_head_at is not None and second.tree_head_at is not None
    assert first.tree_head_at < second.tree_head_at
    assert first.created_at is not None and first.created_at < str(second.created_at)

    runner = CliRunner()
    shown = runner.invoke(app, ["evidence", "verify", str(older), "--json"])
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert (doc["tree_size"], doc["tree_head_timestamp"], doc["created_at"]) == (
        first.tree_size,
        first.tree_head_at,
        first.created_at,
    )
    text = runner.invoke(app, ["evidence", "verify", str(older)])
    assert text.exit_code == 0, text.output
    assert (
        f"it shows the sender's custody log at {first.tree_size} records, signed "
        f"{first.tree_head_at}" in text.stdout
    )

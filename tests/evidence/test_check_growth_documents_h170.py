"""`bigfish evidence check-growth` given the wrong document (the sender's plain `head` instead of
`head --from-size N`, or a kept file with no tree head) names the file and what it lacks, and
asks for the right answer, instead of printing a Python KeyError."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.log import latest_tree_head
from tests.evidence.conftest import Node, add


def _files(node: Node, tmp_path: Path) -> tuple[Path, Path, Path, str]:
    add(node, b"chat export")
    kept_head = latest_tree_head(node.store)
    assert kept_head is not None
    add(node, b"transfer slip")
    now_head = latest_tree_head(node.store)
    assert now_head is not None and now_head.size == kept_head.size + 1
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({"tree_head": kept_head.to_json()}))
    answer = tmp_path / "head-now.json"
    answer.write_text(json.dumps({"tree_head": now_head.to_json()}))  # `head` without --from-size
    key = load_node_key(node.data_dir)
    pem = tmp_path / "public_key.pem"
    pem.write_bytes(key.public_pem())
    return kept, answer, pem, key.fingerprint


def test_an_answer_without_a_proof_asks_for_head_from_size(node: Node, tmp_path: Path) -> None:
    kept, answer, pem, fingerprint = _files(node, tmp_path)
    args = [str(kept), str(answer), "--public-key", str(pem), "--key", fingerprint]
    result = CliRunner().invoke(app, ["evidence", "check-growth", *args])
    assert result.exit_code == 1
    assert "KeyError" not in result.stderr
    assert f"{answer}: no 'from_size'" in result.stderr
    assert "bigfish evidence head --from-size 1" in result.stderr


def test_a_kept_file_without_a_tree_head_is_named(node: Node, tmp_path: Path) -> None:
    kept, answer, pem, fingerprint = _files(node, tmp_path)
    kept.write_text(json.dumps({"format": "bigfish-evidence-package/3"}))
    args = [str(kept), str(answer), "--public-key", str(pem), "--key", fingerprint]
    result = CliRunner().invoke(app, ["evidence", "check-growth", *args])
    assert result.exit_code == 1
    assert "KeyError" not in result.stderr
    assert f"{kept}: no 'tree_head'" in result.stderr

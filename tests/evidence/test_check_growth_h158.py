"""A partner who kept a tree head checks offline, with `bigfish evidence check-growth`, that the
sender's log only grew: a log whose newest records were deleted (with their tree heads) and
written again is named, though it verifies on its own node."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.log import latest_tree_head, prove_growth, verify_custody_log
from bigfish.evidence.marks import CUSTODY_MARKS
from bigfish.evidence.service import Activity, get_evidence
from bigfish.store.schema_evidence import custody_events, custody_tree_heads
from tests.evidence.conftest import Node, add

LOOK = Activity("Lan", "review")


def _documents(node: Node, tmp_path: Path, kept_size: int) -> tuple[list[str], str]:
    growth = prove_growth(node.store, kept_size)
    answer = tmp_path / "now.json"
    answer.write_text(
        json.dumps(
            {
                "tree_head": growth.tree_head.to_json(),
                "from_size": growth.old_size,
                "consistency_proof": list(growth.proof),
            }
        )
    )
    key = load_node_key(node.data_dir)
    pem = tmp_path / "public_key.pem"
    pem.write_bytes(key.public_pem())
    return [str(tmp_path / "kept.json"), str(answer), "--public-key", str(pem)], key.fingerprint


def test_check_growth_passes_a_log_that_grew_and_names_one_rewritten(
    node: Node, tmp_path: Path
) -> None:
    item = add(node, b"chat export")
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    kept = latest_tree_head(node.store)
    assert kept is not None and kept.size == 3
    (tmp_path / "kept.json").write_text(json.dumps({"tree_head": kept.to_json()}))
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    runner = CliRunner()

    args, fingerprint = _documents(node, tmp_path, kept.size)
    grew = runner.invoke(app, ["evidence", "check-growth", *args, "--key", fingerprint])
    assert grew.exit_code == 0, grew.output
    assert "OK: the log grew from 3 to 4 records" in grew.stdout

    other = "ab" * 32
    wrong_key = runner.invoke(app, ["evidence", "check-growth", *args, "--key", other])
    assert wrong_key.exit_code == 1 and f"not the expected key {other}" in wrong_key.stderr

    # The node's database loses its last two records and their tree heads, then grows again:
    # the node's marks of the heads it signed (h160) are lost too, or it would refuse to grow.
    with node.store.begin() as conn:
        conn.execute(sa.delete(custody_events).where(custody_events.c.seq > 2))
        conn.execute(sa.delete(custody_tree_heads).where(custody_tree_heads.c.size > 2))
    shutil.rmtree(node.data_dir / CUSTODY_MARKS)
    for _ in range(3):
        get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    assert verify_custody_log(node.store, node.data_dir).ok  # it holds on its own node
    args, fingerprint = _documents(node, tmp_path, kept.size)
    rewritten = runner.invoke(app, ["evidence", "check-growth", *args, "--key", fingerprint])
    assert rewritten.exit_code == 1, rewritten.output
    assert "does not extend the kept tree head of 3 records" in rewritten.stderr
    assert "Traceback" not in rewritten.output

"""Fresh-eyes review of the custody log and packages (helper-90): tamperings and races that the
other tests did not try."""

from __future__ import annotations

import sqlalchemy as sa

from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, get_evidence
from bigfish.store.schema_evidence import custody_events, custody_tree_heads
from tests.evidence.conftest import Node, add


def test_integrity_truncation_hidden_behind_a_copy_of_an_older_tree_head_is_detected(
    node: Node,
) -> None:
    # Deleting the newest record and re-inserting a (genuinely signed) older tree head as the
    # latest makes the last head agree with the log again; the signed head of the larger log
    # is still in the table and says that records were removed.
    item = add(node, b"chat export")
    for _ in range(3):
        get_evidence(node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "look"))
    assert verify_custody_log(node.store, node.data_dir).ok
    with node.store.begin() as conn:
        conn.execute(custody_events.delete().where(custody_events.c.seq == 4))
        older = (
            conn.execute(sa.select(custody_tree_heads).where(custody_tree_heads.c.size == 3))
            .mappings()
            .one()
        )
        conn.execute(
            custody_tree_heads.insert().values({k: v for k, v in older.items() if k != "id"})
        )
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert "tree head of size 4" in str(check.problem)

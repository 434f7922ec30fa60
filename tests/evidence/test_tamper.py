"""Security tests, class 19: rows of the custody log changed in the database are detected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import IntegrityError
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.service import Activity, get_evidence
from bigfish.store.schema_evidence import custody_events, custody_tree_heads
from tests.evidence.conftest import Node, add, evidence_rows


def _five_records(node: Node) -> None:
    one = add(node, b"chat export")
    two = add(node, b"transfer slip", name="slip.pdf")
    for item in (one, two, one):
        get_evidence(node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "review"))


def _update(conn: Connection, at_seq: int, **values: object) -> None:
    conn.execute(custody_events.update().where(custody_events.c.seq == at_seq).values(**values))


def edit_purpose(conn: Connection) -> None:
    _update(conn, 3, purpose="nothing to see here")


def edit_receiver_and_hash(conn: Connection) -> None:
    # A careful forger also recomputes the record hash; the signature still gives it away.
    import hashlib

    from bigfish.evidence.log import read_records

    record = read_records(conn)[2]
    _update(conn, 3, received_person="Mallory")
    forged = read_records(conn)[2]
    _update(conn, 3, record_hash=hashlib.sha256(forged.body()).hexdigest())
    assert record.record_hash != hashlib.sha256(forged.body()).hexdigest()


def delete_middle(conn: Connection) -> None:
    conn.execute(custody_events.delete().where(custody_events.c.seq == 2))


def delete_last(conn: Connection) -> None:
    conn.execute(custody_events.delete().where(custody_events.c.seq == 5))


def delete_last_and_its_tree_head(conn: Connection) -> None:
    conn.execute(custody_events.delete().where(custody_events.c.seq == 5))
    last = sa.select(sa.func.max(custody_tree_heads.c.id)).scalar_subquery()
    conn.execute(custody_tree_heads.delete().where(custody_tree_heads.c.id == last))
    # the previous head (size 4) still stands; the last signed head a partner kept does not.


def reorder(conn: Connection) -> None:
    _update(conn, 2, seq=-2)
    _update(conn, 3, seq=2)
    _update(conn, -2, seq=3)


def insert_copy(conn: Connection) -> None:
    row = conn.execute(sa.select(custody_events).where(custody_events.c.seq == 2)).mappings().one()
    values = {k: v for k, v in row.items() if k != "id"}
    conn.execute(
        custody_events.update()
        .where(custody_events.c.seq >= 3)
        .values(seq=custody_events.c.seq + 100)
    )
    conn.execute(custody_events.insert().values({**values, "seq": 3}))


def append_forged(conn: Connection) -> None:
    row = conn.execute(sa.select(custody_events).where(custody_events.c.seq == 5)).mappings().one()
    values = {k: v for k, v in row.items() if k != "id"}
    conn.execute(
        custody_events.insert().values({**values, "seq": 6, "prev_hash": row["record_hash"]})
    )


def edit_leaf_hash(conn: Connection) -> None:
    # The record itself is intact: only the hash that proofs are built from is changed.
    leaf = conn.execute(
        sa.select(custody_events.c.leaf_hash).where(custody_events.c.seq == 3)
    ).scalar_one()
    _update(conn, 3, leaf_hash=("00" if leaf[:2] != "00" else "11") + leaf[2:])


def edit_frontier(conn: Connection) -> None:
    last = conn.execute(sa.select(sa.func.max(custody_tree_heads.c.id))).scalar_one()
    frontier = conn.execute(
        sa.select(custody_tree_heads.c.frontier).where(custody_tree_heads.c.id == last)
    ).scalar_one()
    conn.execute(
        custody_tree_heads.update()
        .where(custody_tree_heads.c.id == last)
        .values(frontier=["00" * 32, *frontier[1:]])
    )


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (edit_leaf_hash, "custody record seq 3: its stored leaf hash does not match"),
        (edit_frontier, "its stored frontier does not match"),
        (edit_purpose, "seq 3: its content does not match its hash"),
        (edit_receiver_and_hash, "seq 3: bad signature"),
        (delete_middle, "position 2 holds seq 3"),
        (delete_last, "covers 5 records but the log holds 4"),
        (reorder, "seq 2: its content does not match its hash"),
        (insert_copy, "seq 3: its content does not match its hash"),
        (append_forged, "seq 6"),
    ],
)
def test_integrity_custody_log_rows_changed_in_the_database_are_detected(
    node: Node, tamper: Callable[[Connection], None], expected: str
) -> None:
    _five_records(node)
    assert verify_custody_log(node.store, node.data_dir).ok
    with node.store.begin() as conn:
        tamper(conn)
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert expected in str(check.problem)


def test_integrity_truncated_log_is_caught_by_a_partners_kept_tree_head(node: Node) -> None:
    from bigfish.evidence.custody import load_node_key
    from bigfish.evidence.log import check_growth, latest_tree_head, prove_growth

    _five_records(node)
    kept = latest_tree_head(node.store)
    assert kept is not None
    with node.store.begin() as conn:
        delete_last_and_its_tree_head(conn)
    # Consistent again in the database; the node's marks beside its key name it (h160).
    assert "signed a tree head of 5 records" in str(
        verify_custody_log(node.store, node.data_dir).problem
    )
    with pytest.raises(IntegrityError, match="outside"):  # ...but cannot prove it grew from 5
        prove_growth(node.store, kept.size)
    now = latest_tree_head(node.store)
    assert now is not None and now.size < kept.size
    assert not check_growth(kept, now, [], load_node_key(node.data_dir).public_pem())


def test_append_refuses_to_extend_a_log_whose_tree_head_disagrees(node: Node) -> None:
    _five_records(node)
    with node.store.begin() as conn:
        delete_last(conn)
    with pytest.raises(IntegrityError, match="verify-log"):
        add(node, b"new evidence")


def _update_evidence(node: Node, evidence_id: str, **values: object) -> None:
    from bigfish.store.schema_evidence import evidence

    with node.store.begin() as conn:
        conn.execute(
            evidence.update().where(evidence.c.evidence_id == evidence_id).values(**values)
        )


def _move_to_r2(node: Node) -> dict[str, object]:
    from bigfish.store.schema import reports

    with node.store.connect() as conn:
        pk = conn.execute(sa.select(reports.c.id).where(reports.c.report_id == "R-2")).scalar_one()
    return {"report_pk": pk}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"file_name": "other.txt"}, "file_name"),
        ({"source": "seized laptop"}, "source"),
        ({"acquired_by": "Someone Else"}, "acquired_by"),
        ({"acquired_at": "2020-01-01T00:00:00.000000Z"}, "acquired_at"),
        ({"size": 3}, "size"),
        ({"method": "forensic image"}, "method"),
        ({"media_type": "image/png"}, "media_type"),
        ({"description": "planted"}, "description"),
        ({"tool": "FTK"}, "tool"),
        (_move_to_r2, "report"),
    ],
)
def test_integrity_evidence_metadata_changed_in_the_database_is_detected(
    node: Node, tmp_path: Path, values: Any, field: str
) -> None:
    from bigfish.evidence.service import export_package

    item = add(node, b"chat export")
    assert verify_custody_log(node.store, node.data_dir).ok
    _update_evidence(node, item.evidence_id, **(values(node) if callable(values) else values))
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert str(check.problem).startswith(
        f"evidence {item.evidence_id}: the evidence table says {field} "
    )
    assert "signed acquired record (seq 1)" in str(check.problem)
    report_id = "R-2" if field == "report" else "R-1"
    before = evidence_rows(node.store)
    # A size that differs is caught while the file is copied, before the manifest is checked.
    refusal = "do not match their digest" if field == "size" else f"manifest.json says {field} "
    with pytest.raises(IntegrityError, match=refusal):
        export_package(
            node.store,
            node.data_dir,
            node.a,
            org="TH-AOC",
            report_id=report_id,
            out=tmp_path / "p.zip",
            activity=Activity("Lan", "disclosure"),
        )
    assert not (tmp_path / "p.zip").exists()
    assert evidence_rows(node.store) == before  # no 'exported' records for a failed export


def test_integrity_custody_records_of_a_deleted_evidence_row_are_detected(node: Node) -> None:
    from bigfish.store.schema_evidence import evidence

    item = add(node, b"chat export")
    with node.store.begin() as conn:
        conn.execute(evidence.delete().where(evidence.c.evidence_id == item.evidence_id))
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok and f"evidence {item.evidence_id} is not in the evidence" in str(
        check.problem
    )


def test_records_written_before_metadata_was_signed_still_verify_and_say_so(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bigfish.evidence import service

    monkeypatch.setattr(service, "_acquired_file", lambda acquisition, size: None)
    old = add(node, b"acquired by an older bigfish")
    monkeypatch.undo()
    new = add(node, b"acquired now")
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    assert len(check.notes) == 1 and old.evidence_id in check.notes[0]
    assert "file_name, size" in check.notes[0] and new.evidence_id not in check.notes[0]
    # What the old record did sign is still checked.
    _update_evidence(node, old.evidence_id, acquired_by="Someone Else")
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok and "acquired_by 'Someone Else'" in str(check.problem)

"""The node's marks of the custody tree heads it signed, kept beside its key: a database that
lost its newest records *and* their tree heads is consistent again on its own, and used to verify
(docs/evidence.md "Limits"); `verify-log` now names it, and the node refuses to append to it. A
second database served with the same data directory has marks of its own (no false alarm), and
a node that signed before the marks existed keeps verifying."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.errors import IntegrityError
from bigfish.evidence.custody import load_node_key
from bigfish.evidence.log import append, read_records, signing_key, verify_custody_log
from bigfish.evidence.marks import CUSTODY_MARKS, signed_head
from bigfish.evidence.service import Activity, get_evidence
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema_evidence import custody_events, custody_tree_heads, evidence
from tests.evidence.conftest import Node, add, add_report, evidence_rows

LOOK = Activity("Lan", "review")


def _five_records(node: Node) -> None:
    one = add(node, b"chat export")
    two = add(node, b"transfer slip", name="slip.pdf")
    for item in (one, two, one):
        get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)


def _look(node: Node) -> None:
    """One more record: the first evidence item looked at (its evidence row needs no other)."""
    with node.store.connect() as conn:
        first = read_records(conn)[0].draft.evidence_id
    get_evidence(node.store, node.data_dir, node.a, first, LOOK)


def _cut_to(store: Store, size: int) -> None:
    """Delete the records after SIZE and their tree heads, as someone with the database can."""
    with store.begin() as conn:
        conn.execute(sa.delete(custody_events).where(custody_events.c.seq > size))
        conn.execute(sa.delete(custody_tree_heads).where(custody_tree_heads.c.size > size))


def _log_id(store: Store) -> str:
    with store.connect() as conn:
        return str(read_records(conn)[0].record_hash)


def _verify_log(url: str, data_dir: Path) -> tuple[int, str, str]:
    args = ["--db", url, "--data-dir", str(data_dir), "evidence", "verify-log"]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_a_clean_log_verifies_and_its_highest_signed_head_is_kept_beside_the_key(
    node: Node, store_url: str
) -> None:
    _five_records(node)
    mark = signed_head(node.data_dir, _log_id(node.store))
    assert mark is not None and mark.size == 5
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    code, out, err = _verify_log(store_url, node.data_dir)
    assert code == 0, err
    assert "OK: 5 custody records" in out
    folder = node.data_dir / CUSTODY_MARKS
    assert folder.parent == (node.data_dir / "keys")
    assert not any("PRIVATE" in p.read_text() for p in folder.rglob("*") if p.is_file())


def test_deleting_the_newest_records_and_their_tree_heads_is_named(
    node: Node, store_url: str
) -> None:
    _five_records(node)
    _cut_to(node.store, 3)
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert "holds 3 records, but this node signed a tree head of 5 records" in str(check.problem)
    assert "newest records and tree heads were deleted" in str(check.problem)
    code, _out, err = _verify_log(store_url, node.data_dir)
    assert code == 1
    assert "signed a tree head of 5 records" in err and "Traceback" not in err

    # Appending would bury it under new heads: refused, nothing stored.
    before = evidence_rows(node.store)
    with pytest.raises(IntegrityError, match="signed a tree head of 5 records"):
        add(node, b"new evidence")
    assert evidence_rows(node.store) == before
    assert "holds 3 records" in str(verify_custody_log(node.store, node.data_dir).problem)


def test_a_log_of_as_many_records_with_another_root_is_named(node: Node) -> None:
    _five_records(node)
    _cut_to(node.store, 3)
    with node.store.connect() as conn:
        kept = read_records(conn)
    # Signed with the node's key, but not by this node's code (no data directory: no marks):
    # two records written again in place of the two deleted ones.
    stray = load_node_key(node.data_dir)
    stray.data_dir = None
    drafts = [dataclasses.replace(kept[2].draft, purpose="something else")] * 2
    append(node.store, stray, drafts)
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok and check.records == 5
    assert "first 5 records have root" in str(check.problem)
    assert "the log was rewritten" in str(check.problem)
    with pytest.raises(IntegrityError, match="the log was rewritten"):
        get_evidence(node.store, node.data_dir, node.a, kept[0].draft.evidence_id, LOOK)


def test_an_append_rolled_back_is_not_marked(node: Node) -> None:
    _five_records(node)
    with node.store.connect() as conn:
        draft = read_records(conn)[4].draft

    def fails(_conn: object, _head: object) -> None:
        raise RuntimeError("the package could not be written")

    with pytest.raises(RuntimeError):
        append(node.store, signing_key(node.store, node.data_dir), [draft], fails)
    mark = signed_head(node.data_dir, _log_id(node.store))
    assert mark is not None and mark.size == 5
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_node_that_signed_before_the_marks_keeps_verifying_then_is_guarded(
    node: Node,
) -> None:
    _five_records(node)
    shutil.rmtree(node.data_dir / CUSTODY_MARKS)  # as a node upgraded from before the marks
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    _look(node)  # its first head signed since: marked
    assert verify_custody_log(node.store, node.data_dir).ok
    _cut_to(node.store, 4)
    assert "signed a tree head of 6 records" in str(
        verify_custody_log(node.store, node.data_dir).problem
    )


def _second_node(tmp_path: Path, data_dir: Path, name: str = "second.db") -> Node:
    store = open_store(f"sqlite:///{tmp_path / name}")
    a = add_org(store, "TH-AOC", country="TH")
    add_report(store, "TH-AOC", "R-1")
    from bigfish.models import ApiRole
    from bigfish.sharing.policy import Viewer

    viewer = Viewer(a.id, a.name, ApiRole.ANALYST, frozenset())
    return Node(store, data_dir, viewer, viewer, viewer, 0)


def test_two_databases_served_with_one_data_dir_give_no_false_alarm(
    node: Node, tmp_path: Path, store_url: str
) -> None:
    _five_records(node)
    other = _second_node(tmp_path, node.data_dir)  # a test database beside the real one
    try:
        add(other, b"test upload")
        _look(other)
        for db, records in ((node.store, 5), (other.store, 2)):
            check = verify_custody_log(db, node.data_dir)
            assert check.ok, check.problem
            assert check.records == records
        add(node, b"back to the first")  # and back again: no alarm either way
        _look(other)
        assert verify_custody_log(node.store, node.data_dir).ok
        assert verify_custody_log(other.store, node.data_dir).ok
        code, _out, err = _verify_log(store_url, node.data_dir)
        assert code == 0, err
        assert _log_id(node.store) != _log_id(other.store)

        # Each database is still held to its own marks.
        _cut_to(other.store, 1)
        assert "signed a tree head of 3 records" in str(
            verify_custody_log(other.store, node.data_dir).problem
        )
        assert verify_custody_log(node.store, node.data_dir).ok
    finally:
        other.store.close()


def test_a_log_wiped_from_its_database_is_named(node: Node) -> None:
    _five_records(node)
    with node.store.begin() as conn:
        for table in (custody_events, custody_tree_heads, evidence):
            conn.execute(sa.delete(table))
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok and check.records == 0
    assert "up to 5 records for this database" in str(check.problem)
    assert "holds an empty log: its log was wiped or replaced" in str(check.problem)


def test_a_verifier_with_another_data_dir_finds_no_marks_and_creates_none(
    node: Node, tmp_path: Path
) -> None:
    _five_records(node)
    elsewhere = tmp_path / "copy"
    shutil.copytree(node.data_dir / "keys", elsewhere / "keys")
    shutil.rmtree(elsewhere / CUSTODY_MARKS)
    assert verify_custody_log(node.store, elsewhere).ok
    assert not (elsewhere / CUSTODY_MARKS).exists()

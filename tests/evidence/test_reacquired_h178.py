"""Bytes of an evidence item that was disposed of, added again to the same report (a new copy
from the victim), are a new acquisition: a new item with its own signed `acquired` record, which
names the disposed item; the disposed item's chain stays closed. Before, the add answered
`held_before` with the disposed item and the new acquisition was lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bigfish.evidence import log
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.package import verify_package
from bigfish.evidence.service import list_evidence
from bigfish.store import Store, metadata
from bigfish.store.schema_evidence import evidence
from tests.evidence.conftest import Node, add, dispose, export_r1
from tests.store.test_migrations import run_migration

COPY = b"chat export, as the victim sent it"


def _events(node: Node, evidence_id: str) -> list[str]:
    with node.store.connect() as conn:
        return [r.draft.event.value for r in log.read_records(conn, [evidence_id])]


def test_the_bytes_of_a_disposed_item_are_acquired_again_as_a_new_item(node: Node) -> None:
    first = add(node, COPY)
    seq = dispose(node, first)
    again = add(node, COPY, name="chat-again.txt")
    # Before: the add answered the disposed item, held_before, and recorded nothing
    assert not again.held_before, f"answered held_before as {again.evidence_id}"
    assert again.evidence_id != first.evidence_id and again.sha256 == first.sha256
    assert again.disposal is None
    assert again.reacquired_after is not None
    assert (again.reacquired_after.evidence_id, again.reacquired_after.seq) == (
        first.evidence_id,
        seq,
    )
    assert _events(node, first.evidence_id) == ["acquired", "disposed"]  # closed, as it was
    assert _events(node, again.evidence_id) == ["acquired"]
    with node.store.connect() as conn:
        acquired = log.read_records(conn, [again.evidence_id])[0]
    assert acquired.draft.purpose.endswith(
        f"again after evidence {first.evidence_id} of the same bytes was disposed of "
        f"(custody record seq {seq})"
    )
    assert acquired.draft.received_by.person == "Somchai"
    assert acquired.draft.acquisition is not None
    assert acquired.draft.acquisition.file_name == "chat-again.txt"
    assert verify_custody_log(node.store, node.data_dir).ok
    listed = {i.evidence_id: i for i in list_evidence(node.store, node.data_dir, node.a)}
    assert listed[first.evidence_id].disposal is not None
    assert listed[again.evidence_id].disposal is None


def test_the_new_item_holds_the_bytes_from_then_on(node: Node) -> None:
    first = add(node, COPY)
    dispose(node, first)
    again = add(node, COPY)
    third = add(node, COPY)
    assert third.held_before and third.evidence_id == again.evidence_id
    assert third.reacquired_after == again.reacquired_after  # the item's, as listed
    with node.store.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar_one()
    assert count == 2


def test_a_live_item_still_holds_its_bytes(node: Node) -> None:
    first = add(node, COPY)
    second = add(node, COPY)
    assert second.held_before and second.evidence_id == first.evidence_id
    assert _events(node, first.evidence_id) == ["acquired"]


def test_a_report_with_a_disposed_item_and_its_new_copy_exports_and_verifies(
    node: Node, tmp_path: Path
) -> None:
    first = add(node, COPY)
    dispose(node, first)
    again = add(node, COPY)
    out = tmp_path / "p.zip"
    result = export_r1(node, out)
    assert (result.evidence, result.disposed) == (1, (first.evidence_id,))
    check = verify_package(out)
    # Before this change to verify: files/… (chat.txt, evidence ev-…) is in the package, but
    # manifest.json marks the item disposed (no bytes)
    assert check.ok, check.problem
    assert check.files == 1
    assert [d.evidence_id for d in check.disposed] == [first.evidence_id]
    assert _events(node, again.evidence_id) == ["acquired", "exported"]
    assert _events(node, first.evidence_id) == ["acquired", "disposed"]


def test_the_same_bytes_in_another_report_are_unchanged(node: Node) -> None:
    first = add(node, COPY)
    dispose(node, first)
    other = add(node, COPY, report_id="R-2")
    assert not other.held_before and other.reacquired_after is None


def _unique(store: Store) -> list[list[str]]:
    found = sa.inspect(store.engine).get_unique_constraints("evidence")
    return [list(u["column_names"]) for u in found]


def test_migration_0025_downgrades_and_upgrades_again(node: Node) -> None:
    store: Store = node.store
    add(node, COPY)
    run_migration(store, "downgrade", "0024")
    assert ["report_pk", "sha256"] in _unique(store)
    run_migration(store, "upgrade", "head")
    with store.connect() as conn:
        options = {"compare_type": True, "compare_server_default": True}
        assert compare_metadata(MigrationContext.configure(conn, opts=options), metadata) == []
    assert ["report_pk", "sha256"] not in _unique(store)


def test_migration_0025_refuses_to_downgrade_over_an_item_acquired_again(node: Node) -> None:
    first = add(node, COPY)
    dispose(node, first)
    add(node, COPY)
    try:
        run_migration(node.store, "downgrade", "0024")
    except RuntimeError as exc:
        assert "acquired again after a disposal" in str(exc)
    else:
        raise AssertionError("downgraded over two items of the same bytes")
    assert ["report_pk", "sha256"] not in _unique(node.store)


def test_the_same_bytes_added_meanwhile_hold_under_the_logs_lock(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The unique (report, sha256) is gone (0025): two adds of the same bytes at the same moment
    # are told apart under the custody log's lock. The second add's first look is made to miss
    # the first item, as it would when both look before either has appended.
    from bigfish.evidence import service

    first = add(node, COPY)
    real = service._same_bytes
    looks: list[int] = []

    def first_look_misses(conn: Any, report_pk: int, sha256: str) -> Any:
        looks.append(report_pk)
        return (None, None) if len(looks) == 1 else real(conn, report_pk, sha256)

    monkeypatch.setattr(service, "_same_bytes", first_look_misses)
    second = add(node, COPY)
    assert len(looks) == 2  # the look under the lock found it
    assert second.held_before and second.evidence_id == first.evidence_id
    assert _events(node, first.evidence_id) == ["acquired"]
    with node.store.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar_one()
    assert count == 1
    assert verify_custody_log(node.store, node.data_dir).ok

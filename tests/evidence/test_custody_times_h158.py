"""Custody times follow the log's order: a record is dated as it takes its place (not when its
draft was made, before an export copied its files), and where the node's clock went back the
verifiers say so, in the package and in the node's log."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bigfish.evidence import merkle
from bigfish.evidence.custody import (
    CustodyEvent,
    load_or_create_node_key,
    sign_tree_head,
)
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.package import PackageContents, verify_package, write_package
from bigfish.evidence.service import Activity, get_evidence, list_custody
from tests.evidence.builders import T0, acquired, build_log, draft, evidence_record
from tests.evidence.conftest import Node, add, export_r1


def _package(tmp_path: Path, minutes: list[int], head_minute: int = 60) -> Path:
    """A package of one file whose later records are dated MINUTES after T0, in log order."""
    key = load_or_create_node_key(tmp_path / "node")
    blob = tmp_path / "blob"
    blob.write_bytes(b"chat")
    sha = hashlib.sha256(b"chat").hexdigest()
    item = evidence_record("ev-0", sha, 4, "chat.txt")
    events = [CustodyEvent.ACCESSED] * (len(minutes) - 1) + [CustodyEvent.EXPORTED]
    drafts = [acquired(item)] + [
        draft("ev-0", sha, event, minute) for event, minute in zip(events, minutes, strict=True)
    ]
    log = build_log(drafts, key)
    frontier = merkle.Frontier()
    for record in log:
        frontier.append(record.leaf())
    head = sign_tree_head(frontier, T0 + timedelta(minutes=head_minute), key)
    tree = merkle.MerkleTree([r.leaf() for r in log])
    contents = PackageContents(
        org="TH-AOC",
        report_id="R-1",
        evidence=[item],
        blobs={sha: blob},
        records=log,
        tree_head=head,
        proofs={r.seq: tree.inclusion_proof(r.seq - 1) for r in log},
    )
    out = tmp_path / "package.zip"
    write_package(out, contents, key, created_at=T0 + timedelta(minutes=head_minute))
    return out


def test_a_package_whose_times_go_back_verifies_with_a_note(tmp_path: Path) -> None:
    check = verify_package(_package(tmp_path, [10, 5, 20]))
    assert check.ok, check.problem
    assert any(
        "seq 3 (accessed, 2025-12-17T03:05:00.000000Z) is dated before the record before it "
        "(seq 2, 2025-12-17T03:10:00.000000Z)" in note
        for note in check.notes
    ), check.notes


def test_a_tree_head_dated_before_a_record_it_covers_is_noted(tmp_path: Path) -> None:
    check = verify_package(_package(tmp_path, [10, 20], head_minute=15))
    assert check.ok, check.problem
    assert any("tree head of size 3 is dated" in n and "seq 3" in n for n in check.notes)


def test_times_in_order_give_no_clock_note(tmp_path: Path) -> None:
    check = verify_package(_package(tmp_path, [10, 20, 30]))
    assert check.ok and not [n for n in check.notes if "clock" in n], check.notes


def test_an_access_that_takes_the_lock_first_leaves_the_log_in_time_order(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export drafts its records, then waits for the append's lock: an access drafted
    later that gets the lock first came before the exported record in the log but after it in
    time."""
    from bigfish.evidence import log

    item = add(node, b"chat export")
    append = log.append

    def another_writer_first(*args: Any, **kwargs: Any) -> Any:
        if len(args) > 3 or "finish" in kwargs:  # the export's append: the other one wins
            monkeypatch.setattr(log, "append", append)
            get_evidence(
                node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "review")
            )
        return append(*args, **kwargs)

    monkeypatch.setattr(log, "append", another_writer_first)
    export_r1(node, tmp_path / "case.zip")
    chain = list_custody(node.store, node.a, item.evidence_id)
    assert [r.draft.event.value for r in chain] == ["acquired", "accessed", "exported"]
    times = [r.draft.at for r in chain[1:]]
    assert times == sorted(times), [f"seq {r.seq} {r.draft.at}" for r in chain]
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok and not check.notes, check
    package = verify_package(tmp_path / "case.zip")
    assert package.ok and not package.notes, package


def test_verify_log_notes_a_clock_that_went_back(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bigfish.evidence import log

    item = add(node, b"chat export")
    activity = Activity("Lan", "review")
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, activity)
    went_back = datetime.now(UTC) - timedelta(hours=1)

    class SetBack(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return went_back

    monkeypatch.setattr(log, "datetime", SetBack)
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, activity)
    monkeypatch.undo()
    check = verify_custody_log(node.store, node.data_dir)
    assert check.ok, check.problem
    assert any(
        "custody record seq 3 (accessed" in n and "before the record before it (seq 2" in n
        for n in check.notes
    ), check.notes
    assert any("tree head of size 3 is dated" in n for n in check.notes), check.notes


def test_records_keep_the_time_of_an_acquisition(node: Node) -> None:
    """Only the node's own records are dated as appended: an acquisition keeps the time the
    acquirer gave (the evidence row repeats it, and is checked against it)."""
    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    given = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    record = add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(b"slip"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=replace(
            Acquisition(acquired_by="Somchai", source="bank", method="copy"), acquired_at=given
        ),
    )
    chain = list_custody(node.store, node.a, record.evidence_id)
    assert chain[0].draft.at == given == record.acquired_at
    assert verify_custody_log(node.store, node.data_dir).ok

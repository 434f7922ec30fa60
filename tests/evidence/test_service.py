"""Evidence through the store, on SQLite and PostgreSQL: add, access, list, custody, export."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from bigfish.errors import AccessDenied, IntegrityError, NotFound
from bigfish.evidence.custody import CustodyEvent, HashCheck, Party
from bigfish.evidence.files import blob_path
from bigfish.evidence.log import check_growth, latest_tree_head, prove_growth, verify_custody_log
from bigfish.evidence.package import verify_package
from bigfish.evidence.service import (
    Activity,
    evidence_file,
    export_package,
    get_evidence,
    list_custody,
    list_evidence,
    record_custody_event,
)
from tests.evidence.conftest import (
    BIG,
    Node,
    add,
    add_other,
    evidence_rows,
    export_r1,
    stored_files,
)

LOOK = Activity("Lan", "case review")


def test_add_stores_by_digest_and_logs_the_acquisition(node: Node) -> None:
    item = add(node, b"scammer: pay 5000 baht")
    path = blob_path(node.data_dir, item.sha256)
    assert path.read_bytes() == b"scammer: pay 5000 baht"
    assert path.parent.parent.name == item.sha256[:2] and path.parent.name == item.sha256[2:4]
    assert (item.size, item.media_type, item.tool_version) == (22, "text/plain", "2.25")
    chain = list_custody(node.store, node.a, item.evidence_id)
    assert [r.draft.event for r in chain] == [CustodyEvent.ACQUIRED]
    record = chain[0].draft
    assert record.received_by == Party("Somchai", "TH-AOC")
    assert record.released_by.organization == "victim's phone"
    assert (record.tlp, record.distribution, record.hash_check) == (
        "amber",
        "organization",
        HashCheck.MATCH,
    )
    assert add(node, b"scammer: pay 5000 baht").evidence_id == item.evidence_id  # idempotent
    key_file = node.data_dir / "keys" / "node_ed25519.pem"
    assert os.stat(key_file).st_mode & 0o777 == 0o600


def test_acl_evidence_follows_the_report_marking(node: Node) -> None:
    private = add(node, b"org only")
    shared = add(node, b"group", report_id="R-2")
    for viewer in (node.b, node.c):
        with pytest.raises(NotFound):
            get_evidence(node.store, node.data_dir, viewer, private.evidence_id, LOOK)
        with pytest.raises(NotFound):
            list_custody(node.store, viewer, private.evidence_id)
    with pytest.raises(NotFound):
        evidence_file(node.store, node.data_dir, node.b, shared.evidence_id, LOOK)
    assert list_evidence(node.store, node.data_dir, node.b) == []
    assert [i.evidence_id for i in list_evidence(node.store, node.data_dir, node.c)] == [
        shared.evidence_id
    ]
    seen = get_evidence(node.store, node.data_dir, node.c, shared.evidence_id, LOOK)
    assert seen.integrity is HashCheck.MATCH
    with pytest.raises(AccessDenied):
        record_custody_event(
            node.store,
            node.data_dir,
            node.c,
            shared.evidence_id,
            CustodyEvent.DISPOSED,
            LOOK,
            Party(None, None),
        )
    with pytest.raises(NotFound):
        export_package(
            node.store,
            node.data_dir,
            node.b,
            org="TH-AOC",
            report_id="R-1",
            out=node.data_dir / "x.zip",
            activity=LOOK,
        )
    with pytest.raises(AccessDenied):
        add_as(node, node.c, "R-2")


def add_as(node: Node, viewer: object, report_id: str) -> None:
    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    add_evidence(
        node.store,
        node.data_dir,
        viewer,
        io.BytesIO(b"x"),
        org="TH-AOC",
        report_id=report_id,  # type: ignore[arg-type]
        acquisition=Acquisition(acquired_by="x", source="y", method="z"),
    )


def test_integrity_changed_file_byte_is_flagged_on_every_access(node: Node) -> None:
    item = add(node, b"transfer slip 12345")
    path = blob_path(node.data_dir, item.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    shown = get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    assert shown.integrity is HashCheck.MISMATCH
    assert (
        list_custody(node.store, node.a, item.evidence_id)[-1].draft.hash_check
        is HashCheck.MISMATCH
    )
    assert list_evidence(node.store, node.data_dir, node.a)[0].integrity is HashCheck.MISMATCH
    with pytest.raises(IntegrityError, match="do not match"):
        evidence_file(node.store, node.data_dir, node.a, item.evidence_id, LOOK)
    with pytest.raises(IntegrityError, match="not exported"):
        export_package(
            node.store,
            node.data_dir,
            node.a,
            org="TH-AOC",
            report_id="R-1",
            out=node.data_dir / "p.zip",
            activity=LOOK,
        )
    assert not (node.data_dir / "p.zip").exists()
    path.unlink()
    assert (
        get_evidence(node.store, node.data_dir, node.a, item.evidence_id, LOOK).integrity
        is HashCheck.MISSING
    )


def test_export_writes_a_package_that_verifies(node: Node, tmp_path: Path) -> None:
    one = add(node, b"chat export", name="chat.txt")
    add(node, b"screenshot bytes", name="shot.png")
    add(node, b"another report's file", report_id="R-2")
    get_evidence(node.store, node.data_dir, node.a, one.evidence_id, LOOK)
    out = tmp_path / "package.zip"
    result = export_package(
        node.store,
        node.data_dir,
        node.a,
        org="TH-AOC",
        report_id="R-1",
        out=out,
        activity=Activity("Somchai", "MLA request 2025/17"),
        recipient=Party("Lan", "VN-MPS"),
    )
    assert (result.evidence, result.records) == (2, 5)  # 2 acquired, 1 accessed, 2 exported
    check = verify_package(out, result.key_fingerprint)
    assert check.ok, check.problem
    assert check.report == "TH-AOC/R-1" and check.files == 2
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_partner_can_prove_the_log_only_grew(node: Node) -> None:
    add(node, b"first")
    kept = latest_tree_head(node.store)
    assert kept is not None and kept.size == 1
    add(node, b"second")
    add(node, b"third", report_id="R-2")
    growth = prove_growth(node.store, kept.size)
    pem = _public_pem(node)
    assert growth.tree_head.size == 3
    assert check_growth(kept, growth.tree_head, growth.proof, pem)
    forged = type(kept)(kept.size, "00" * 32, kept.timestamp, kept.key_fingerprint, kept.signature)
    assert not check_growth(forged, growth.tree_head, growth.proof, pem)


def _public_pem(node: Node) -> bytes:
    from bigfish.evidence.custody import load_node_key

    return load_node_key(node.data_dir).public_pem()


def test_streaming_keeps_memory_flat_for_a_file_larger_than_the_limit(
    node: Node, tmp_path: Path
) -> None:
    import tracemalloc

    big = tmp_path / "big.bin"
    with big.open("wb") as f:  # a sparse 64 MiB file with some data at both ends
        f.write(b"start")
        f.seek(64 * 1024 * 1024)
        f.write(b"end")
    limit = 8 * 1024 * 1024
    assert big.stat().st_size > limit
    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    tracemalloc.start()
    try:
        with big.open("rb") as stream:
            item = add_evidence(
                node.store,
                node.data_dir,
                node.a,
                stream,
                org="TH-AOC",
                report_id="R-1",
                acquisition=Acquisition(acquired_by="x", source="disk", method="copy"),
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak} bytes"
    assert item.size == 64 * 1024 * 1024 + 3
    import hashlib

    digest = hashlib.sha256()
    with big.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    assert item.sha256 == digest.hexdigest()


def test_a_stream_that_fails_midway_leaves_no_partial_file(tmp_path: Path) -> None:
    from bigfish.errors import StoreError
    from bigfish.evidence.files import store_stream

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            self.calls += 1
            if self.calls > 3:
                raise OSError(5, "Input/output error")
            buffer[:4] = b"data"
            return 4

    with pytest.raises(StoreError, match="Input/output error"):
        store_stream(tmp_path, Broken())  # type: ignore[arg-type]
    assert list((tmp_path / "evidence" / "incoming").iterdir()) == []


def test_a_full_disk_during_upload_records_nothing(node: Node, full_disk: str) -> None:
    from bigfish.errors import StoreError

    add(node, b"an earlier file")
    before = evidence_rows(node.store)
    with pytest.raises(StoreError, match="could not store evidence file"):
        add(node, os.urandom(BIG), name="full.bin")
    assert evidence_rows(node.store) == before
    assert len(stored_files(node.data_dir)) == 1  # the earlier file only
    assert verify_custody_log(node.store, node.data_dir).ok


def test_a_wrong_data_dir_is_refused_instead_of_signing_with_a_new_key(
    node: Node, tmp_path: Path
) -> None:
    from dataclasses import replace

    from bigfish.errors import ConfigError
    from bigfish.evidence.custody import KEY_PATH, load_node_key, load_or_create_node_key

    item = add(node, b"first file")
    fingerprint = load_node_key(node.data_dir).fingerprint
    before = evidence_rows(node.store)
    wrong = tmp_path / "elsewhere"
    elsewhere = replace(node, data_dir=wrong)
    with pytest.raises(ConfigError) as refused:
        add(elsewhere, b"second file")
    assert str(wrong) in str(refused.value) and fingerprint in str(refused.value)
    assert not (wrong / KEY_PATH).exists() and stored_files(wrong) == []
    load_or_create_node_key(wrong)  # a data dir with a key of its own
    for attempt in (
        lambda: add(elsewhere, b"second file"),
        lambda: get_evidence(node.store, wrong, node.a, item.evidence_id, LOOK),
        lambda: verify_custody_log(node.store, wrong),
    ):
        with pytest.raises(ConfigError, match=f"signed by key {fingerprint}"):
            attempt()
    assert evidence_rows(node.store) == before
    assert verify_custody_log(node.store, node.data_dir).ok


def _events(node: Node, evidence_id: str) -> list[str]:
    return [r.draft.event.value for r in list_custody(node.store, node.a, evidence_id)]


def test_a_failed_export_records_no_exported_event(node: Node, tmp_path: Path) -> None:
    from bigfish.errors import InputError

    item = add(node, b"chat export")
    outdir = tmp_path / "out"
    outdir.mkdir()
    with pytest.raises(FileNotFoundError):
        export_r1(node, outdir / "no" / "such" / "dir" / "p.zip")
    with pytest.raises(InputError, match="is a directory"):
        export_r1(node, outdir)
    os.chmod(item_path := blob_path(node.data_dir, item.sha256), 0o644)
    item_path.write_bytes(b"changed")
    with pytest.raises(IntegrityError, match="do not match their digest; not exported"):
        export_r1(node, outdir / "p.zip")
    assert _events(node, item.evidence_id) == ["acquired"]
    assert list(outdir.iterdir()) == []  # no package, no partial
    assert verify_custody_log(node.store, node.data_dir).ok


def test_an_export_whose_commit_fails_leaves_no_package(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bigfish.errors import StoreError
    from bigfish.evidence import log

    item = add(node, b"chat export")
    real = log._append_once

    def then_fail(*args: Any) -> Any:
        real(*args)  # the package is written and named inside the transaction...
        raise StoreError("database error: disk I/O error")  # ...and the commit fails

    monkeypatch.setattr(log, "_append_once", then_fail)
    with pytest.raises(StoreError):
        export_r1(node, tmp_path / "p.zip")
    monkeypatch.undo()
    assert not (tmp_path / "p.zip").exists() and not (tmp_path / "p.zip.partial").exists()
    assert _events(node, item.evidence_id) == ["acquired"]


def test_disposed_evidence_is_neither_transferred_nor_exported(node: Node, tmp_path: Path) -> None:
    from bigfish.errors import Conflict

    item = add(node, b"chat export")
    record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        CustodyEvent.DISPOSED,
        Activity("Somchai", "destroyed per court order 17/2025"),
        Party(None, None),
    )
    with pytest.raises(Conflict, match=f"evidence {item.evidence_id} was disposed of"):
        record_custody_event(
            node.store,
            node.data_dir,
            node.a,
            item.evidence_id,
            CustodyEvent.TRANSFERRED,
            Activity("Somchai", "MLA 2025/17"),
            Party("Lan", "VN-MPS"),
        )
    with pytest.raises(Conflict, match="cannot be exported"):
        export_r1(node, tmp_path / "p.zip")
    assert _events(node, item.evidence_id) == ["acquired", "disposed"]


def test_custody_events_need_a_purpose_and_a_known_recipient(node: Node, tmp_path: Path) -> None:
    from bigfish.errors import InputError

    item = add(node, b"chat export")

    def transfer(purpose: str, to_org: str | None) -> Any:
        return record_custody_event(
            node.store,
            node.data_dir,
            node.a,
            item.evidence_id,
            CustodyEvent.TRANSFERRED,
            Activity("Somchai", purpose),
            Party("Lan", to_org),
        )

    for purpose, to_org, field in (
        ("  ", "VN-MPS", "purpose"),
        ("MLA 2025/17", "nonexistent-org", "to_org"),
        ("MLA 2025/17", "", "to_org"),
    ):
        with pytest.raises(InputError) as refused:
            transfer(purpose, to_org)
        assert refused.value.field == field
    with pytest.raises(InputError, match="not known to this node"):
        export_r1(node, tmp_path / "p.zip", recipient=Party("Lan", "nonexistent-org"))
    with pytest.raises(InputError, match="purpose is required"):
        export_r1(node, tmp_path / "p.zip", activity=Activity("Somchai", ""))
    assert _events(node, item.evidence_id) == ["acquired"]
    assert transfer("MLA 2025/17", "VN-MPS").draft.received_by == Party("Lan", "VN-MPS")


def test_an_acquisition_time_in_the_future_is_refused(node: Node) -> None:
    from datetime import UTC, datetime, timedelta

    from bigfish.errors import InputError
    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    def acquired(at: datetime, content: bytes) -> Any:
        return add_evidence(
            node.store,
            node.data_dir,
            node.a,
            io.BytesIO(content),
            org="TH-AOC",
            report_id="R-1",
            acquisition=Acquisition(acquired_by="x", source="phone", method="copy", acquired_at=at),
        )

    with pytest.raises(InputError) as refused:
        acquired(datetime(2099, 1, 1, tzinfo=UTC), b"from the future")
    assert refused.value.field == "acquired_at"
    assert evidence_rows(node.store) == (0, 0)
    # A clock a few hours ahead (another time zone, a skewed phone) is not the future.
    assert acquired(datetime.now(UTC) + timedelta(hours=5), b"today").size == 5


def test_an_acquisition_time_before_1970_is_refused_and_the_log_stays_readable(
    node: Node,
) -> None:
    """A year before 1000 was written unpadded ("999-01-01T…"), signed, and then refused by
    every read of the log: verify-log, export and list failed with a traceback from then on."""
    from datetime import UTC, datetime, timedelta, timezone

    from bigfish.errors import InputError
    from bigfish.evidence.custody import parse_utc, utc_text
    from bigfish.evidence.log import verify_custody_log
    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    early = datetime(999, 1, 1, tzinfo=UTC)
    assert utc_text(early) == "0999-01-01T00:00:00.000000Z"
    assert parse_utc(utc_text(early)) == early
    add(node, b"genuine")
    for at in (
        early,
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=7))),  # year 0 in UTC: no such year
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),  # year 10000 in UTC
    ):
        with pytest.raises(InputError) as refused:
            add_evidence(
                node.store,
                node.data_dir,
                node.a,
                io.BytesIO(b"old"),
                org="TH-AOC",
                report_id="R-1",
                acquisition=Acquisition(acquired_by="x", source="s", method="m", acquired_at=at),
            )
        assert refused.value.field == "acquired_at", at
    assert evidence_rows(node.store) == (1, 1)
    assert verify_custody_log(node.store, node.data_dir).ok


@pytest.mark.parametrize(
    "event", [CustodyEvent.ACQUIRED, CustodyEvent.ACCESSED, CustodyEvent.EXPORTED]
)
def test_only_transfers_seals_and_disposals_are_stated_by_hand(
    node: Node, tmp_path: Path, event: CustodyEvent
) -> None:
    """`evidence event --type acquired` put a second, unsigned-metadata acquisition (by anyone,
    from anyone) into the signed chain, and `--type exported` an export with no package; the
    package still verified. bigfish writes those records itself, when they happen."""
    from bigfish.errors import InputError

    item = add(node, b"chat export")
    with pytest.raises(InputError) as refused:
        record_custody_event(
            node.store,
            node.data_dir,
            node.a,
            item.evidence_id,
            event,
            Activity("Mallory", "re-acquired from a USB stick"),
            Party("Mallory", "PH-CICC"),
        )
    assert refused.value.field == "type"
    assert "transferred, sealed, disposed" in refused.value.message
    assert _events(node, item.evidence_id) == ["acquired"]


@pytest.mark.parametrize(("bad", "reason"), [("c\udcff.txt", "not valid UTF-8"), ("a\x00b", "NUL")])
def test_text_that_cannot_be_signed_or_stored_is_refused_naming_its_field(
    node: Node, tmp_path: Path, bad: str, reason: str
) -> None:
    """A file whose name is not UTF-8 (`evidence add $'chat\\xff.txt'`), or a person or purpose
    given that way, failed with a UnicodeEncodeError traceback while signing; a NUL character
    with a DataError from PostgreSQL (and was signed on SQLite)."""
    from bigfish.errors import InputError
    from bigfish.evidence.service import get_evidence

    item = add(node, b"chat export")

    def adding(**changes: str) -> Any:
        return add_other(node, **changes)

    attempts: list[tuple[str, Any]] = [
        ("file_name", lambda: adding(file_name=bad)),
        ("source", lambda: adding(source=bad)),
        (
            "person",
            lambda: get_evidence(
                node.store, node.data_dir, node.a, item.evidence_id, Activity(bad, "review")
            ),
        ),
        (
            "purpose",
            lambda: record_custody_event(
                node.store,
                node.data_dir,
                node.a,
                item.evidence_id,
                CustodyEvent.SEALED,
                Activity("Somchai", bad),
                Party(None, None),
            ),
        ),
        (
            "to_person",
            lambda: record_custody_event(
                node.store,
                node.data_dir,
                node.a,
                item.evidence_id,
                CustodyEvent.TRANSFERRED,
                Activity("Somchai", "MLA"),
                Party(bad, "VN-MPS"),
            ),
        ),
        (
            "place",
            lambda: export_package(
                node.store,
                node.data_dir,
                node.a,
                org="TH-AOC",
                report_id="R-1",
                out=tmp_path / "p.zip",
                activity=Activity("Somchai", "MLA", place=bad),
            ),
        ),
    ]
    for field, attempt in attempts:
        with pytest.raises(InputError) as refused:
            attempt()
        assert (refused.value.field, reason in refused.value.message) == (field, True)
    assert evidence_rows(node.store) == (1, 1)
    assert verify_custody_log(node.store, node.data_dir).ok
    assert not (tmp_path / "p.zip").exists()


def test_a_record_dated_before_its_acquisition_is_noted_on_verify(
    node: Node, tmp_path: Path
) -> None:
    """An acquisition time up to a day ahead is accepted (another time zone, a skewed phone):
    the package then showed the file exported hours before it was acquired, and verified with
    no word about it."""
    from datetime import UTC, datetime, timedelta

    from bigfish.evidence.model import Acquisition
    from bigfish.evidence.service import add_evidence

    item = add_evidence(
        node.store,
        node.data_dir,
        node.a,
        io.BytesIO(b"from a phone whose clock runs ahead"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=Acquisition(
            acquired_by="Somchai",
            source="phone",
            method="copy",
            acquired_at=datetime.now(UTC) + timedelta(hours=20),
        ),
    )
    out = tmp_path / "p.zip"
    export_r1(node, out)
    check = verify_package(out)
    assert check.ok
    [note] = check.notes
    assert note.startswith(f"evidence {item.evidence_id}: custody record seq 2 (exported, ")
    assert "is dated before its acquisition (seq 1" in note


def test_a_package_acquired_on_time_verifies_without_notes(node: Node, tmp_path: Path) -> None:
    add(node, b"acquired now")
    export_r1(node, tmp_path / "p.zip")
    check = verify_package(tmp_path / "p.zip")
    assert check.ok and check.notes == ()

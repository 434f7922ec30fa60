"""Fresh-eyes review of the custody log and packages (helper-90): tamperings and races that the
other tests did not try."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bigfish.errors import IntegrityError, StoreError
from bigfish.evidence.custody import CustodyEvent
from bigfish.evidence.log import verify_custody_log
from bigfish.evidence.model import Acquisition
from bigfish.evidence.service import Activity, add_evidence, get_evidence
from bigfish.models import ApiRole
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from bigfish.store.schema_evidence import custody_events, custody_tree_heads
from tests.evidence.conftest import Node, add, add_other, add_report, evidence_rows, export_r1


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


def test_two_writers_appending_at_once_on_sqlite_neither_fails_nor_forks(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second process appends between this append's first reads and its tree-head read. The
    # appends must serialize (the second waits or retries) instead of this one reading a log of
    # N records next to a head of N + 1 and raising "run `bigfish evidence verify-log`".
    from bigfish.evidence import log
    from bigfish.store.base import create_engine

    org = add_org(sqlite_store, "TH-AOC", country="TH")
    add_report(sqlite_store, "TH-AOC", "R-1")
    viewer = Viewer(org.id, org.name, ApiRole.ANALYST, frozenset())
    data_dir = tmp_path / "data"
    item = add_evidence(
        sqlite_store,
        data_dir,
        viewer,
        io.BytesIO(b"chat export"),
        org="TH-AOC",
        report_id="R-1",
        acquisition=Acquisition(acquired_by="Somchai", source="victim's phone", method="export"),
    )
    # The other process: same file, but it does not wait for a lock (its attempts fail at once).
    engine = create_engine(str(sqlite_store.engine.url))
    sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=0"))
    other = Store(engine)
    key = log.signing_key(sqlite_store, data_dir)
    with sqlite_store.connect() as conn:
        first = log.read_records(conn)[0].draft
    latest_head_row = log._latest_head_row
    interleaved: list[str] = []

    def with_another_writer(conn: Connection) -> object:
        if not interleaved and sys._getframe(1).f_code.co_name == "_append_once":
            interleaved.append("tried")
            try:
                log.append(other, key, [replace(first, event=CustodyEvent.ACCESSED)])
                interleaved.append("appended")
            except StoreError:
                interleaved.append("waited for the lock")
        return latest_head_row(conn)

    monkeypatch.setattr(log, "_latest_head_row", with_another_writer)
    try:
        get_evidence(sqlite_store, data_dir, viewer, item.evidence_id, Activity("Lan", "look"))
    finally:
        monkeypatch.undo()
        other.close()
    check = verify_custody_log(sqlite_store, data_dir)
    assert check.ok, check.problem
    assert interleaved[0] == "tried"
    assert check.records == (3 if interleaved[-1] == "appended" else 2)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"event": "deleted"}, "'deleted' is not a valid CustodyEvent"),
        ({"at": "yesterday"}, "not a custody time"),
        ({"hash_check": "fine"}, "'fine' is not a valid HashCheck"),
        ({"acquisition": "{not json"}, "its acquisition column is not the signed metadata"),
        ({"acquisition": '{"size": 1}'}, "its acquisition column is not the signed metadata"),
    ],
)
def test_integrity_a_custody_column_edited_to_an_unreadable_value_is_named_not_a_crash(
    node: Node, values: dict[str, str], named: str
) -> None:
    add(node, b"chat export")
    with node.store.begin() as conn:
        conn.execute(custody_events.update().where(custody_events.c.seq == 1).values(**values))
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert str(check.problem).startswith("custody record seq 1: ")
    assert named in str(check.problem)


def test_an_acquisition_whose_custody_record_fails_leaves_no_evidence_row(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The evidence row and its signed acquired record are one fact: a row left without its
    # record (the append failed: a database error, a value the custody column refuses) made
    # verify-log fail for good ("no signed acquired custody record").
    from bigfish.evidence import log

    def failing_seal(*args: object, **kwargs: object) -> object:
        raise StoreError("database error: disk I/O error")

    monkeypatch.setattr(log, "seal", failing_seal)
    with pytest.raises(StoreError):
        add(node, b"chat export")
    monkeypatch.undo()
    assert evidence_rows(node.store) == (0, 0)
    assert verify_custody_log(node.store, node.data_dir).ok
    item = add(node, b"chat export")  # and the same bytes go in afterwards as new evidence
    assert not item.held_before
    assert verify_custody_log(node.store, node.data_dir).ok


def test_text_wider_than_its_custody_column_is_refused_naming_its_field(
    node: Node, tmp_path: Path
) -> None:
    # PostgreSQL refused it with a DataError traceback (a source of 201-500 characters was
    # accepted and then refused by the acquired record's released_by column); SQLite stored
    # and signed it, a log that could not move to PostgreSQL.
    from bigfish.errors import InputError
    from bigfish.evidence.custody import Party
    from bigfish.evidence.service import record_custody_event

    item = add(node, b"chat export")

    def adding(**changes: str) -> object:
        return add_other(node, **changes)

    def sealing(activity: Activity, to: Party = Party(None, None)) -> object:
        return record_custody_event(
            node.store,
            node.data_dir,
            node.a,
            item.evidence_id,
            CustodyEvent.TRANSFERRED,
            activity,
            to,
        )

    attempts: list[tuple[str, Callable[[], object]]] = [
        ("source", lambda: adding(source="s" * 201)),
        ("tool", lambda: adding(tool="t" * 201)),
        ("tool_version", lambda: adding(tool_version="1" * 101)),
        ("place", lambda: adding(place="p" * 501)),
        ("channel", lambda: sealing(Activity("Somchai", "MLA", channel="c" * 101))),
        ("to_person", lambda: sealing(Activity("Somchai", "MLA"), Party("L" * 201, "VN-MPS"))),
        (
            "person",
            lambda: get_evidence(
                node.store, node.data_dir, node.a, item.evidence_id, Activity("P" * 201, "look")
            ),
        ),
        (
            "place",
            lambda: export_r1(
                node, tmp_path / "p.zip", activity=Activity("Somchai", "MLA", place="p" * 501)
            ),
        ),
    ]
    for field, attempt in attempts:
        with pytest.raises(InputError) as refused:
            attempt()
        assert refused.value.field == field
    assert evidence_rows(node.store) == (1, 1)
    assert verify_custody_log(node.store, node.data_dir).ok
    adding(source="s" * 200, tool="t" * 200, tool_version="1" * 100, place="p" * 500)
    assert verify_custody_log(node.store, node.data_dir).ok


@pytest.mark.parametrize("late", ["exported", "transferred"])
def test_a_disposal_recorded_while_an_export_or_transfer_starts_stops_it(
    node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: str
) -> None:
    # Another analyst disposes of the evidence after this command checked it was not disposed
    # of and before it appends: nothing may follow a disposal in the signed chain.
    from bigfish.errors import Conflict
    from bigfish.evidence import log
    from bigfish.evidence.custody import Party
    from bigfish.evidence.service import record_custody_event

    item = add(node, b"chat export")
    signing_key = log.signing_key
    disposed: list[bool] = []

    def key_after_a_disposal(store: Store, data_dir: Path) -> object:
        if not disposed:
            disposed.append(True)
            record_custody_event(
                node.store,
                node.data_dir,
                node.a,
                item.evidence_id,
                CustodyEvent.DISPOSED,
                Activity("Somchai", "destroyed per court order 17/2025"),
                Party(None, None),
            )
        return signing_key(store, data_dir)

    monkeypatch.setattr(log, "signing_key", key_after_a_disposal)
    with pytest.raises(Conflict, match=f"evidence {item.evidence_id} was disposed of"):
        if late == "exported":
            export_r1(node, tmp_path / "p.zip", activity=Activity("Lan", "MLA 2025/17"))
        else:
            record_custody_event(
                node.store,
                node.data_dir,
                node.a,
                item.evidence_id,
                CustodyEvent.TRANSFERRED,
                Activity("Lan", "MLA 2025/17"),
                Party("Lan", "VN-MPS"),
            )
    monkeypatch.undo()
    with node.store.connect() as conn:
        events = [r.draft.event.value for r in log.read_records(conn, [item.evidence_id])]
    assert events == ["acquired", "disposed"]
    assert not (tmp_path / "p.zip").exists()
    assert verify_custody_log(node.store, node.data_dir).ok


def test_two_processes_creating_the_node_key_at_once_both_get_the_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first signing on a new node (two server workers taking their first evidence): the
    # second process read the key file after the first created it and before it wrote it, and
    # failed with "not a PEM private key".
    import os

    from bigfish.evidence import node_key

    fdopen = os.fdopen
    other: list[node_key.NodeKey] = []
    started: list[bool] = []

    def another_process_in_between(fd: int, *args: object, **kwargs: object) -> object:
        if not started:
            started.append(True)
            other.append(node_key.load_or_create_node_key(tmp_path))
        return fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(node_key.os, "fdopen", another_process_in_between)
    mine = node_key.load_or_create_node_key(tmp_path)
    monkeypatch.undo()
    assert mine.fingerprint == other[0].fingerprint
    assert node_key.load_node_key(tmp_path).fingerprint == mine.fingerprint
    key_files = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert key_files == ["node_ed25519.pem"]
    assert (tmp_path / node_key.KEY_PATH).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("frontier", [5, None, "ab"])
def test_integrity_a_tree_head_frontier_edited_to_a_non_list_is_named_not_a_crash(
    node: Node, frontier: object
) -> None:
    add(node, b"chat export")
    add(node, b"transfer slip")
    with node.store.begin() as conn:
        first = sa.select(sa.func.min(custody_tree_heads.c.id)).scalar_subquery()
        conn.execute(
            custody_tree_heads.update()
            .where(custody_tree_heads.c.id == first)
            .values(frontier=frontier)  # None: JSON null
        )
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert "tree head of size 1" in str(check.problem)
    assert "its stored frontier does not match the records" in str(check.problem)
    with node.store.begin() as conn:
        conn.execute(custody_tree_heads.update().values(frontier=frontier))
    with pytest.raises(IntegrityError, match="verify-log"):  # the next append refuses, named
        add(node, b"call records")


def test_a_package_whose_chain_recorded_changed_bytes_verifies_with_a_note(
    node: Node, tmp_path: Path
) -> None:
    # The stored file was changed, an access recorded the mismatch, and adding the same bytes
    # again restored it: the package verifies (its file matches), but a court reading "OK"
    # is told that the signed chain recorded the change.
    import os

    from bigfish.evidence.files import blob_path
    from bigfish.evidence.package import verify_package

    item = add(node, b"transfer slip 12345")
    path = blob_path(node.data_dir, item.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"transfer slip 99999")
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "look"))
    path.unlink()
    get_evidence(node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "look"))
    assert add(node, b"transfer slip 12345").held_before  # the verified bytes are back
    export_r1(node, tmp_path / "p.zip", activity=Activity("Lan", "MLA 2025/17"))
    check = verify_package(tmp_path / "p.zip")
    assert check.ok, check.problem
    assert [n.split(" (")[0] for n in check.notes] == [
        f"evidence {item.evidence_id}: custody record seq 2",
        f"evidence {item.evidence_id}: custody record seq 3",
    ]
    assert "re-hashed the stored bytes: mismatch" in check.notes[0]
    assert "re-hashed the stored bytes: missing" in check.notes[1]


def test_the_package_summary_shows_typed_text_on_one_line(node: Node, tmp_path: Path) -> None:
    # summary.txt is what a reader reads, under the node's signature (its digest is in the
    # manifest): a purpose or a file name with a line break laid a line there that looked like
    # a custody record the signed chain does not hold.
    import zipfile

    from bigfish.evidence.custody import Party
    from bigfish.evidence.package import verify_package
    from bigfish.evidence.service import record_custody_event

    forged = "\n      99  2025-12-17T03:00:00.000000Z  ev-x  disposed    from Judge (court)"
    item = add(node, b"chat export", name="chat.txt" + forged)
    record_custody_event(
        node.store,
        node.data_dir,
        node.a,
        item.evidence_id,
        CustodyEvent.SEALED,
        Activity("Somchai", "sealed" + forged, place="locker\r\u202e7"),
        Party(None, None),
    )
    export_r1(node, tmp_path / "p.zip", activity=Activity("Lan", "MLA 2025/17"))
    assert verify_package(tmp_path / "p.zip").ok
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        summary = zf.read("summary.txt").decode()
    assert not [line for line in summary.splitlines() if line.lstrip().startswith("99 ")]
    assert "\\n      99  2025-12-17" in summary and "locker\\r\\u202e7" in summary
    chain = [line for line in summary.splitlines() if item.evidence_id in line]
    assert len(chain) == 1 + 3  # the evidence entry and its three records, one line each


def test_a_member_name_chosen_by_anyone_prints_on_one_line(tmp_path: Path) -> None:
    # Member names are read before any signature: a planted member named with a line break
    # made `verify` print, under its "error:", a line of the forger's choosing ("OK: ...").
    from bigfish.evidence.package import verify_package
    from tests.evidence.builders import build_package, rewrite

    package, key = build_package(tmp_path)
    planted = "x\nOK: case.zip: report TH-AOC/R-1, 2 files, signed by key " + key.fingerprint

    def extra(m: dict[str, bytes]) -> None:
        m[planted] = b"planted"

    check = verify_package(rewrite(package, extra), key.fingerprint)
    assert not check.ok
    assert "\n" not in str(check.problem)
    assert str(check.problem).startswith("x\\nOK: case.zip")
    assert str(check.problem).endswith("is in the package but not in the manifest")


def test_an_evidence_row_without_any_custody_record_is_named(node: Node) -> None:
    # What an acquisition that failed half-way left on PostgreSQL before the row and its
    # record were written together: verify-log said "the custody log has records but no
    # signed tree head" of a log with no records, instead of naming the row.
    from datetime import UTC, datetime

    from bigfish.evidence.custody import load_or_create_node_key
    from bigfish.store.schema import reports
    from bigfish.store.schema_evidence import evidence

    load_or_create_node_key(node.data_dir)  # made before the file was stored
    with node.store.begin() as conn:
        report = conn.execute(sa.select(reports).where(reports.c.report_id == "R-1")).one()
        conn.execute(
            evidence.insert().values(
                evidence_id="ev-orphan",
                report_pk=report.id,
                org_id=report.org_id,
                sha256="ab" * 32,
                size=1,
                media_type="text/plain",
                acquired_by="Somchai",
                acquired_at="2025-12-17T03:00:00.000000Z",
                source="s" * 300,
                method="copy",
                created_at=datetime.now(UTC),
            )
        )
    check = verify_custody_log(node.store, node.data_dir)
    assert not check.ok
    assert check.problem == "evidence ev-orphan: no signed acquired custody record"


def test_case_jsonld_ids_are_iris_even_for_names_with_spaces(node: Node, tmp_path: Path) -> None:
    # CASE/UCO tools read @id as an IRI: "kb:person-Lan Nguyen" is none (a space), and
    # "kb:investigation-{org}-{report}" gave two reports one id when a name held a dash.
    import json
    import re
    import zipfile

    add(node, b"chat export")
    export_r1(node, tmp_path / "p.zip", activity=Activity("Lan Nguyen #2", "MLA 2025/17"))
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        graph = json.loads(zf.read("case.jsonld"))["@graph"]
    ids = [node_["@id"] for node_ in graph]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"kb:[A-Za-z0-9._~%-]+", i) for i in ids), ids
    people = {n["uco-core:name"]: n["@id"] for n in graph if n["@type"] == "uco-identity:Person"}
    assert people["Lan Nguyen #2"] == "kb:person-Lan%20Nguyen%20%232"
    performers = [n["uco-action:performer"]["@id"] for n in graph if "uco-action:performer" in n]
    assert set(performers) <= set(ids)


def test_verify_log_on_a_live_node_reads_one_state_of_the_log(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An access logged while verify-log reads (the server keeps serving): it read the tree
    # heads before the new record and the records after it, and reported the log as tampered.
    from bigfish.evidence import log

    item = add(node, b"chat export")
    read_records = log.read_records
    appended: list[bool] = []

    def an_access_in_between(conn: Connection, *args: object) -> object:
        if not appended:
            appended.append(True)
            get_evidence(
                node.store, node.data_dir, node.a, item.evidence_id, Activity("Lan", "look")
            )
        return read_records(conn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "read_records", an_access_in_between)
    check = verify_custody_log(node.store, node.data_dir)
    monkeypatch.undo()
    assert appended
    assert check.ok, check.problem
    assert (check.records, check.tree_heads) == (1, 1)  # the state before the access
    assert verify_custody_log(node.store, node.data_dir).records == 2

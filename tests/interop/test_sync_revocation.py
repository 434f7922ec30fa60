"""A report deleted or re-marked at its node is revoked at the nodes that pulled it: the TAXII
feed carries a revoked version to the readers that held it (and to no one else), and a pull
deletes the copy."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import stix2

from bigfish.accounts import authenticate_key, create_key
from bigfish.intake import ingest_file
from bigfish.intake import service as intake_service
from bigfish.interop.feed import WITHDRAWN, collections, iter_entries, object_page
from bigfish.interop.importer import import_objects
from bigfish.interop.markings import REPORT_EXTENSION
from bigfish.interop.model import MentionView
from bigfish.interop.stix import report_objects
from bigfish.interop.sync import pull
from bigfish.memberships import add_member, remove_member
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.reports import delete_report, remark_report
from bigfish.sharing.policy import Viewer
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations, reports
from bigfish.store.schema_interop import interop_imports, report_withdrawals, sync_state
from bigfish.webhooks import allow_peer
from tests.interop.builders import (
    fixed_view,
    ingest_json,
    key_viewer,
    partnership,
    sample_reports,
)
from tests.interop.servers import bigfish_server


@pytest.fixture
def peer_store(migrated_sqlite: Callable[[str], str]) -> Iterator[Store]:
    """The pulling node: its own SQLite database."""
    store = open_store(migrated_sqlite("peer.db"))
    yield store
    store.close()


def _held(store: Store) -> dict[str, str]:
    with store.connect() as conn:
        rows = conn.execute(sa.select(reports.c.report_id, reports.c.distribution)).all()
    return {r.report_id: r.distribution for r in rows}


def _revoked(store: Store, viewer: Viewer) -> dict[str, list[str]]:
    """Per collection title, the report ids VIEWER is sent revoked versions of."""
    found: dict[str, list[str]] = {}
    with store.connect() as conn:
        for collection in collections(conn, viewer):
            for entry, position in iter_entries(conn, collection):
                if entry.object.get("revoked"):
                    assert position[0] > WITHDRAWN
                    ext = entry.object["extensions"]
                    report_id = next(iter(ext.values()))["report_id"]
                    found.setdefault(collection.title, []).append(report_id)
    return found


def test_deleted_and_re_marked_reports_are_revoked_at_the_peer_that_pulled_them(
    store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)  # TH-AOC's shared-0, shared-1 (partnership), group-0 (MEKONG)
    key = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    bank = key_viewer(store, "BANK-B", ApiRole.READONLY)
    with bigfish_peer(store, peer_store) as base:
        first = pull(peer_store, f"{base}/taxii2/", key, page=2)
        assert set(_held(peer_store)) == {"shared-0", "shared-1", "group-0"}
        assert first.withdrawn == 0

        owner = key_viewer(store, "TH-AOC")
        # shared-0: re-marked for TH-AOC alone; group-0: deleted
        remark_report(store, owner, "TH-AOC", "shared-0", Marking(TLP.AMBER))
        delete_report(store, owner, "TH-AOC", "group-0")
        # shared-1: re-ingested for the group MEKONG, which VN-POLICE is in: still sent to it
        group = Marking(TLP.GREEN, Distribution.GROUP, "MEKONG")
        ingest_json(store, tmp_path, "TH-AOC", sample_reports("shared", "TH")[1:], group)

        second = pull(peer_store, f"{base}/taxii2/", key, page=1)  # across every page edge
        assert second.received == second.stored + second.rejected
        assert second.rejected == 0
        assert second.withdrawn == 2  # shared-0 and group-0
        assert second.updated == 1  # shared-1, now the group's (unknown there: organization)
        assert _held(peer_store) == {"shared-1": Distribution.ORGANIZATION.value}

        third = pull(peer_store, f"{base}/taxii2/", key, page=1)
        assert (third.withdrawn, third.new, third.updated, third.rejected) == (0, 0, 0, 0)
        assert _held(peer_store) == {"shared-1": Distribution.ORGANIZATION.value}

    # BANK-B saw shared-0 and shared-1 (partnership) and never group-0: it is sent revoked
    # versions of the two, in the collection that held them, and nothing about group-0
    assert _revoked(store, bank) == {"Partnership": ["shared-0", "shared-1"]}
    # VN-POLICE still sees shared-1 (its group's now): no revoked version of it
    vn = key_viewer(store, "VN-POLICE", ApiRole.READONLY)
    assert _revoked(store, vn) == {"Partnership": ["shared-0"], "Group MEKONG": ["group-0"]}
    # the owner is told of its own deleted report in its own collection (and in its group's)
    assert _revoked(store, key_viewer(store, "TH-AOC")) == {
        "Group MEKONG": ["group-0"],
        "Organization TH-AOC": ["group-0"],
    }


@contextmanager
def bigfish_peer(store: Store, peer_store: Store) -> Iterator[str]:
    """Serve STORE and let PEER_STORE pull from it on loopback."""
    with bigfish_server(store) as base:
        allow_peer(peer_store, base, "test peer on loopback")
        yield base


def test_a_revoked_version_is_valid_stix_and_tells_nothing_of_the_report(
    store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)
    owner = key_viewer(store, "TH-AOC")
    delete_report(store, owner, "TH-AOC", "shared-0")
    with store.connect() as conn:
        bank = key_viewer(store, "BANK-B", ApiRole.READONLY)
        shared = collections(conn, bank)[0]
        page = object_page(conn, shared, limit=100)
    revoked = [e.object for e in page.entries if e.object.get("revoked")]
    assert len(revoked) == 1
    obj = revoked[0]
    parsed = stix2.parse(obj, allow_custom=True)
    assert parsed.revoked is True
    assert "description" not in obj and obj["object_refs"] == [obj["created_by_ref"]]
    # ids and times are random and may hold "081": the rest must hold nothing of the content
    rest = {k: v for k, v in obj.items() if k not in ("id", "created", "modified", "object_refs")}
    rest.pop("created_by_ref")
    assert "081" not in str(rest) and "invest-gold88" not in str(rest)
    # its version is newer than the one readers held; same STIX id
    before = [e.object for e in page.entries if not e.object.get("revoked")]
    assert obj["id"] not in {o["id"] for o in before}
    assert obj["modified"] >= obj["created"]


def test_a_reader_that_never_saw_a_report_is_not_told_it_was_withdrawn(
    store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)
    owner = key_viewer(store, "TH-AOC")
    for report_id in ("own-0", "red-0", "group-0"):
        delete_report(store, owner, "TH-AOC", report_id)
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(report_withdrawals)).scalar()
    assert _revoked(store, key_viewer(store, "BANK-B", ApiRole.READONLY)) == {}
    # VN-POLICE saw group-0 only (own-0 was TH-AOC's alone, red-0 TLP:RED)
    assert _revoked(store, key_viewer(store, "VN-POLICE", ApiRole.READONLY)) == {
        "Group MEKONG": ["group-0"]
    }


def test_a_marking_widened_or_unchanged_is_no_withdrawal(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    owner = key_viewer(store, "TH-AOC")
    remark_report(store, owner, "TH-AOC", "shared-0", Marking(TLP.GREEN, Distribution.PARTNERSHIP))
    ingest_json(
        store,
        tmp_path,
        "TH-AOC",
        sample_reports("shared", "TH"),
        Marking(TLP.GREEN, Distribution.PARTNERSHIP),
    )
    with store.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(report_withdrawals))
        assert count.scalar() == 0
    remark_report(store, owner, "TH-AOC", "own-0", Marking(TLP.GREEN, Distribution.PARTNERSHIP))
    with store.connect() as conn:  # recorded (the marking changed), sent to no one
        count = conn.execute(sa.select(sa.func.count()).select_from(report_withdrawals))
        assert count.scalar() == 1
    assert _revoked(store, key_viewer(store, "BANK-B", ApiRole.READONLY)) == {}


_STIX_ID = "report--6b6bf4ba-4d2c-4f0f-9c1b-1b1d4fba1111"


def _report(modified: str = "2025-11-02T08:00:00.000Z") -> dict[str, Any]:
    """PEER-ORG's report r-1 as a bigfish node serves it."""
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": _STIX_ID,
        "created": "2025-11-01T08:00:00.000Z",
        "modified": modified,
        "name": "Scam report PEER-ORG/r-1",
        "published": "2025-11-01T08:00:00.000Z",
        "object_refs": ["identity--6b6bf4ba-4d2c-4f0f-9c1b-1b1d4fba2222"],
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "org": "PEER-ORG",
                "report_id": "r-1",
                "country": "TH",
                "identifiers": [{"kind": "phone", "value": "+66812345678"}],
            }
        },
    }


def _copy(peer_store: Store, peer: str) -> tuple[str, datetime]:
    """A report of PEER's organization held on PEER_STORE as pulled from PEER."""
    with peer_store.begin() as conn:
        outcome = import_objects(conn, [_report()], peer=peer, default_org="peer-x")
    assert outcome.new == 1, outcome.rejections
    return _STIX_ID, datetime.now(UTC)


def _revocation(stix_id: str, modified: str) -> dict[str, Any]:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": stix_id,
        "created": "2025-11-01T08:00:00.000Z",
        "modified": modified,
        "name": "Scam report PEER-ORG/r-1",
        "published": "2025-11-01T08:00:00.000Z",
        "object_refs": ["identity--6b6bf4ba-4d2c-4f0f-9c1b-1b1d4fba2222"],
        "revoked": True,
        "extensions": {
            REPORT_EXTENSION: {
                "extension_type": "property-extension",
                "org": "PEER-ORG",
                "report_id": "r-1",
            }
        },
    }


def test_only_the_node_a_copy_came_from_revokes_it_and_never_an_older_revocation(
    peer_store: Store,
) -> None:
    peer, other = "https://node-a.example/taxii2/", "https://node-b.example/taxii2/"
    stix_id, _ = _copy(peer_store, peer)
    late = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with peer_store.begin() as conn:
        stranger = import_objects(
            conn, [_revocation(stix_id, late)], peer=other, default_org="peer-x"
        )
        older = import_objects(
            conn,
            [_revocation(stix_id, "2025-11-01T09:00:00.000Z")],  # before the version held
            peer=peer,
            default_org="peer-x",
        )
        posted = import_objects(
            conn, [_revocation(stix_id, late)], peer=None, default_org="x", owner="PEER-ORG"
        )
    assert stranger.rejected == 1 and "node-a.example" in stranger.rejections[0][1]
    assert (older.rejected, older.withdrawn, older.unchanged) == (0, 0, 1)
    assert posted.rejected == 1 and "not taken by POST" in posted.rejections[0][1]
    assert set(_held(peer_store)) == {"r-1"}
    with peer_store.begin() as conn:
        done = import_objects(conn, [_revocation(stix_id, late)], peer=peer, default_org="x")
        again = import_objects(conn, [_revocation(stix_id, late)], peer=peer, default_org="x")
    assert (done.withdrawn, done.stored, done.rejected) == (1, 1, 0)
    assert (again.withdrawn, again.unchanged) == (0, 1)
    assert _held(peer_store) == {}
    with peer_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(interop_imports)).scalar() == 0
        # the deletion is a withdrawal here too: this node's own readers are told in turn
        row = conn.execute(
            sa.select(report_withdrawals.c.report_id, organizations.c.name).join(
                organizations, organizations.c.id == report_withdrawals.c.org_id
            )
        ).one()
    assert tuple(row) == ("r-1", "PEER-ORG")


def _relayed(peer_store: Store, peer: str) -> tuple[str, Viewer]:
    """A copy pulled from PEER, shared on with the partnership of PEER_STORE, and a reader of
    it there (the organization LOCAL): its STIX id and that reader."""
    stix_id, _ = _copy(peer_store, peer)
    add_org(peer_store, "LOCAL", country="TH")
    with peer_store.begin() as conn:
        conn.execute(
            reports.update().values(
                tlp=TLP.GREEN.value, distribution=Distribution.PARTNERSHIP.value
            )
        )
    return stix_id, key_viewer(peer_store, "LOCAL", ApiRole.READONLY)


def test_a_relaying_node_tells_its_own_readers(peer_store: Store) -> None:
    peer = "https://node-a.example/taxii2/"
    stix_id, local = _relayed(peer_store, peer)
    late = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with peer_store.begin() as conn:
        import_objects(conn, [_revocation(stix_id, late)], peer=peer, default_org="x")
    assert _revoked(peer_store, local) == {"Partnership": ["r-1"]}
    with peer_store.connect() as conn:
        shared = collections(conn, local)[0]
        entry = next(iter_entries(conn, shared))[0]
    assert entry.object["id"] == stix_id  # the id it came with, as readers knew it


def test_an_organization_registered_or_joining_after_a_withdrawal_is_not_told_of_it(
    store: Store, tmp_path: Path
) -> None:
    """Review finding: "could see it before" was judged by today's members and organizations."""
    partnership(store, tmp_path)
    owner = key_viewer(store, "TH-AOC")
    delete_report(store, owner, "TH-AOC", "shared-0")
    delete_report(store, owner, "TH-AOC", "group-0")  # MEKONG: TH-AOC and VN-POLICE
    add_org(store, "LATECOMER", country="TH")
    assert _revoked(store, key_viewer(store, "LATECOMER", ApiRole.READONLY)) == {}
    admin = create_key(store, org="TH-AOC", role=ApiRole.ADMIN).secret
    with store.connect() as conn:
        principal = authenticate_key(conn, admin)
    assert principal is not None
    add_member(store, principal, "MEKONG", "BANK-B")  # joins after group-0 was deleted
    assert _revoked(store, key_viewer(store, "BANK-B", ApiRole.READONLY)) == {
        "Partnership": ["shared-0"]  # it saw shared-0; it never saw group-0
    }
    assert _revoked(store, key_viewer(store, "VN-POLICE", ApiRole.READONLY)) == {
        "Partnership": ["shared-0"],
        "Group MEKONG": ["group-0"],
    }


def _admin(store: Store, org: str) -> Any:
    secret = create_key(store, org=org, role=ApiRole.ADMIN).secret
    with store.connect() as conn:
        principal = authenticate_key(conn, secret)
    assert principal is not None
    return principal


@pytest.mark.slow
def test_an_organization_that_leaves_a_group_deletes_the_groups_reports_it_pulled(
    store: Store, peer_store: Store, tmp_path: Path
) -> None:
    partnership(store, tmp_path)  # MEKONG: TH-AOC (owner) and VN-POLICE; group-0 is TH-AOC's
    group = Marking(TLP.AMBER, Distribution.GROUP, "MEKONG")
    ingest_json(store, tmp_path, "VN-POLICE", sample_reports("vn", "VN", 1), group)
    key = create_key(store, org="VN-POLICE", role=ApiRole.SYNC).secret
    admin = _admin(store, "TH-AOC")
    with bigfish_peer(store, peer_store) as base:
        pull(peer_store, f"{base}/taxii2/", key, page=1)
        assert set(_held(peer_store)) == {"shared-0", "shared-1", "group-0", "vn-0"}

        remove_member(store, admin, "MEKONG", "VN-POLICE")
        vn = key_viewer(store, "VN-POLICE", ApiRole.READONLY)
        # told in the one collection it still reads; its own group report stays its own
        assert _revoked(store, vn) == {"Partnership": ["group-0"]}
        for other in ("TH-AOC", "BANK-B"):  # the owner still sees it; BANK-B never did
            assert _revoked(store, key_viewer(store, other, ApiRole.READONLY)) == {}
        left = pull(peer_store, f"{base}/taxii2/", key, page=1)
        assert (left.withdrawn, left.rejected) == (1, 0)
        assert set(_held(peer_store)) == {"shared-0", "shared-1", "vn-0"}

        # back in the group: nothing is revoked any more; its reports did not change since it
        # left (the pulls' positions are moved a day on, past them), so only a pull from the
        # start brings the group's report back
        add_member(store, admin, "MEKONG", "VN-POLICE")
        assert _revoked(store, key_viewer(store, "VN-POLICE", ApiRole.READONLY)) == {}
        later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        with peer_store.begin() as conn:
            conn.execute(sync_state.update().values(added_after=later, next_token=None))
        again = pull(peer_store, f"{base}/taxii2/", key, page=1)
        assert (again.received, again.new, again.withdrawn) == (0, 0, 0)
        full = pull(peer_store, f"{base}/taxii2/", key, page=1, from_start=True)
        assert (full.new, full.withdrawn, full.rejected) == (1, 0, 0)
        assert set(_held(peer_store)) == {"shared-0", "shared-1", "group-0", "vn-0"}


def test_a_revocation_deletes_only_the_report_it_names_not_others_with_its_stix_id(
    store: Store, peer_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: two organizations POSTed the same STIX report; revoking one organization's
    copy deleted both at the pulling node. A second organization's POST of the id is now
    refused (helper-95), and so is its bundle file; a copy stored before bigfish checked ids
    (made here with the file check switched off) is served under the id, and its copy at the
    pulling node is kept when the other is revoked."""
    for org in ("BANK-X", "BANK-Y", "READER"):
        add_org(store, org, country="TH")
    view = dataclasses.replace(
        fixed_view("r-1", Marking(TLP.GREEN, Distribution.PARTNERSHIP)),
        source_id="report--0b2c7f7e-9f3e-4a53-9c43-5a4a0a1d0001",
    )
    with store.begin() as conn:
        posted = import_objects(
            conn, report_objects(view), peer=None, default_org="x", owner="BANK-X"
        )
        assert posted.new == 1, posted
        again = import_objects(
            conn, report_objects(view), peer=None, default_org="x", owner="BANK-Y"
        )
        assert (again.new, again.rejected) == (0, 1), again
    bundle = tmp_path / "bank-y.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": report_objects(view)}), "utf-8")
    assert ingest_file(store, bundle, org="BANK-Y", fmt="stix", classify=False).stored == 0
    monkeypatch.setattr(intake_service, "stix_ids_held_elsewhere", lambda *args: [])
    assert ingest_file(store, bundle, org="BANK-Y", fmt="stix", classify=False).stored == 1
    key = create_key(store, org="READER", role=ApiRole.SYNC).secret
    with bigfish_peer(store, peer_store) as base:
        first = pull(peer_store, f"{base}/taxii2/", key)  # the id is BANK-X's, stored first
        assert (first.new, first.rejected) == (1, 1)
        delete_report(store, key_viewer(store, "BANK-X"), "BANK-X", "r-1")
        second = pull(peer_store, f"{base}/taxii2/", key)  # then BANK-Y's, served again
    assert (second.withdrawn, second.rejected) == (1, 0)
    with peer_store.connect() as conn:
        held = conn.execute(
            sa.select(organizations.c.name, reports.c.report_id).join(
                organizations, organizations.c.id == reports.c.org_id
            )
        ).all()
    assert [tuple(r) for r in held] == [("BANK-Y", "r-1")]


@pytest.mark.parametrize("modified", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_version_out_of_range_is_rejected_not_a_crash(peer_store: Store, modified: str) -> None:
    """Review finding: an out-of-range `modified` raised OverflowError and stopped the pull."""
    peer = "https://node-a.example/taxii2/"
    stix_id, _ = _copy(peer_store, peer)
    report = _report(modified)
    with peer_store.begin() as conn:
        outcome = import_objects(
            conn, [_revocation(stix_id, modified), report], peer=peer, default_org="x"
        )
    assert (outcome.received, outcome.rejected) == (2, 2)
    assert all(reason.startswith("modified:") for _, reason in outcome.rejections)
    assert set(_held(peer_store)) == {"r-1"}


def test_a_relayed_revocation_keeps_the_created_it_was_served_with(peer_store: Store) -> None:
    """Review finding: a relay's revoked version took its own `created` (STIX keeps `created`
    across versions)."""
    peer = "https://node-a.example/taxii2/"
    stix_id, local = _relayed(peer_store, peer)
    with peer_store.connect() as conn:
        [served] = [
            e.object
            for e, _ in iter_entries(conn, collections(conn, local)[0])
            if e.object["type"] == "report"
        ]
    late = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with peer_store.begin() as conn:
        import_objects(conn, [_revocation(stix_id, late)], peer=peer, default_org="x")
    with peer_store.connect() as conn:
        revoked = next(iter_entries(conn, collections(conn, local)[0]))[0].object
    assert revoked["revoked"] is True and revoked["id"] == served["id"]
    assert revoked["created"] == served["created"]
    assert revoked["modified"] > served["modified"]


def test_pages_cross_from_reports_to_withdrawals_without_loss(store: Store, tmp_path: Path) -> None:
    partnership(store, tmp_path)
    shared = Marking(TLP.GREEN, Distribution.PARTNERSHIP)
    ingest_json(store, tmp_path, "TH-AOC", sample_reports("more", "TH", 5), shared)
    owner = key_viewer(store, "TH-AOC")
    since = datetime.now(UTC) - timedelta(seconds=1)
    for report_id in ("more-0", "more-2", "shared-1"):
        delete_report(store, owner, "TH-AOC", report_id)
    strict = Marking(TLP.AMBER_STRICT, Distribution.PARTNERSHIP)
    remark_report(store, owner, "TH-AOC", "more-3", strict)
    group = Marking(TLP.AMBER, Distribution.GROUP, "MEKONG")
    remark_report(store, owner, "TH-AOC", "more-4", group)
    bank = key_viewer(store, "BANK-B", ApiRole.READONLY)
    for added_after in (None, since):
        with store.connect() as conn:
            partnership_ = collections(conn, bank)[0]
            whole = [
                (e.object["id"], bool(e.object.get("revoked")))
                for e, _ in iter_entries(conn, partnership_, added_after=added_after)
            ]
            for limit in (1, 2, 3, 7):
                got: list[tuple[str, bool]] = []
                token: str | None = None
                while True:
                    page = object_page(
                        conn, partnership_, limit=limit, added_after=added_after, next_token=token
                    )
                    got += [(e.object["id"], bool(e.object.get("revoked"))) for e in page.entries]
                    token = page.next
                    if token is None:
                        break
                assert got == whole, (limit, added_after)
        assert sum(revoked for _, revoked in whole) == 5


def test_a_pulled_report_the_store_cannot_keep_is_rejected_alone(peer_store: Store) -> None:
    """Review finding (store): the importer ignored the reports the store refused (a URL whose
    canonical form is over what the store keeps) and then looked them up: a KeyError that
    ended the pull."""
    long_url = "http://x.com/" + "é" * 1980  # 11,886 characters once percent-encoded
    fine = fixed_view("r-ok", Marking(TLP.GREEN, Distribution.PARTNERSHIP))
    huge = dataclasses.replace(
        fixed_view("r-huge", Marking(TLP.GREEN, Distribution.PARTNERSHIP)),
        source_id="report--0b2c7f7e-9f3e-4a53-9c43-5a4a0a1d0002",
        mentions=(MentionView("url", long_url, True, "field", None, long_url),),
    )
    objects = report_objects(fine) + report_objects(huge)
    with peer_store.begin() as conn:
        outcome = import_objects(
            conn, objects, peer="https://node-a.example/taxii2/", default_org="x"
        )
    assert outcome.rejected == 1 and outcome.received == outcome.stored + outcome.rejected
    stix_id, reason = outcome.rejections[0]
    assert stix_id == huge.source_id and "canonical form" in reason
    assert set(_held(peer_store)) == {"r-ok"}


def test_a_page_that_gives_an_id_twice_with_other_content_is_not_read_as_its_last_copy(
    peer_store: Store,
) -> None:
    """Review finding (interop): sync and TAXII POST read an id given twice as its last copy: a
    marking definition sent as TLP:RED and again as TLP:CLEAR made the report CLEAR."""
    mark = "marking-definition--0b2c7f7e-9f3e-4a53-9c43-5a4a0a1d00aa"

    def marking(tlp: str) -> dict[str, Any]:
        return {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": mark,
            "created": "2025-11-05T09:30:00.000Z",
            "name": f"TLP:{tlp}",
            "definition_type": "statement",
            "definition": {"statement": f"TLP:{tlp}"},
        }

    view = fixed_view("r-1", Marking(TLP.GREEN, Distribution.PARTNERSHIP))
    objects = report_objects(view)
    report = next(o for o in objects if o["type"] == "report")
    report["object_marking_refs"] = [mark]
    phone = next(o for o in objects if o["type"] == "phone-number")
    other_phone = dict(phone, number="+66899999999")
    page = [marking("RED"), *objects, other_phone, marking("CLEAR")]
    with peer_store.begin() as conn:
        outcome = import_objects(conn, page, peer="https://node-a.example/taxii2/", default_org="x")
    reasons = dict(outcome.rejections)
    assert set(reasons) == {mark, phone["id"]}
    assert "the marking is not understood" in reasons[mark]
    assert "this copy is not read" in reasons[phone["id"]]
    with peer_store.connect() as conn:
        held = conn.execute(sa.select(reports.c.tlp, reports.c.distribution)).one()
    assert tuple(held) == (TLP.RED.value, Distribution.ORGANIZATION.value)

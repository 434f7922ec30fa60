"""The organizations a sync pull creates on its way (a report of an organization this node did
not know, a party of a cooperation request new here) are in the audit log, each row committed
with the page that created it: actor `console:<OS user>`, action `org add by sync pull`, target
`NAME from PEER_URL`, status 201. Once per organization, never per report nor per pull; a page
the database undid and ran again records them once; the chain verifies, its head signed by the
node key when the pull is given it."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigfish.audit import ALERT_ACTION, ConsoleAudit, HeadSigner, verify_audit
from bigfish.cooperation.federation import pin_node_key
from bigfish.cooperation.service import acting_as, create_request
from bigfish.evidence.node_key import load_or_create_node_key
from bigfish.interop import sync
from bigfish.interop.importer import import_objects
from bigfish.interop.sync import pull
from bigfish.organizations import NewOrgs, list_orgs
from bigfish.store import Store
from bigfish.webhooks import allow_peer
from tests.api.helpers import audit_rows
from tests.interop.hostile import HostilePeer, hostile_peer, json_answer
from tests.interop.test_sync_hostile import _report
from tests.requests.test_federation import (
    PEER,
    _freeze,
    _node,
    node_key,
    served,
    sqlite_node,
)

ME = f"console:{getpass.getuser()}"
KEY = "bf_" + "k" * 43


def _page(query: dict[str, str], conn: socket.socket, peer: HostilePeer) -> None:
    """One page: two reports of PEER, one of VN-NEW (organizations the pulling node lacks)."""
    objects: list[Any] = [_report(1), _report(2), _report(3, org="VN-NEW")]
    conn.sendall(json_answer({"more": False, "objects": objects}))


@pytest.fixture
def peer() -> Iterator[HostilePeer]:
    with hostile_peer(_page) as serving:
        yield serving


def _pull(store: Store, peer: HostilePeer, audit: ConsoleAudit) -> sync.SyncResult:
    allow_peer(store, peer.base, "test peer on loopback")
    return pull(store, f"{peer.base}/taxii2/", KEY, audit=audit, webhooks=False)


def test_a_pull_records_each_organization_it_creates_once(store: Store, peer: HostilePeer) -> None:
    audit = ConsoleAudit(store, None)
    first = _pull(store, peer, audit)
    assert (first.new, first.rejected) == (3, 0)
    second = _pull(store, peer, audit)  # the same reports again: nothing created
    assert second.unchanged == 3
    source = f"{peer.base}/taxii2/"
    assert audit_rows(store) == [
        (ME, "PEER", "org add by sync pull", f"PEER from {source}", 201),
        (ME, "VN-NEW", "org add by sync pull", f"VN-NEW from {source}", 201),
    ]
    assert KEY not in repr(audit_rows(store))
    assert verify_audit(store).ok


class _Undone(Exception):
    sqlstate = "40P01"  # a deadlock: the database undid the transaction


def test_a_page_the_database_undid_records_its_organizations_once(
    store: Store, peer: HostilePeer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    signer = HeadSigner(load_or_create_node_key(data), data)
    audit = ConsoleAudit(store, signer)
    audit.done(None, "sync allow", peer.base, 201)  # heads are signed from here on
    save = sync.save_position
    failures = [1]

    def undone_once(*args: Any, **kwargs: Any) -> None:
        if failures[0]:
            failures[0] -= 1
            raise sa.exc.OperationalError("UPDATE sync_state", {}, _Undone())
        save(*args, **kwargs)

    monkeypatch.setattr(sync, "save_position", undone_once)
    result = _pull(store, peer, audit)
    assert (failures, result.new) == ([0], 3)
    actions = [row[2] for row in audit_rows(store)]
    assert actions == ["sync allow", "org add by sync pull", "org add by sync pull"]
    assert ALERT_ACTION not in actions
    check = verify_audit(store, signer)
    assert check.ok and check.signature_checked, check.reason
    assert signer.for_chain(check.chain_id, None).signed_up_to() == check.head_seq == 3


def _sent_requests(tmp_path: Path, migrated: Path, count: int) -> tuple[list[Any], str]:
    """The objects the Thai node serves VN-BANK after sending it COUNT requests, and the
    fingerprint of the key that node signs them with."""
    th = _node(sqlite_node(tmp_path / "th.db", migrated))
    try:
        for _ in range(count):
            create_request(th, acting_as(th, "TH-AOC"), _freeze(), send=True)
        return served(th, "VN-BANK"), node_key(th).fingerprint
    finally:
        th.close()


def _receive(store: Store, objects: list[Any]) -> None:
    created = NewOrgs(ConsoleAudit(store, None), "org add by sync pull", PEER)
    with store.begin() as conn:
        outcome = import_objects(conn, objects, peer=PEER, default_org="peer", created=created)
    created.committed()
    assert outcome.rejected == 0, outcome.rejections


def test_a_party_of_a_pulled_request_new_here_and_the_key_pinned_are_recorded(
    store: Store, tmp_path: Path, _migrated_sqlite: Path
) -> None:
    objects, fingerprint = _sent_requests(tmp_path, _migrated_sqlite, 2)
    vn = _node(store, (("VN-BANK", "VN"),), here="VN")  # TH-AOC is new to this node
    _receive(vn, objects[:1])  # one request: TH-AOC created, its node's key pinned
    _receive(vn, objects)  # the other: nothing new
    assert [o.name for o in list_orgs(vn)] == ["TH-AOC", "VN-BANK"]
    assert audit_rows(vn) == [
        (ME, "TH-AOC", "org add by sync pull", f"TH-AOC from {PEER}", 201),
        (ME, None, "node key pin by sync pull", f"http://peer:8000 {fingerprint}", 201),
    ]
    assert verify_audit(vn).ok


def test_the_key_an_operator_pinned_is_not_recorded_again_when_the_peer_first_serves_it(
    store: Store, tmp_path: Path, _migrated_sqlite: Path
) -> None:
    objects, fingerprint = _sent_requests(tmp_path, _migrated_sqlite, 1)
    vn = _node(store, (("VN-BANK", "VN"), ("TH-AOC", "TH")), here="VN")
    pin_node_key(vn, PEER, fingerprint)  # `org add --node-key`: the operator's word
    _receive(vn, objects)
    assert audit_rows(vn) == []

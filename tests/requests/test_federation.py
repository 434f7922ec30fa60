"""Cooperation requests between two nodes through the TAXII feed and the importer (in process):
only the two parties' collections carry a request, histories merge by event id and replay to
the same status, forged or foreign requests are refused with a reason and leave nothing."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from bigfish.cli import app
from bigfish.cooperation import federation
from bigfish.cooperation.federation import pin_node_key
from bigfish.cooperation.model import (
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    expiry_event_id,
)
from bigfish.cooperation.service import (
    acting_as,
    create_request,
    expire_overdue,
    get_request,
    list_requests,
    request_history,
    transition,
)
from bigfish.cooperation.signing import sign_event
from bigfish.cooperation.wire import REQUEST_TYPE, parse_request
from bigfish.errors import InputError, NotFound
from bigfish.evidence.custody import NodeKey, load_node_key
from bigfish.interop import feed
from bigfish.interop.importer import ImportOutcome, import_objects
from bigfish.models import ApiRole
from bigfish.organizations import add_org, list_orgs
from bigfish.store import Store, open_store
from bigfish.store.schema import organizations
from bigfish.store.schema_evidence import cooperation_requests, request_events
from bigfish.store.schema_interop import peer_keys

ORGS = (("TH-AOC", "TH"), ("VN-BANK", "VN"), ("VN-POLICE", "VN"))
PEER = "http://peer:8000/"  # each node sees the other one at this address


def _node(store: Store, orgs: tuple[tuple[str, str], ...] = ORGS, *, here: str = "TH") -> Store:
    """STORE with ORGS: those of country HERE live on it, the others on the peer."""
    for name, country in orgs:
        add_org(store, name, country=country, node=None if country == here else PEER)
    return store


def sqlite_node(path: Path, migrated: Path) -> Store:
    """A new, empty node's store in the SQLite file PATH: a copy of MIGRATED, the worker's
    migrated database (tests/conftest.py's `_migrated_sqlite`), so that no test migrates one."""
    assert not path.exists()
    shutil.copyfile(migrated, path)
    return open_store(f"sqlite:///{path}")


def _freeze(deadline: datetime | None = None) -> RequestDraft:
    return RequestDraft(
        to_org="VN-BANK",
        request_type=RequestType.PAYMENT_FREEZE,
        legal_basis="budapest-35",
        summary="Freeze the mule account",
        subjects=(Subject(SubjectKind.IDENTIFIER, "BFTVVNVX:0071000123456", "bank_account"),),
        deadline=deadline or datetime.now(UTC) + timedelta(days=2),
        created_by="Somchai",
    )


_KEYS: dict[str, NodeKey] = {}


def node_key(store: Store) -> NodeKey:
    """The node key of STORE's node (one per store, made on first use)."""
    url = str(store.engine.url)
    return _KEYS.setdefault(url, NodeKey(Ed25519PrivateKey.generate()))


def served(store: Store, org: str) -> list[dict[str, Any]]:
    """Every object the TAXII feed of STORE's node serves to ORG's sync key, signed by it."""
    viewer = acting_as(store, org, ApiRole.SYNC)
    with store.connect() as conn:
        return [
            entry.object
            for collection in feed.collections(conn, viewer)
            for entry, _ in feed.iter_entries(conn, collection, signer=node_key(store))
        ]


def receive(
    store: Store, objects: list[dict[str, Any]], owner: str | None = None, peer: str = PEER
) -> ImportOutcome:
    with store.begin() as conn:
        return import_objects(conn, objects, peer=peer, default_org="peer", owner=owner)


def _requests(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == REQUEST_TYPE]


def test_a_request_travels_to_the_recipients_node_and_its_changes_travel_back(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    draft = create_request(th, aoc, _freeze())
    assert _requests(served(th, "VN-BANK")) == []  # a draft never leaves its node
    transition(th, aoc, draft.request_id, RequestStatus.SENT, None, actor="Somchai")
    assert _requests(served(th, "VN-POLICE")) == []  # nor reaches a third organization
    [obj] = _requests(served(th, "VN-BANK"))
    assert obj["extensions"][next(iter(obj["extensions"]))] == {"extension_type": "new-sdo"}
    outcome = receive(vn, [obj])
    assert (outcome.received, outcome.stored, outcome.rejected) == (1, 1, 0)
    bank = acting_as(vn, "VN-BANK")
    assert [r.request_id for r in list_requests(vn, bank, "inbox")] == [draft.request_id]
    for status in (RequestStatus.ACKNOWLEDGED, RequestStatus.IN_PROGRESS, RequestStatus.FULFILLED):
        transition(vn, bank, draft.request_id, status, status.value, actor="Lan")
    assert receive(th, _requests(served(vn, "TH-AOC"))).rejected == 0
    assert get_request(th, aoc, draft.request_id).status is RequestStatus.FULFILLED
    assert request_history(th, aoc, draft.request_id) == request_history(vn, bank, draft.request_id)
    again = receive(vn, _requests(served(th, "VN-BANK")))  # the echo adds nothing
    assert again.rejected == 0 and len(request_history(vn, bank, draft.request_id)) == 5
    for store in (th, vn):
        with pytest.raises(NotFound):
            get_request(store, acting_as(store, "VN-POLICE"), draft.request_id)


def test_a_withdrawal_travels_to_the_recipients_node_and_the_recipient_cannot_forge_one(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    aoc, bank = acting_as(th, "TH-AOC"), acting_as(vn, "VN-BANK")
    sent = create_request(th, aoc, _freeze(), send=True)
    assert receive(vn, _requests(served(th, "VN-BANK"))).rejected == 0
    transition(vn, bank, sent.request_id, RequestStatus.ACKNOWLEDGED, None, actor="Lan")
    assert receive(th, _requests(served(vn, "TH-AOC"))).rejected == 0
    transition(th, aoc, sent.request_id, RequestStatus.WITHDRAWN, "funds recovered", actor="Som")
    assert receive(vn, _requests(served(th, "VN-BANK"))).rejected == 0
    assert get_request(vn, bank, sent.request_id).status is RequestStatus.WITHDRAWN
    assert request_history(th, aoc, sent.request_id) == request_history(vn, bank, sent.request_id)
    # the recipient cannot withdraw, nor can its node send a withdrawal in the requester's name
    other = create_request(th, aoc, _freeze(), send=True)
    receive(vn, _requests(served(th, "VN-BANK")))
    transition(vn, bank, other.request_id, RequestStatus.ACKNOWLEDGED, None)
    [acknowledged] = [
        o for o in _requests(served(vn, "TH-AOC")) if o["request_id"] == other.request_id
    ]
    for org, field in (("VN-BANK", ".to_status"), ("TH-AOC", ".org")):
        forged = copy.deepcopy(acknowledged)
        forged["history"].append(
            {
                "event_id": "re-" + "e" * 32,
                "at": forged["history"][-1]["at"],
                "org": org,
                "actor": "someone on the VN node",
                "from_status": "acknowledged",
                "to_status": "withdrawn",
            }
        )
        refused = receive(th, [forged])
        assert refused.rejected == 1, org
        assert refused.rejections[0][1].startswith("history[3]" + field), refused.rejections
    assert get_request(th, aoc, other.request_id).status is RequestStatus.SENT


def _sent_object(th: Store) -> dict[str, Any]:
    aoc = acting_as(th, "TH-AOC")
    created = create_request(th, aoc, _freeze(), send=True)
    [obj] = [o for o in _requests(served(th, "VN-BANK")) if o["request_id"] == created.request_id]
    return obj


def _count(store: Store) -> int:
    with store.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(cooperation_requests)).scalar_one()
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o["history"][1].update(org="VN-BANK"), "history[1].to_status"),  # bank "sent"
        (lambda o: o["history"][0].update(org="VN-POLICE"), "history[0].org"),  # not a party
        (lambda o: o["history"].pop(), "history"),  # only the draft is left
        (lambda o: o.update(request_id="rq-other"), "id"),  # id and object id disagree
        (lambda o: o.update(legal_basis="budapest-29"), "legal_basis"),  # not for a freeze
        (lambda o: o["history"][1].update(at="yesterday"), "history[1].at"),
        (lambda o: o.update(subjects=[]), "subjects"),
    ],
)
def test_a_forged_or_malformed_request_is_refused_with_its_field_and_leaves_nothing(
    nodes: tuple[Store, Store], change: Any, field: str
) -> None:
    th, vn = nodes
    obj = copy.deepcopy(_sent_object(th))
    change(obj)
    outcome = receive(vn, [obj])
    assert outcome.rejected == 1 and outcome.received == outcome.stored + outcome.rejected
    assert outcome.rejections[0][1].startswith(field), outcome.rejections
    assert _count(vn) == 0


def test_a_node_refuses_a_request_between_organizations_it_does_not_host(
    store: Store, tmp_path: Path, _migrated_sqlite: Path
) -> None:
    th = _node(store)
    ph = sqlite_node(tmp_path / "ph.db", _migrated_sqlite)
    other = _node(ph, (("PH-CICC", "PH"),), here="PH")
    outcome = receive(other, [_sent_object(th)])
    assert outcome.rejected == 1 and "no organization of this node" in outcome.rejections[0][1]
    with other.connect() as conn:
        names = set(conn.execute(sa.select(organizations.c.name)).scalars())
    assert names == {"PH-CICC"} and _count(other) == 0
    other.close()


def test_a_request_posted_to_a_taxii_collection_is_refused(nodes: tuple[Store, Store]) -> None:
    th, vn = nodes
    outcome = receive(vn, [_sent_object(th)], owner="VN-BANK")
    assert outcome.rejected == 1 and "sync pull only" in outcome.rejections[0][1]
    assert _count(vn) == 0


def test_both_nodes_expiring_a_request_record_one_expiry_and_agree(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    obj = _sent_object(th)
    receive(vn, [obj])
    request_id = obj["request_id"]
    later = datetime.now(UTC) + timedelta(days=3)
    assert expire_overdue(th, now=later) == 1 and expire_overdue(vn, now=later) == 1
    receive(th, _requests(served(vn, "TH-AOC")))
    receive(vn, _requests(served(th, "VN-BANK")))
    th_history = request_history(th, acting_as(th, "TH-AOC"), request_id)
    assert th_history == request_history(vn, acting_as(vn, "VN-BANK"), request_id)
    assert [e.to_status for e in th_history][-1] is RequestStatus.EXPIRED
    assert sum(e.to_status is RequestStatus.EXPIRED for e in th_history) == 1


def test_a_change_made_before_the_deadline_counts_even_if_the_other_node_expired_first(
    nodes: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    th, vn = nodes
    obj = _sent_object(th)
    receive(vn, [obj])
    request_id = obj["request_id"]
    later = datetime.now(UTC) + timedelta(days=3)
    monkeypatch.setattr(federation, "_now", lambda: later)  # both nodes' clocks, past it
    expire_overdue(th, now=later)  # the requester's node sees the deadline pass (from sent) ...
    bank = acting_as(vn, "VN-BANK")  # ... while the bank acknowledged in time on its own node
    transition(vn, bank, request_id, RequestStatus.ACKNOWLEDGED, None)
    receive(th, _requests(served(vn, "TH-AOC")))
    aoc = acting_as(th, "TH-AOC")
    with th.connect() as conn:  # the acknowledgement counts: open again, and overdue
        status = conn.execute(
            sa.select(cooperation_requests.c.status).where(
                cooperation_requests.c.request_id == request_id
            )
        ).scalar_one()
    assert status == RequestStatus.ACKNOWLEDGED.value
    assert expire_overdue(th, now=later) == 1  # expired again, from acknowledged
    receive(vn, _requests(served(th, "VN-BANK")))
    assert get_request(vn, bank, request_id).status is RequestStatus.EXPIRED
    assert request_history(th, aoc, request_id) == request_history(vn, bank, request_id)


def test_a_node_speaks_only_for_the_organizations_it_hosts(nodes: tuple[Store, Store]) -> None:
    """A third node cannot forge the bank's acknowledgement, and the bank's node cannot forge a
    change by the Thai centre, which lives on the Thai node; the genuine change goes through."""
    th, vn = nodes
    obj = _sent_object(th)
    receive(vn, [obj])
    transition(vn, acting_as(vn, "VN-BANK"), obj["request_id"], RequestStatus.ACKNOWLEDGED, None)
    [acknowledged] = _requests(served(vn, "TH-AOC"))
    forged = receive(th, [acknowledged], peer="https://elsewhere.example:8443/")
    assert forged.rejected == 1 and forged.rejections[0][1].startswith("history[2].org")
    assert "VN-BANK is not hosted on the node that sent this change" in forged.rejections[0][1]
    as_requester = copy.deepcopy(acknowledged)
    as_requester["history"].append(
        {
            "event_id": "re-" + "f" * 32,
            "at": as_requester["history"][-1]["at"],
            "org": "TH-AOC",
            "actor": "someone on the VN node",
            "from_status": "acknowledged",
            "to_status": "expired",
        }
    )
    refused = receive(th, [as_requester])
    assert refused.rejected == 1 and refused.rejections[0][1].startswith("history[3].org")
    aoc = acting_as(th, "TH-AOC")
    assert get_request(th, aoc, obj["request_id"]).status is RequestStatus.SENT  # nothing stored
    assert receive(th, [acknowledged]).rejected == 0  # from the bank's own node
    assert get_request(th, aoc, obj["request_id"]).status is RequestStatus.ACKNOWLEDGED


def test_a_request_without_a_sending_node_is_refused(nodes: tuple[Store, Store]) -> None:
    th, vn = nodes
    with vn.begin() as conn:
        outcome = import_objects(conn, [_sent_object(th)], peer=None, default_org="file")
    assert outcome.rejected == 1 and "sync pull only" in outcome.rejections[0][1]
    assert _count(vn) == 0


def _signers(store: Store, request_id: str) -> dict[str, str | None]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(request_events.c.to_status, request_events.c.signed_by)
            .join(cooperation_requests, cooperation_requests.c.id == request_events.c.request_pk)
            .where(cooperation_requests.c.request_id == request_id)
        ).all()
    return {r.to_status: r.signed_by for r in rows}


def test_each_change_travels_signed_by_the_node_that_made_it_and_the_signature_is_kept(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    obj = _sent_object(th)
    th_key, vn_key = node_key(th).fingerprint, node_key(vn).fingerprint
    assert [e["signed_by"] for e in obj["history"]] == [th_key, th_key]
    assert obj["node_key"] == node_key(th).public_pem().decode()
    assert receive(vn, [obj]).rejected == 0
    assert _signers(vn, obj["request_id"]) == {"draft": th_key, "sent": th_key}
    transition(vn, acting_as(vn, "VN-BANK"), obj["request_id"], RequestStatus.ACKNOWLEDGED, None)
    [back] = _requests(served(vn, "TH-AOC"))  # the Thai events keep the Thai signatures
    assert [e["signed_by"] for e in back["history"]] == [th_key, th_key, vn_key]
    assert receive(th, [back]).rejected == 0
    assert _signers(th, obj["request_id"]) == {"draft": None, "sent": None, "acknowledged": vn_key}
    with th.connect() as conn:
        pin = conn.execute(sa.select(peer_keys)).one()
    assert (pin.origin, pin.fingerprint, pin.pinned_by) == ("http://peer:8000", vn_key, "first use")


def _acknowledged(th: Store, vn: Store) -> dict[str, Any]:
    obj = _sent_object(th)
    receive(vn, [obj])
    transition(vn, acting_as(vn, "VN-BANK"), obj["request_id"], RequestStatus.ACKNOWLEDGED, None)
    [acknowledged] = _requests(served(vn, "TH-AOC"))
    return acknowledged


def _other_key() -> NodeKey:
    return NodeKey(Ed25519PrivateKey.generate())


def _resigned(obj: dict[str, Any], key: NodeKey) -> dict[str, Any]:
    """OBJ with its last change signed by KEY, which it also sends as the node key."""
    out = copy.deepcopy(obj)
    remote = parse_request(out)
    out["history"][-1]["signature"] = sign_event(
        key, out["request_id"], remote.events[-1], remote.content
    )
    out["history"][-1]["signed_by"] = key.fingerprint
    out["node_key"] = key.public_pem().decode()
    return out


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda o: [o["history"][-1].pop("signature"), o["history"][-1].pop("signed_by")],
            "history[2]: a change from a peer must carry its node's signature",
        ),
        (lambda o: o["history"][-1].update(note="changed on the way"), "history[2].signature"),
        (lambda o: o["history"][-1].update(actor="someone else"), "history[2].signature"),
        (lambda o: o["history"][-1].update(signature="0" * 128), "history[2].signature"),
        (lambda o: o["history"][-1].update(signature="xyz"), "history[2].signature: not an"),
        (lambda o: o["history"][-1].update(signed_by="ab" * 32), "history[2].signed_by"),
        (lambda o: o.pop("node_key"), "node_key: the peer sent no node key"),
        (lambda o: o.update(node_key="not a key"), "node_key"),
        (lambda o: o.update(_resigned(o, _other_key())), None),  # a consistent other key: ok once
        # what was asked, as the node that holds the request knows it, never changes
        (lambda o: o.update(summary="Release the account"), "summary: what the request asks"),
        (lambda o: o.update(deadline="2030-01-01T00:00:00.000000Z"), "deadline: what"),
        (lambda o: o["subjects"].append(o["subjects"][0]), "subjects: what the request asks"),
    ],
)
def test_a_change_with_a_missing_altered_or_foreign_signature_is_refused_and_leaves_nothing(
    nodes: tuple[Store, Store], change: Any, reason: str | None
) -> None:
    th, vn = nodes
    obj = copy.deepcopy(_acknowledged(th, vn))
    change(obj)
    outcome = receive(th, [obj])
    aoc = acting_as(th, "TH-AOC")
    if reason is None:  # first use: whatever key the node at this address signs with is pinned
        assert outcome.rejected == 0
        return
    assert outcome.rejected == 1 and outcome.rejections[0][1].startswith(reason), outcome
    assert get_request(th, aoc, obj["request_id"]).status is RequestStatus.SENT
    with th.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(peer_keys)).scalar_one() == 0


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.update(summary="Release the account"),
        lambda o: o.update(deadline="2030-01-01T00:00:00.000000Z"),
        lambda o: o.update(legal_basis="national-law"),
        lambda o: o["subjects"].append(o["subjects"][0]),
    ],
)
def test_a_request_altered_on_the_way_is_refused_by_its_signatures(
    nodes: tuple[Store, Store], change: Any
) -> None:
    """Review finding: the signatures covered the events alone, so a request whose summary or
    deadline was changed on the way was stored with its signed events still verifying: the
    recipient could not prove what had been asked."""
    th, vn = nodes
    obj = copy.deepcopy(_sent_object(th))
    change(obj)
    outcome = receive(vn, [obj])
    assert outcome.rejected == 1, outcome
    assert outcome.rejections[0][1].startswith("history[0].signature"), outcome
    assert _count(vn) == 0
    assert receive(vn, [_sent_object(th)]).rejected == 0  # as its node sent it


def test_once_a_key_is_pinned_a_change_signed_by_another_key_is_refused(
    nodes: tuple[Store, Store],
) -> None:
    th, vn = nodes
    acknowledged = _acknowledged(th, vn)
    pin_node_key(th, "http://PEER:8000/taxii2/", node_key(vn).fingerprint.upper())
    impostor = _resigned(acknowledged, _other_key())  # same address, another key
    refused = receive(th, [impostor])
    assert refused.rejected == 1 and refused.rejections[0][1].startswith("node_key: the peer's")
    assert receive(th, [acknowledged]).rejected == 0  # the pinned key's change goes through
    with th.connect() as conn:
        pin = conn.execute(sa.select(peer_keys)).one()
    assert (pin.pinned_by, pin.public_key) == ("operator", node_key(vn).public_pem().decode())
    later = copy.deepcopy(acknowledged)  # after the key is known, a foreign key is refused too
    transition(vn, acting_as(vn, "VN-BANK"), later["request_id"], RequestStatus.IN_PROGRESS, None)
    [progress] = _requests(served(vn, "TH-AOC"))
    forged = _resigned(progress, _other_key())
    refused = receive(th, [forged])
    assert refused.rejected == 1 and refused.rejections[0][1].startswith("history[3].signed_by")
    assert receive(th, [progress]).rejected == 0


def test_a_pin_must_be_a_fingerprint(nodes: tuple[Store, Store]) -> None:
    th, _ = nodes
    with pytest.raises(InputError) as caught:
        pin_node_key(th, "http://peer:8000", "not-a-fingerprint")
    assert caught.value.field == "node_key"


def test_cli_shows_the_node_key_and_pins_a_partners_key(tmp_path: Path) -> None:
    """`evidence key` on one node gives the fingerprint that `org add --node-key` pins on the
    other; a bad fingerprint, or one without --node, is refused before anything is added."""
    runner = CliRunner()
    data = tmp_path / "vn-data"
    shown = runner.invoke(app, ["--data-dir", str(data), "evidence", "key", "--json"])
    assert shown.exit_code == 0, shown.output
    vn_key = load_node_key(data)
    assert json.loads(shown.output) == {
        "fingerprint": vn_key.fingerprint,
        "public_key": vn_key.public_pem().decode(),
    }
    db = ["--db", f"sqlite:///{tmp_path / 'th.db'}"]
    add = [*db, "org", "add", "VN-BANK", "--country", "VN"]
    for bad in (["--node-key", vn_key.fingerprint], ["--node", PEER, "--node-key", "abc"]):
        refused = runner.invoke(app, [*add, *bad])
        assert refused.exit_code == 2 and "--node-key" in refused.output
    assert list_orgs(open_store(db[1])) == []
    pinned = runner.invoke(app, [*add, "--node", PEER, "--node-key", vn_key.fingerprint])
    assert pinned.exit_code == 0, pinned.output
    with open_store(db[1]).connect() as conn:
        pin = conn.execute(sa.select(peer_keys)).one()
    assert (pin.origin, pin.fingerprint, pin.pinned_by) == (
        "http://peer:8000",
        vn_key.fingerprint,
        "operator",
    )


@pytest.mark.parametrize("peer", [PEER, "https://elsewhere.example:8443/"])
@pytest.mark.parametrize("deadline", ["in two days", None])
def test_a_peer_cannot_expire_a_request_before_its_deadline(
    nodes: tuple[Store, Store], peer: str, deadline: str | None
) -> None:
    """An expiry needs no signature (every node records it alike): it was accepted from any
    peer, at any time, so the bank's node, or a third node, could close an open payment freeze
    at once, days before its deadline, and without a trace of who did it."""
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    draft = _freeze()
    if deadline is None:
        draft = dataclasses.replace(draft, deadline=None)
    created = create_request(th, aoc, draft, send=True)
    [obj] = [o for o in _requests(served(th, "VN-BANK")) if o["request_id"] == created.request_id]
    assert receive(vn, [obj]).rejected == 0
    forged = copy.deepcopy(obj)
    forged["history"].append(
        {
            "event_id": expiry_event_id(created.request_id, RequestStatus.SENT),
            "at": forged.get("deadline", forged["history"][-1]["at"]),
            "org": "VN-BANK",
            "actor": "system",
            "from_status": "sent",
            "to_status": "expired",
        }
    )
    refused = receive(th, [forged], peer=peer)
    assert refused.rejected == 1, refused
    assert refused.rejections[0][1].startswith("history[2]"), refused.rejections
    assert get_request(th, aoc, created.request_id).status is RequestStatus.SENT
    assert [e.to_status for e in request_history(th, aoc, created.request_id)] == [
        RequestStatus.DRAFT,
        RequestStatus.SENT,
    ]


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("summary", lambda o: o.update(summary="Freeze\x00 the account")),
        ("history[1].note", lambda o: o["history"][-1].update(note="on\x00it")),
        ("subjects", lambda o: o["subjects"][0].update(identifier_kind="bank\x00account")),
    ],
)
def test_a_request_with_a_nul_character_is_refused_instead_of_failing_the_pull(
    nodes: tuple[Store, Store], field: str, change: Any
) -> None:
    """A NUL in a request a peer served (stored as is on a SQLite node) raised a DataError on a
    PostgreSQL node, out of the importer, failing the whole pull; now that one request is
    refused, naming the field, and the rest of the pull goes on."""
    th, vn = nodes
    bank = acting_as(vn, "VN-BANK")
    asked = create_request(
        vn, bank, dataclasses.replace(_freeze(), to_org="TH-AOC", created_by="Lan"), send=True
    )
    [obj] = [o for o in _requests(served(vn, "TH-AOC")) if o["request_id"] == asked.request_id]
    tainted = copy.deepcopy(obj)
    change(tainted)
    outcome = receive(th, [tainted])
    assert outcome.rejected == 1 and outcome.rejections[0][1].startswith(field), outcome
    assert _count(th) == 0
    assert receive(th, [obj]).rejected == 0


def test_a_change_dated_ahead_of_this_nodes_clock_is_refused(nodes: tuple[Store, Store]) -> None:
    """The bank's node (its clock, or its operator) dated its acknowledgement a year ahead; it
    was kept, and every later change on the Thai node was then dated after it (a year ahead
    too) to keep the history's order: the audit trail showed times that never were."""
    th, vn = nodes
    acknowledged = _acknowledged(th, vn)
    ahead = copy.deepcopy(acknowledged)
    ahead["history"][-1]["at"] = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    ahead = _resigned(ahead, node_key(vn))  # genuinely signed by the bank's node
    refused = receive(th, [ahead])
    assert refused.rejected == 1 and refused.rejections[0][1].startswith("history[2].at")
    aoc = acting_as(th, "TH-AOC")
    assert get_request(th, aoc, ahead["request_id"]).status is RequestStatus.SENT
    assert receive(th, [acknowledged]).rejected == 0  # dated by a clock that is right
    done = transition(th, aoc, ahead["request_id"], RequestStatus.WITHDRAWN, "recovered")
    assert request_history(th, aoc, done.request_id)[-1].at < datetime.now(UTC)

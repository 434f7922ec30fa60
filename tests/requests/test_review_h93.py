"""Review of cooperation requests (helper 93): what one node accepts, its peer accepts too, and
text or times out of range are refused naming their field instead of failing in the database
or on the other node."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bigfish.cooperation import federation
from bigfish.cooperation.contacts import add_contact, list_contacts
from bigfish.cooperation.model import (
    Contact,
    RequestEvent,
    RequestStatus,
    Subject,
    SubjectKind,
    expiry_event_id,
)
from bigfish.cooperation.service import (
    acting_as,
    create_request,
    get_request,
    list_requests,
    request_history,
    transition,
)
from bigfish.cooperation.signing import sign_event
from bigfish.cooperation.wire import request_content
from bigfish.errors import AccessDenied, InputError
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.requests.test_federation import (
    _freeze,
    _requests,
    node_key,
    receive,
    served,
)


def test_a_change_with_a_blank_note_travels_to_the_other_node(
    nodes: tuple[Store, Store],
) -> None:
    """A blank note (the API's `"note": ""`, the CLI's `--note ""`) or blank details are stored
    and served, but the other node refused the whole request on every later pull ("note must be
    text of 1-5000 characters"): the request, or the acknowledgement and everything after it,
    never arrived."""
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    sent = create_request(th, aoc, dataclasses.replace(_freeze(), details=""), send=True)
    outcome = receive(vn, _requests(served(th, "VN-BANK")))
    assert (outcome.rejected, outcome.rejections) == (0, ())
    bank = acting_as(vn, "VN-BANK")
    transition(vn, bank, sent.request_id, RequestStatus.ACKNOWLEDGED, "", actor="Lan")
    outcome = receive(th, _requests(served(vn, "TH-AOC")))
    assert (outcome.rejected, outcome.rejections) == (0, ())
    assert get_request(th, aoc, sent.request_id).status is RequestStatus.ACKNOWLEDGED
    assert request_history(th, aoc, sent.request_id) == request_history(vn, bank, sent.request_id)


def test_text_longer_than_a_peer_accepts_is_refused_naming_its_field(
    nodes: tuple[Store, Store],
) -> None:
    """Details, an author, a note or an actor longer than the wire carries (20000, 200, 5000,
    200 characters) were stored (or failed with a DataError on PostgreSQL: the columns of the
    author and actor hold 200), and the other node then refused the whole request."""
    th, _ = nodes
    aoc = acting_as(th, "TH-AOC")
    for field, value in (("details", "d" * 20001), ("created_by", "c" * 201), ("created_by", " ")):
        with pytest.raises(InputError) as refused:
            create_request(th, aoc, dataclasses.replace(_freeze(), **{field: value}), send=True)
        assert refused.value.field == field
    assert list_requests(th, aoc, "outbox") == []
    sent = create_request(th, aoc, _freeze(), send=True)
    for note, actor, field in (("n" * 5001, "Somchai", "note"), ("why", "a" * 201, "actor")):
        with pytest.raises(InputError) as refused:
            transition(th, aoc, sent.request_id, RequestStatus.WITHDRAWN, note, actor=actor)
        assert refused.value.field == field
    assert get_request(th, aoc, sent.request_id).status is RequestStatus.SENT
    assert len(request_history(th, aoc, sent.request_id)) == 2


@pytest.mark.parametrize(
    "deadline",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_a_deadline_beyond_the_calendar_in_utc_is_refused_naming_the_field(
    nodes: tuple[Store, Store], deadline: datetime
) -> None:
    """9999-12-31T23:00-05:00 is no time in UTC: an OverflowError, which the API answered as
    "a value in the request cannot be stored or searched", naming no field."""
    th, _ = nodes
    aoc = acting_as(th, "TH-AOC")
    with pytest.raises(InputError) as refused:
        create_request(th, aoc, _freeze(deadline), send=True)
    assert refused.value.field == "deadline"
    assert list_requests(th, aoc, "outbox") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 201),
        ("role", "r" * 201),
        ("phone", "+66" + "1" * 60),
        ("email", "e" * 321),
        ("languages", "l" * 201),
        ("timezone", "t" * 65),
        ("name", "duty\x00desk"),
        ("email", "duty\x00@aoc.example"),
    ],
)
def test_a_contact_field_the_store_cannot_hold_is_refused_naming_it(
    store: Store, field: str, value: str
) -> None:
    """`bigfish contact add` passed its options through unbounded: a name over 200 characters
    (or a NUL) failed with a DataError on PostgreSQL, naming no field, and was stored as is on
    SQLite (whose columns hold anything), to fail a later copy to PostgreSQL."""
    add_org(store, "TH-AOC", country="TH")
    duty = Contact("TH-AOC", "AOC duty desk", "24/7 point", "+6621234567", None, True)
    with pytest.raises(InputError) as refused:
        add_contact(store, Viewer.node_operator(), dataclasses.replace(duty, **{field: value}))
    assert refused.value.field == field
    assert list_contacts(store, Viewer.node_operator()) == []


def _signed_by(th: Store, obj: dict[str, Any]) -> dict[str, Any]:
    """OBJ with every change signed again by TH's node key, as a node serving it would."""
    content = request_content(obj)
    for item in obj["history"]:
        event = RequestEvent(
            datetime.fromisoformat(item["at"].replace("Z", "+00:00")),
            item["org"],
            item["actor"],
            RequestStatus(item["from_status"]) if item["from_status"] else None,
            RequestStatus(item["to_status"]),
            item.get("note"),
            item["event_id"],
        )
        item["signature"] = sign_event(node_key(th), obj["request_id"], event, content)
    return obj


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(urgency="whenever"), "urgency"),
        (
            lambda o: o["subjects"][0].update(identifier_kind="bank_account_" + "x" * 20),
            "subjects[0].identifier_kind",
        ),
        (lambda o: o["subjects"][0].update(identifier_kind=7), "subjects[0].identifier_kind"),
    ],
)
def test_a_peers_request_is_refused_naming_the_field_and_never_stored_altered(
    nodes: tuple[Store, Store], change: Any, field: str
) -> None:
    """An unknown urgency was refused as `request_type: 'whenever' is not a valid Urgency`; an
    identifier kind over 20 characters was cut to 20 (and 7 stored as "7"), so the request held
    differed from what its signatures cover, and every later change of it was refused
    (`subjects: what the request asks differs from the request held here`)."""
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    sent = create_request(th, aoc, _freeze(), send=True)
    [obj] = _requests(served(th, "VN-BANK"))
    altered = copy.deepcopy(obj)
    change(altered)
    outcome = receive(vn, [_signed_by(th, altered)])
    assert outcome.rejected == 1 and outcome.rejections[0][1].startswith(field + ":"), outcome
    assert list_requests(vn, acting_as(vn, "VN-BANK"), "inbox") == []
    assert receive(vn, [obj]).rejected == 0
    assert [r.request_id for r in list_requests(vn, acting_as(vn, "VN-BANK"))] == [sent.request_id]


def test_an_expiry_from_a_peer_carries_the_note_every_node_records_or_is_refused(
    nodes: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An expiry needs no signature, being the event every node records alike; but its note was
    taken as sent, so once the deadline had passed a peer could put any text in the history
    under `system` (shown to both parties, and signed by this node's key when it serves the
    request on): "deadline passed" is the only note an expiry has."""
    th, vn = nodes
    aoc = acting_as(th, "TH-AOC")
    created = create_request(th, aoc, _freeze(), send=True)
    [obj] = _requests(served(th, "VN-BANK"))
    assert receive(vn, [obj]).rejected == 0
    later = datetime.now(UTC) + timedelta(days=3)
    monkeypatch.setattr(federation, "_now", lambda: later)
    expiry = {
        "event_id": expiry_event_id(created.request_id, RequestStatus.SENT),
        "at": obj["deadline"],
        "org": "VN-BANK",
        "actor": "system",
        "from_status": "sent",
        "to_status": "expired",
    }
    for note in ("VN-BANK found no funds and closed the case", None):
        forged = copy.deepcopy(obj)
        forged["history"].append(expiry | ({"note": note} if note else {}))
        refused = receive(th, [forged])
        assert refused.rejected == 1, refused
        assert refused.rejections[0][1].startswith("history[2].note"), refused.rejections
    assert len(request_history(th, aoc, created.request_id)) == 2
    genuine = copy.deepcopy(obj)
    genuine["history"].append(expiry | {"note": "deadline passed"})
    assert receive(th, [genuine]).rejected == 0
    assert get_request(th, aoc, created.request_id).status is RequestStatus.EXPIRED


def test_more_subjects_than_a_peer_accepts_are_refused_where_the_request_is_made(
    nodes: tuple[Store, Store],
) -> None:
    """The wire carries 1-1000 subjects; `bigfish request create` took any number (the API
    stops at 1000), so a request about 1001 identifiers was sent and then refused, whole, by
    the recipient's node on every pull."""
    th, _ = nodes
    aoc = acting_as(th, "TH-AOC")
    many = tuple(Subject(SubjectKind.IDENTIFIER, f"+6681{n:07d}", "phone") for n in range(1001))
    with pytest.raises(InputError) as refused:
        create_request(th, aoc, dataclasses.replace(_freeze(), subjects=many), send=True)
    assert refused.value.field == "subjects"
    assert list_requests(th, aoc, "outbox") == []
    fits = create_request(th, aoc, dataclasses.replace(_freeze(), subjects=many[:1000]), send=True)
    assert len(fits.subjects) == 1000


def test_a_node_makes_no_change_for_an_organization_another_node_hosts(
    nodes: tuple[Store, Store],
) -> None:
    """The Thai node's operator (`--org VN-BANK`), or a key issued there to VN-BANK, could
    acknowledge the freeze in the name of the bank, which lives on the Vietnamese node: the
    Thai node showed it acknowledged, served the change unsigned, and the bank's node refused
    the whole request from then on (`history[2].org: VN-BANK is not hosted on the node that
    sent this change`). Nor could the Thai node send a request in the bank's name."""
    th, vn = nodes
    aoc, bank_on_th = acting_as(th, "TH-AOC"), acting_as(th, "VN-BANK")
    sent = create_request(th, aoc, _freeze(), send=True)
    with pytest.raises(AccessDenied, match="VN-BANK"):
        transition(th, bank_on_th, sent.request_id, RequestStatus.ACKNOWLEDGED, None)
    assert get_request(th, aoc, sent.request_id).status is RequestStatus.SENT
    assert len(request_history(th, aoc, sent.request_id)) == 2
    asked_by_bank = dataclasses.replace(_freeze(), to_org="TH-AOC")
    with pytest.raises(AccessDenied, match="VN-BANK"):
        create_request(th, bank_on_th, asked_by_bank, send=True)
    assert list_requests(th, aoc, "inbox") == []
    assert receive(vn, _requests(served(th, "VN-BANK"))).rejected == 0

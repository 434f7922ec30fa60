"""Cooperation requests: workflow, legal bases, visibility to the two sides only, audit, API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bigfish.cooperation.contacts import add_contact, list_contacts
from bigfish.cooperation.model import (
    Contact,
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
    legal_bases,
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
from bigfish.errors import AccessDenied, InputError, NotFound
from bigfish.organizations import add_org
from bigfish.sharing.policy import Viewer
from bigfish.store import Store
from tests.api.helpers import Partnership, build_partnership


def _draft(**changes: object) -> RequestDraft:
    values: dict[str, object] = {
        "to_org": "KH-NPA",
        "request_type": RequestType.PRESERVATION,
        "legal_basis": "budapest-29",
        "summary": "Preserve subscriber and IP logs of this number",
        "subjects": (Subject(SubjectKind.IDENTIFIER, "+855 12 345 678", "phone"),),
        "urgency": Urgency.URGENT,
        "deadline": datetime.now(UTC) + timedelta(days=3),
        "created_by": "Somchai",
    }
    values.update(changes)
    return RequestDraft(**values)  # type: ignore[arg-type]


@pytest.fixture
def orgs(store: Store) -> tuple[Store, Viewer, Viewer, Viewer]:
    for name, cc in (("TH-AOC", "TH"), ("KH-NPA", "KH"), ("PH-CICC", "PH")):
        add_org(store, name, country=cc)
    return (
        store,
        acting_as(store, "TH-AOC"),
        acting_as(store, "KH-NPA"),
        acting_as(store, "PH-CICC"),
    )


def test_request_workflow_is_audited_and_visible_to_both_sides_only(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, ph = orgs
    draft = create_request(store, th, _draft())
    assert draft.status is RequestStatus.DRAFT
    assert draft.subjects[0].value == "+85512345678"  # canonical
    with pytest.raises(NotFound):  # a draft is the requester's alone
        get_request(store, kh, draft.request_id)
    sent = transition(store, th, draft.request_id, RequestStatus.SENT, None, actor="Somchai")
    assert [r.request_id for r in list_requests(store, kh, "inbox")] == [sent.request_id]
    assert [r.request_id for r in list_requests(store, th, "outbox")] == [sent.request_id]
    for outsider in (ph, Viewer.node_operator()):
        with pytest.raises(NotFound):
            get_request(store, outsider, sent.request_id)
        assert (
            list_requests(store, outsider, "inbox")
            == list_requests(store, outsider, "outbox")
            == []
        )
        with pytest.raises((NotFound, AccessDenied)):
            transition(store, outsider, sent.request_id, RequestStatus.ACKNOWLEDGED, None)
    with pytest.raises(AccessDenied, match="only the recipient"):  # 403, not a bad value
        transition(store, th, sent.request_id, RequestStatus.ACKNOWLEDGED, None)
    transition(store, kh, sent.request_id, RequestStatus.ACKNOWLEDGED, "received", actor="Dara")
    with pytest.raises(InputError, match="cannot become fulfilled"):
        transition(store, kh, sent.request_id, RequestStatus.FULFILLED, None)
    transition(store, kh, sent.request_id, RequestStatus.IN_PROGRESS, None, actor="Dara")
    done = transition(
        store, kh, sent.request_id, RequestStatus.FULFILLED, "preserved 90 days", actor="Dara"
    )
    assert done.status is RequestStatus.FULFILLED
    with pytest.raises(InputError, match="closed"):
        transition(store, kh, sent.request_id, RequestStatus.DECLINED, None)
    history = request_history(store, th, sent.request_id)
    assert [(e.from_status, e.to_status) for e in history] == [
        (None, RequestStatus.DRAFT),
        (RequestStatus.DRAFT, RequestStatus.SENT),
        (RequestStatus.SENT, RequestStatus.ACKNOWLEDGED),
        (RequestStatus.ACKNOWLEDGED, RequestStatus.IN_PROGRESS),
        (RequestStatus.IN_PROGRESS, RequestStatus.FULFILLED),
    ]
    assert (history[-1].org, history[-1].actor, history[-1].note) == (
        "KH-NPA",
        "Dara",
        "preserved 90 days",
    )


def test_the_requester_withdraws_an_open_request_and_only_the_requester(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    draft = create_request(store, th, _draft())
    with pytest.raises(InputError, match="a request that is draft cannot become withdrawn"):
        transition(store, th, draft.request_id, RequestStatus.WITHDRAWN, None)
    sent = transition(store, th, draft.request_id, RequestStatus.SENT, None)
    transition(store, kh, sent.request_id, RequestStatus.ACKNOWLEDGED, None)
    with pytest.raises(AccessDenied, match="only the requester"):
        transition(store, kh, sent.request_id, RequestStatus.WITHDRAWN, None)
    gone = transition(
        store, th, sent.request_id, RequestStatus.WITHDRAWN, "victim recovered the funds"
    )
    assert gone.status is RequestStatus.WITHDRAWN
    assert get_request(store, kh, sent.request_id).status is RequestStatus.WITHDRAWN
    with pytest.raises(InputError, match="closed"):  # closed for both sides
        transition(store, kh, sent.request_id, RequestStatus.IN_PROGRESS, None)
    last = request_history(store, kh, sent.request_id)[-1]
    assert (last.from_status, last.to_status, last.org, last.note) == (
        RequestStatus.ACKNOWLEDGED,
        RequestStatus.WITHDRAWN,
        "TH-AOC",
        "victim recovered the funds",
    )


def test_request_input_is_checked_field_by_field(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, _, _ = orgs
    cases = [
        (_draft(legal_basis="budapest-99"), "legal_basis"),
        (_draft(legal_basis="budapest-31"), "legal_basis"),  # art. 31 is not a preservation basis
        (_draft(deadline=datetime.now(UTC) - timedelta(hours=1)), "deadline"),
        (_draft(to_org="NOBODY"), "to_org"),
        (_draft(to_org="TH-AOC"), "to_org"),
        (_draft(subjects=()), "subjects"),
        (
            _draft(subjects=(Subject(SubjectKind.IDENTIFIER, "not a phone", "phone"),)),
            "subjects[0]",
        ),
        (_draft(summary=" "), "summary"),
        # A network is named by its id; a report by ORG/REPORT_ID (both were taken as they were).
        (_draft(subjects=(*_draft().subjects, Subject(SubjectKind.NETWORK, "abc"))), "subjects[1]"),
        (_draft(subjects=(Subject(SubjectKind.NETWORK, "-1"),)), "subjects[0]"),
        (_draft(subjects=(Subject(SubjectKind.REPORT, "R-9"),)), "subjects[0]"),
    ]
    for draft, field in cases:
        with pytest.raises(InputError) as info:
            create_request(store, th, draft)
        assert info.value.field == field, draft
    with pytest.raises(NotFound):  # a report the requester cannot see is not named
        create_request(store, th, _draft(subjects=(Subject(SubjectKind.REPORT, "KH-NPA/R-9"),)))
    with pytest.raises(NotFound):  # nor a network it cannot open
        create_request(store, th, _draft(subjects=(Subject(SubjectKind.NETWORK, "999999"),)))


def test_overdue_requests_expire_with_an_audit_entry(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    sent = create_request(store, th, _draft(), send=True)
    with pytest.raises(InputError, match="past its deadline"):
        transition(store, kh, sent.request_id, RequestStatus.EXPIRED, None)
    assert expire_overdue(store, now=datetime.now(UTC) + timedelta(days=4)) == 1
    assert get_request(store, th, sent.request_id).status is RequestStatus.EXPIRED
    assert request_history(store, kh, sent.request_id)[-1].actor == "system"


def test_legal_bases_ship_budapest_and_un_articles_to_confirm() -> None:
    bases = legal_bases()
    assert {"budapest-29", "budapest-30", "budapest-31", "budapest-35"} <= set(bases)
    un = [b for b in bases.values() if b.convention.startswith("United Nations")]
    assert un and all(b.confirm for b in un)
    assert {b.corresponds_to for b in un} >= {
        "budapest-29",
        "budapest-30",
        "budapest-31",
        "budapest-35",
    }
    assert not any(bases[f"budapest-{n}"].confirm for n in (29, 30, 31, 35))


def test_contact_directory_lists_24_7_points_first(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    add_contact(
        store, th, Contact("TH-AOC", "Analyst desk", "analysts", None, "desk@aoc.example", False)
    )
    add_contact(
        store,
        th,
        Contact("TH-AOC", "Duty officer", "24/7 point of contact", "+6621234567", None, True),
    )
    with pytest.raises(AccessDenied):
        add_contact(store, kh, Contact("TH-AOC", "Fake", "fake", "+1", None, True))
    with pytest.raises(InputError):
        add_contact(store, th, Contact("TH-AOC", "Nobody", "x", None, None, True))
    found = list_contacts(store, kh, "TH-AOC")
    assert [c.name for c in found] == ["Duty officer", "Analyst desk"]


@pytest.fixture
def api(sqlite_store: Store) -> Iterator[Partnership]:
    yield from build_partnership(sqlite_store)


def test_requests_work_end_to_end_through_the_api(api: Partnership) -> None:
    body = {
        "to_org": "C",
        "type": "takedown",
        "legal_basis": "national-law",
        "summary": "Take down the phishing domain",
        "subjects": [
            {"kind": "identifier", "identifier_kind": "url", "value": "https://sc4m.example/login"}
        ],
        "urgency": "emergency",
        "send": True,
        "from_org": "B",  # ignored: the key decides
    }
    created = api.client.post("/api/v1/requests", json=body, headers=api.headers("A"))
    assert created.status_code == 201, created.text
    rid = created.json()["request_id"]
    assert created.json()["from_org"] == "A" and created.json()["status"] == "sent"
    inbox = api.client.get("/api/v1/requests?box=inbox", headers=api.headers("C")).json()
    assert [r["request_id"] for r in inbox["requests"]] == [rid]
    assert api.client.get(f"/api/v1/requests/{rid}", headers=api.headers("B")).status_code == 404
    assert api.client.get("/api/v1/requests?box=inbox", headers=api.headers("B")).json() == {
        "requests": [],
        "next_cursor": None,
    }
    more = [
        api.client.post("/api/v1/requests", json=body, headers=api.headers("A")).json()
        for _ in range(2)
    ]
    paged, cursor = [], None
    while True:  # cursor pagination, as spec/api.md has every list
        page = api.client.get(
            "/api/v1/requests",
            params={"box": "inbox", "limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=api.headers("C"),
        ).json()
        paged += [r["request_id"] for r in page["requests"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # one arriving between pages comes first (newest first): nothing repeats or is skipped
        api.client.post("/api/v1/requests", json=body, headers=api.headers("A"))
    assert sorted(paged) == sorted([rid, *(m["request_id"] for m in more)])
    odd = api.client.get("/api/v1/requests?cursor=x", headers=api.headers("C"))
    assert odd.status_code == 400 and odd.json()["error"]["details"]["field"] == "cursor"
    denied = api.client.post(
        f"/api/v1/requests/{rid}/status", json={"status": "acknowledged"}, headers=api.headers("B")
    )
    assert denied.status_code == 404
    wrong_side = api.client.post(
        f"/api/v1/requests/{rid}/status", json={"status": "acknowledged"}, headers=api.headers("A")
    )
    assert wrong_side.status_code == 403 and "only the recipient" in wrong_side.text
    for status in ("acknowledged", "in_progress", "fulfilled"):
        moved = api.client.post(
            f"/api/v1/requests/{rid}/status",
            json={"status": status, "note": status},
            headers=api.headers("C"),
        )
        assert moved.status_code == 200, moved.text
    shown = api.client.get(f"/api/v1/requests/{rid}", headers=api.headers("A")).json()
    assert shown["status"] == "fulfilled"
    assert [h["to"] for h in shown["history"]] == [
        "draft",
        "sent",
        "acknowledged",
        "in_progress",
        "fulfilled",
    ]
    bad = api.client.post(
        "/api/v1/requests", json={**body, "legal_basis": "nope"}, headers=api.headers("A")
    )
    assert bad.status_code == 422 and "legal_basis" in bad.text
    readonly = api.client.post("/api/v1/requests", json=body, headers=api.headers("A-readonly"))
    assert readonly.status_code == 403
    bases = api.client.get("/api/v1/legal-bases", headers=api.headers("B")).json()["legal_bases"]
    assert any(b["id"] == "uncc-42" and b["confirm"] for b in bases)
    contact = api.client.post(
        "/api/v1/contacts",
        json={"name": "Duty", "role": "24/7", "phone": "+855123", "always_available": True},
        headers=api.headers("C"),
    )
    assert contact.status_code == 201 and contact.json()["org"] == "C"
    listed = api.client.get("/api/v1/contacts?org=C", headers=api.headers("B")).json()
    assert [c["name"] for c in listed] == ["Duty"]


def test_request_cli_round_trip(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from bigfish.cli import app
    from bigfish.store import open_store

    url = f"sqlite:///{tmp_path / 'n.db'}"
    s = open_store(url)
    add_org(s, "TH-AOC", country="TH")
    add_org(s, "KH-NPA", country="KH")
    s.close()
    run = CliRunner()
    created = run.invoke(
        app,
        [
            "--db",
            url,
            "request",
            "create",
            "--org",
            "TH-AOC",
            "--to",
            "KH-NPA",
            "--type",
            "preservation",
            "--basis",
            "uncc-42",
            "--summary",
            "Preserve",
            "--identifier",
            "phone:+85512345678",
            "--send",
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    doc = json.loads(created.stdout)
    assert doc["legal_basis_to_confirm"] is True
    assert doc["created_at"].endswith("Z") and doc["updated_at"].endswith("Z")  # one time format
    moved = run.invoke(
        app,
        [
            "--db",
            url,
            "request",
            "update",
            doc["request_id"],
            "--org",
            "KH-NPA",
            "--status",
            "acknowledged",
        ],
    )
    assert moved.exit_code == 0, moved.output
    wrong = run.invoke(
        app,
        [
            "--db",
            url,
            "request",
            "update",
            doc["request_id"],
            "--org",
            "TH-AOC",
            "--status",
            "fulfilled",
        ],
    )
    assert wrong.exit_code == 1 and "status" in wrong.stderr
    listed = run.invoke(app, ["--db", url, "request", "list", "--org", "KH-NPA", "--json"])
    assert [r["status"] for r in json.loads(listed.stdout)["requests"]] == ["acknowledged"]
    assert (
        run.invoke(
            app,
            [
                "--db",
                url,
                "contact",
                "add",
                "--org",
                "KH-NPA",
                "--name",
                "Duty",
                "--role",
                "24/7",
                "--phone",
                "+855",
                "--24-7",
            ],
        ).exit_code
        == 0
    )
    assert "24/7" in run.invoke(app, ["--db", url, "contact", "list"]).stdout
    for command in (
        ["request", "create"],
        ["request", "list"],
        ["request", "update"],
        ["request", "show"],
        ["request", "bases"],
        ["request", "expire"],
        ["contact", "add"],
        ["contact", "list"],
    ):
        assert "Example" in run.invoke(app, [*command, "--help"]).stdout, command


def _move_deadline(store: Store, request_id: str, deadline: datetime) -> None:

    from bigfish.store.schema_evidence import cooperation_requests

    with store.begin() as conn:
        conn.execute(
            cooperation_requests.update()
            .where(cooperation_requests.c.request_id == request_id)
            .values(deadline=deadline)
        )


def test_a_listing_never_shows_an_overdue_request_open(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    store, th, kh, _ = orgs
    sent = create_request(store, th, _draft(), send=True)
    deadline = datetime.now(UTC) - timedelta(minutes=1)
    _move_deadline(store, sent.request_id, deadline)
    [listed] = list_requests(store, kh, "inbox")
    assert listed.status is RequestStatus.EXPIRED
    last = request_history(store, th, sent.request_id)[-1]
    assert (last.to_status, last.actor) == (RequestStatus.EXPIRED, "system")
    with pytest.raises(InputError, match="expired"):  # nothing moves it past its deadline
        transition(store, kh, sent.request_id, RequestStatus.ACKNOWLEDGED, None)
    assert expire_overdue(store) == 0  # once


def test_request_expire_command_expires_overdue_requests(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from bigfish.cli import app
    from bigfish.store import open_store

    url = f"sqlite:///{tmp_path / 'n.db'}"
    s = open_store(url)
    add_org(s, "TH-AOC", country="TH")
    add_org(s, "KH-NPA", country="KH")
    sent = create_request(s, acting_as(s, "TH-AOC"), _draft(), send=True)
    _move_deadline(s, sent.request_id, datetime.now(UTC) - timedelta(hours=1))
    s.close()
    run = CliRunner()
    first = run.invoke(app, ["--db", url, "request", "expire", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"expired": 1}
    assert run.invoke(app, ["--db", url, "request", "expire"]).stdout.strip() == (
        "expired 0 request(s)"
    )


def test_a_withdrawal_needs_a_note_saying_why(
    orgs: tuple[Store, Viewer, Viewer, Viewer],
) -> None:
    """docs/evidence.md: the requester withdraws `with a note saying why`; a withdrawal without
    one closed the request for the recipient, which was told nothing."""
    store, th, kh, _ = orgs
    sent = create_request(store, th, _draft(), send=True)
    for note in (None, "", "   "):
        with pytest.raises(InputError) as refused:
            transition(store, th, sent.request_id, RequestStatus.WITHDRAWN, note)
        assert refused.value.field == "note"
    assert get_request(store, kh, sent.request_id).status is RequestStatus.SENT
    assert len(request_history(store, kh, sent.request_id)) == 2
    gone = transition(store, th, sent.request_id, RequestStatus.WITHDRAWN, "funds recovered")
    assert gone.status is RequestStatus.WITHDRAWN


@pytest.mark.parametrize(("bad", "reason"), [("a\x00b", "NUL"), ("a\udcffb", "not valid UTF-8")])
def test_text_that_cannot_be_stored_or_signed_is_refused_naming_its_field(
    orgs: tuple[Store, Viewer, Viewer, Viewer], bad: str, reason: str
) -> None:
    """A NUL in a summary, details, note or name failed with a DataError from PostgreSQL (500)
    and was stored as is on SQLite, to fail the pull of a PostgreSQL peer; text that is not
    UTF-8 (a command-line argument) with a UnicodeEncodeError traceback."""
    import dataclasses

    store, th, kh, _ = orgs
    for field, changes in (
        ("summary", {"summary": bad}),
        ("details", {"details": bad}),
        ("created_by", {"created_by": bad}),
    ):
        with pytest.raises(InputError) as refused:
            create_request(store, th, dataclasses.replace(_draft(), **changes), send=True)
        assert (refused.value.field, reason in refused.value.message) == (field, True)
    assert list_requests(store, th, "outbox") == []
    sent = create_request(store, th, _draft(), send=True)
    for note, actor, field in ((bad, "Dara", "note"), ("on it", bad, "actor")):
        with pytest.raises(InputError) as refused:
            transition(store, kh, sent.request_id, RequestStatus.ACKNOWLEDGED, note, actor=actor)
        assert refused.value.field == field
    assert get_request(store, kh, sent.request_id).status is RequestStatus.SENT

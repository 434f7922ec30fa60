"""`bigfish request …` and `bigfish contact …`: cooperation requests and the 24/7 directory.

Requests belong to organizations: the operator acts as one with `--org`. The commands that change
a request or the directory (create, update, expire, contact add) also append one row to the
audit log when they succeed (`bigfish.audit.console`), as the API's requests do.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Any

import typer

from bigfish.audit import console_audit
from bigfish.cli._app import OPTIONS, app, command_store, fail, known_org
from bigfish.cooperation.model import (
    Contact,
    CooperationRequest,
    RequestDraft,
    RequestStatus,
    RequestType,
    Subject,
    SubjectKind,
    Urgency,
    legal_bases,
)
from bigfish.errors import BigfishError
from bigfish.models import iso_z
from bigfish.sharing.policy import Viewer

request_app = typer.Typer(help="Cooperation requests between partners.", no_args_is_help=True)
contact_app = typer.Typer(help="The 24/7 point-of-contact directory.", no_args_is_help=True)
app.add_typer(request_app, name="request")
app.add_typer(contact_app, name="contact")


def request_json(r: CooperationRequest) -> dict[str, Any]:
    """The JSON form of a request (CLI and API)."""
    return {
        "request_id": r.request_id,
        "type": r.request_type.value,
        "from_org": r.from_org,
        "to_org": r.to_org,
        "status": r.status.value,
        "urgency": r.urgency.value,
        "legal_basis": r.legal_basis,
        "legal_basis_to_confirm": r.legal_basis_confirm,
        "summary": r.summary,
        "details": r.details,
        "subjects": [
            {"kind": s.kind.value, "value": s.value, "identifier_kind": s.identifier_kind}
            for s in r.subjects
        ],
        "deadline": iso_z(r.deadline) if r.deadline else None,
        "created_by": r.created_by,
        "created_at": iso_z(r.created_at),
        "updated_at": iso_z(r.updated_at),
    }


def _line(r: CooperationRequest) -> str:
    deadline = r.deadline.strftime("%Y-%m-%d %H:%M") if r.deadline else "-"
    return (
        f"{r.request_id}  {r.status.value:<12} {r.urgency.value:<9} {r.request_type.value:<24} "
        f"{r.from_org} -> {r.to_org}  due {deadline}  {r.summary}"
    )


def _subjects(
    identifiers: list[str], reports: list[str], networks: list[str]
) -> tuple[Subject, ...]:
    subjects = []
    for item in identifiers:
        kind, sep, value = item.partition(":")
        if not sep:
            raise typer.BadParameter(f"{item!r}: write KIND:VALUE, e.g. phone:+66812345678")
        subjects.append(Subject(SubjectKind.IDENTIFIER, value, kind))
    subjects += [Subject(SubjectKind.REPORT, r) for r in reports]
    subjects += [Subject(SubjectKind.NETWORK, n) for n in networks]
    return tuple(subjects)


@request_app.command("create")
def create(
    org: str = typer.Option(..., "--org", help="The requesting organization (acted as)."),
    to: str = typer.Option(..., "--to", help="The organization asked."),
    kind: RequestType = typer.Option(..., "--type", help="What is asked for."),
    basis: str = typer.Option(..., "--basis", help="Legal basis id (see `bigfish request bases`)."),
    summary: str = typer.Option(..., "--summary", help="One line saying what is asked."),
    identifier: list[str] = typer.Option([], "--identifier", help="KIND:VALUE (repeatable)."),
    report: list[str] = typer.Option([], "--report", help="ORG/REPORT_ID (repeatable)."),
    network: list[str] = typer.Option([], "--network", help="A network id (repeatable)."),
    urgency: Urgency = typer.Option(
        Urgency.ROUTINE, "--urgency", help="routine, urgent, emergency."
    ),
    deadline: datetime | None = typer.Option(None, "--deadline", help="ISO 8601 (UTC if no zone)."),
    details: str | None = typer.Option(None, "--details", help="The full text of the request."),
    send: bool = typer.Option(False, "--send", help="Send at once instead of keeping a draft."),
    by: str | None = typer.Option(None, "--by", help="Who (default: your login name)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a cooperation request (a draft unless --send).

    Example:

        bigfish request create --org th-aoc --to kh-npa --type preservation \\
            --basis budapest-29 --summary "Preserve subscriber data" \\
            --identifier phone:+85512345678 --urgency urgent --deadline 2030-01-10 --send
    """
    from bigfish.cooperation.service import acting_as, create_request

    draft = RequestDraft(
        to_org=to,
        request_type=kind,
        legal_basis=basis,
        summary=summary,
        subjects=_subjects(identifier, report, network),
        urgency=urgency,
        deadline=deadline,
        details=details,
        created_by=by or getpass.getuser(),
    )
    try:
        store = command_store()
        known_org(store, org)
        known_org(store, to)
        audit = console_audit(store, OPTIONS.data_dir)
        created = create_request(store, acting_as(store, org), draft, send=send)
        target = f"{created.request_id} {created.status.value}"
        audit.done(created.from_org, "request create", target, 201)
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(request_json(created)) if as_json else _line(created))


@request_app.command("list")
def list_(
    org: str = typer.Option(..., "--org", help="Whose requests (acted as)."),
    box: str = typer.Option("inbox", "--box", help="inbox (received) or outbox (sent)."),
    status: RequestStatus | None = typer.Option(None, "--status", help="Only this status."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the requests an organization received or sent.

    Example: bigfish request list --org kh-npa --box inbox --status sent
    """
    from bigfish.cooperation.service import acting_as, list_requests

    try:
        store = command_store(reads_only=True)
        known_org(store, org)
        found = list_requests(store, acting_as(store, org), box, status)
    except BigfishError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps({"requests": [request_json(r) for r in found]}))
    else:
        for r in found:
            typer.echo(_line(r))


@request_app.command("update")
def update(
    request_id: str = typer.Argument(..., help="The request id (rq-…)."),
    org: str = typer.Option(..., "--org", help="The organization acting (either side)."),
    status: RequestStatus = typer.Option(..., "--status", help="The new status."),
    note: str | None = typer.Option(None, "--note", help="Why (kept in the audit trail)."),
    by: str | None = typer.Option(None, "--by", help="Who (default: your login name)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Move a request along: sent, acknowledged, in_progress, fulfilled, declined, expired,
    or withdrawn (the requester, while it is open).

    Example: bigfish request update rq-1a2b… --org kh-npa --status acknowledged --note "on it"
    """
    from bigfish.cooperation.service import acting_as, transition

    try:
        store = command_store()
        known_org(store, org)
        audit = console_audit(store, OPTIONS.data_dir)
        changed = transition(
            store, acting_as(store, org), request_id, status, note, actor=by or getpass.getuser()
        )
        audit.done(org, "request update", f"{changed.request_id} {changed.status.value}", 200)
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps(request_json(changed)) if as_json else _line(changed))


@request_app.command("show")
def show(
    request_id: str = typer.Argument(..., help="The request id (rq-…)."),
    org: str = typer.Option(..., "--org", help="The organization acting (either side)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a request and its audited history.

    Example: bigfish request show rq-1a2b… --org th-aoc
    """
    from bigfish.cooperation.service import acting_as, get_request, request_history

    try:
        store = command_store(reads_only=True)
        known_org(store, org)
        viewer = acting_as(store, org)
        found = get_request(store, viewer, request_id)
        history = request_history(store, viewer, request_id)
    except BigfishError as exc:
        raise fail(exc) from exc
    events = [
        {
            "at": iso_z(e.at),
            "org": e.org,
            "actor": e.actor,
            "from": e.from_status.value if e.from_status else None,
            "to": e.to_status.value,
            "note": e.note,
        }
        for e in history
    ]
    if as_json:
        typer.echo(json.dumps(request_json(found) | {"history": events}))
        return
    typer.echo(_line(found))
    for e in events:
        typer.echo(
            f"  {e['at']}  {e['org']}/{e['actor']}: {e['from'] or '-'} -> {e['to']}  "
            f"{e['note'] or ''}"
        )


@request_app.command("expire")
def expire(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Expire every open request past its deadline (listings and changes also do it first).

    Example: bigfish request expire
    """
    from bigfish.cooperation.service import expire_overdue

    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        count = expire_overdue(store)
        if count:  # nothing overdue: nothing changed, nothing to record
            audit.done(None, "request expire", f"{count} request(s)", 200)
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(json.dumps({"expired": count}) if as_json else f"expired {count} request(s)")


@request_app.command("bases")
def bases() -> None:
    """List the legal bases a request may cite ('confirm' marks articles to check first).

    Example: bigfish request bases
    """
    for b in legal_bases().values():
        mark = "  [operator to confirm]" if b.confirm else ""
        types = ", ".join(sorted(t.value for t in b.request_types))
        typer.echo(f"{b.id:<13} {b.convention}, art. {b.article}: {b.title} ({types}){mark}")


@contact_app.command("add")
def contact_add(
    org: str = typer.Option(..., "--org", help="The organization."),
    name: str = typer.Option(..., "--name", help="Name or desk."),
    role: str = typer.Option(..., "--role", help="Role, e.g. 'Budapest art. 35 point of contact'."),
    phone: str | None = typer.Option(None, "--phone", help="Phone number."),
    email: str | None = typer.Option(None, "--email", help="Email address."),
    always: bool = typer.Option(False, "--24-7", help="Reachable 24 hours a day, 7 days a week."),
    languages: str | None = typer.Option(None, "--languages", help="e.g. 'th, en'."),
    timezone: str | None = typer.Option(None, "--timezone", help="e.g. Asia/Bangkok."),
) -> None:
    """Add a point of contact of an organization.

    Example:

        bigfish contact add --org th-aoc --name "AOC duty desk" \\
            --role "24/7 point of contact" --phone +6621234567 --email duty@aoc.example --24-7
    """
    from bigfish.cooperation.contacts import add_contact

    contact = Contact(org, name, role, phone, email, always, languages, timezone)
    try:
        store = command_store()
        known_org(store, org)
        audit = console_audit(store, OPTIONS.data_dir)
        add_contact(store, Viewer.node_operator(), contact)
        audit.done(org, "contact add", name, 201)
    except BigfishError as exc:
        raise fail(exc) from exc
    typer.echo(f"added {name} to {org}'s points of contact")


@contact_app.command("list")
def contact_list(
    org: str | None = typer.Option(None, "--org", help="Only this organization."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The point-of-contact directory, 24/7 points first.

    Example: bigfish contact list --org kh-npa
    """
    from bigfish.cooperation.contacts import list_contacts

    try:
        store = command_store(reads_only=True)
        if org is not None:
            known_org(store, org)
        found = list_contacts(store, Viewer.node_operator(), org)
    except BigfishError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps({"contacts": [_contact_json(c) for c in found]}))
        return
    if not found:
        typer.echo(f"no contacts{f' of {org}' if org else ''}: add one with bigfish contact add")
    for c in found:
        flag = "24/7" if c.always_available else "    "
        typer.echo(f"{c.org:<12} {flag} {c.name} ({c.role})  {c.phone or ''}  {c.email or ''}")


def _contact_json(c: Contact) -> dict[str, Any]:
    return {
        "org": c.org,
        "name": c.name,
        "role": c.role,
        "phone": c.phone,
        "email": c.email,
        "always_available": c.always_available,
        "languages": c.languages,
        "timezone": c.timezone,
    }

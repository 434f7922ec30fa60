"""Keys, users, groups, the audit log, lookups and blinded forms at the console."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bigfish.accounts import (
    add_user,
    create_key,
    disable_user,
    list_keys,
    list_users,
    parse_role,
    revoke_key,
    set_password,
)
from bigfish.audit import ConsoleAudit, HeadSigner, console_audit, verify_audit
from bigfish.cli._app import LARGEST_ID, OPTIONS, app, command_store, fail, known_org
from bigfish.cli._lines import numbered_lines, read_source, split_lines
from bigfish.errors import BigfishError, InputError, NotFound
from bigfish.identifiers import extract, normalize
from bigfish.identifiers.phone import NEEDS_COUNTRY
from bigfish.lookup import as_typed, lookup
from bigfish.matching import blind_lines, community_key
from bigfish.models import iso_z
from bigfish.organizations import add_group
from bigfish.sharing.policy import Viewer

if TYPE_CHECKING:
    from bigfish.store import Store

key_app = typer.Typer(help="API keys (shown once; only a hash is stored).", no_args_is_help=True)
group_app = typer.Typer(help="Sharing groups.", no_args_is_help=True)
user_app = typer.Typer(help="Users of the web application.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(key_app, name="key")
app.add_typer(group_app, name="group")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")


@key_app.command("create")
def key_create(
    org: str = typer.Option(..., "--org", help="The organization the key acts for."),
    role: str = typer.Option("analyst", "--role", help="analyst | admin | sync | readonly"),
    platform: bool = typer.Option(False, "--platform", help="A platform admin (role admin)."),
    label: str | None = typer.Option(None, "--label", help="A note to tell keys apart."),
    as_json: bool = typer.Option(False, "--json", help='Print {"key": …, "id": …}.'),
) -> None:
    """Print a new API key once; only its hash is stored. The key alone goes to standard output
    (for scripts); its id, which `key revoke` takes, goes with it in --json, else to stderr.

    Example: bigfish key create --org th-aoc --role analyst --json
    """
    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        key = create_key(store, org=org, role=parse_role(role), platform=platform, label=label)
        audit.done(key.org, "key create", str(key.id), 201)
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        typer.echo(json.dumps({"key": key.secret, "id": key.id}))
        return
    typer.echo(key.secret)
    typer.echo(f"key id {key.id} ({key.org}, {key.role.value}); shown once", err=True)


@key_app.command("list")
def key_list(
    org: str | None = typer.Option(None, "--org", help="Only this organization's keys."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """The API keys of the node (never the keys themselves): id, organization, role, label.

    Example: bigfish key list --org th-aoc
    """
    try:
        keys = list_keys(command_store(reads_only=True), None, org=org)
    except BigfishError as exc:
        raise fail(exc) from None
    rows = [
        {
            "id": k.id,
            "org": k.org,
            "role": k.role.value,
            "platform": k.platform,
            "label": k.label,
            "created_at": iso_z(k.created_at),
            "revoked": k.revoked,
        }
        for k in keys
    ]
    if as_json:
        typer.echo(json.dumps({"keys": rows}))
        return
    for r in rows:
        state = "revoked" if r["revoked"] else "active"
        typer.echo(f"{r['id']}\t{r['org']}\t{r['role']}\t{state}\t{r['label'] or ''}")


@key_app.command("revoke")
def key_revoke(key_id: int = typer.Argument(..., help="The key's id.")) -> None:
    """Revoke key KEY_ID; it fails from the next request on.

    Example: bigfish key revoke 3
    """
    if not 0 < key_id <= LARGEST_ID:  # past 64 bits the store cannot even be asked
        raise fail(NotFound("api key", str(key_id)))
    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        org = next((k.org for k in list_keys(store, None) if k.id == key_id), None)
        revoke_key(store, key_id)
        audit.done(org, "key revoke", str(key_id), 204)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"revoked key {key_id}")


@group_app.command("add")
def group_add(
    name: str = typer.Argument(..., help="The group's name."),
    org: list[str] = typer.Option(..., "--org", help="Members; the first owns the group."),
) -> None:
    """Create a sharing group; its community key for blinded matching is generated.

    Example: bigfish group add mekong --org th-aoc --org vn-police
    """
    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        group = add_group(store, name, owner=org[0], members=org[1:])
        audit.done(org[0], "group add", group.name, 201)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"group {group.name}: {', '.join(group.members)}")


#: A new password: asked twice, hidden, when not given.
_PASSWORD = typer.Option(None, "--password", help="At least 12 characters (asked when not given).")


def _password(given: str | None) -> str:
    """GIVEN, or the password asked twice: on the terminal, or two lines piped on stdin. Asked
    by the command once its organization or user is known to exist (asked by the option, it
    came first, and an unknown organization was told only after both typings). Piped lines
    are read as they are, not through the prompt, which wrote "Password:" into the command's
    output and warned that the input may be echoed; two lines that differ are named as such
    (the prompt asked again, found nothing more and said no password was given)."""
    if given is not None:
        return given
    if sys.stdin is not None and sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    first, second = (_piped_line() for _ in range(2))
    if first is None:
        raise fail(
            "no password given, and none could be read from stdin: give --password, "
            "or pipe it twice, on two lines"
        )
    if second is None:
        raise fail("the password was piped once: pipe it twice, on two lines, or give --password")
    if first != second:
        raise fail("the two lines piped on stdin differ: pipe the same password twice")
    return first


def _piped_line() -> str | None:
    """The next line of stdin without its line end, or None at its end (or with no stdin)."""
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.removesuffix("\n").removesuffix("\r") if line else None


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="The user's name."),
    org: str = typer.Option(..., "--org", help="The user's organization."),
    role: str = typer.Option("analyst", "--role", help="analyst | admin | readonly"),
    password: str | None = _PASSWORD,
) -> None:
    """Create a web user (argon2id password hash).

    Example: bigfish user add alice --org th-aoc --role analyst
    """
    try:
        store = command_store()
        user_role = parse_role(role, for_user=True)
        known_org(store, org)
        audit = console_audit(store, OPTIONS.data_dir)
        user = add_user(
            store, org=org, username=username, password=_password(password), role=user_role
        )
        audit.done(user.org, "user add", user.username, 201)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"user {user.username} of {user.org} ({user.role.value})")


@user_app.command("list")
def user_list(
    org: str | None = typer.Option(None, "--org", help="Only this organization's users."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """List web users: name, organization, role, active or disabled.

    Example: bigfish user list --org th-aoc
    """
    try:
        store = command_store(reads_only=True)
        if org is not None:
            known_org(store, org)
    except BigfishError as exc:
        raise fail(exc) from None
    rows = [
        {"username": u.username, "org": u.org, "role": u.role.value, "disabled": u.disabled}
        for u in list_users(store, None)
        if org is None or u.org == org
    ]
    if as_json:
        typer.echo(json.dumps({"users": rows}, ensure_ascii=False))
        return
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        typer.echo(f"{r['username']}\t{r['org']}\t{r['role']}\t{state}")


@user_app.command("disable")
def user_disable(username: str = typer.Argument(..., help="The user's name.")) -> None:
    """Disable a web user: it cannot sign in, and its open sessions end at their next request.

    Example: bigfish user disable alice
    """
    try:
        _set_disabled(username, disabled=True)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"user {username} disabled")


@user_app.command("enable")
def user_enable(username: str = typer.Argument(..., help="The user's name.")) -> None:
    """Let a disabled web user sign in again.

    Example: bigfish user enable alice
    """
    try:
        _set_disabled(username, disabled=False)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"user {username} enabled")


@user_app.command("password")
def user_password(
    username: str = typer.Argument(..., help="The user's name."),
    password: str | None = _PASSWORD,
) -> None:
    """Set a web user's password; every session it had ends.

    Example: bigfish user password alice
    """
    try:
        store = command_store()
        org = _user_org(store, username)
        audit = console_audit(store, OPTIONS.data_dir)
        set_password(store, username, _password(password))
        audit.done(org, "user password", username, 200)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"user {username}: password set, sessions ended")


def _user_org(store: Store, username: str) -> str:
    """The organization of web user USERNAME (NotFound when there is none)."""
    org = next((u.org for u in list_users(store, None) if u.username == username), None)
    if org is None:
        raise NotFound("user", username)
    return org


def _set_disabled(username: str, *, disabled: bool) -> None:
    """Disable web user USERNAME, or enable it again, and record it in the audit log."""
    store = command_store()
    audit = console_audit(store, OPTIONS.data_dir)
    org = next((u.org for u in list_users(store, None) if u.username == username), None)
    disable_user(store, username, disabled=disabled)
    audit.done(org, "user disable" if disabled else "user enable", username, 200)


def _node_key_if_any() -> HeadSigner | None:
    """The node key under --data-dir, or None when the directory holds none."""
    from bigfish.evidence.custody import KEY_PATH, load_node_key

    if not (OPTIONS.data_dir / KEY_PATH).exists():
        return None
    return HeadSigner(load_node_key(OPTIONS.data_dir), OPTIONS.data_dir)


@audit_app.command("verify")
def audit_verify(as_json: bool = typer.Option(False, "--json", help="One JSON document.")) -> None:
    """Check the hash chain of the audit log; exit 1 at the first broken link, or at a row where
    the server recorded that the head it found did not verify. When --data-dir holds the node
    key, the head must carry its signature once the server has signed heads.

    Example: bigfish audit verify
    """
    try:
        key = _node_key_if_any()
        store = command_store(reads_only=True)
    except BigfishError as exc:
        raise fail(exc) from exc
    check = verify_audit(store, key)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": check.ok,
                    "rows": check.rows,
                    "head_seq": check.head_seq,
                    "head_hash": check.head_hash,
                    "broken_seq": check.broken_seq,
                    "reason": check.reason,
                    "signed_by": check.signed_by,
                    "signature_checked": check.signature_checked,
                }
            )
        )
    if not check.ok:
        raise fail(check.reason or "the audit log does not verify")
    if not as_json:
        signed = (
            f"; head signed by the node key {check.signed_by[:16]}…"
            if check.signature_checked and check.signed_by
            else "; head signature not checked (no node key under --data-dir)"
            if key is None and check.head_seq
            else "; head not signed yet (written before heads were signed)"
            if check.head_seq
            else ""
        )
        typer.echo(f"ok: {check.rows} rows, head {check.head_seq} {check.head_hash}{signed}")


@audit_app.command("seal")
def audit_seal() -> None:
    """Sign the audit log's head with the node key under --data-dir after checking the whole
    chain: a head written before heads were signed. Exit 1, signing nothing, when the chain
    does not verify, or when heads are already signed on this node and this one does not
    verify with the key (the log was changed without it).

    Example: bigfish --data-dir ./bigfish-data audit seal
    """
    from bigfish.audit import seal_audit
    from bigfish.evidence.log import signing_key

    store = command_store()
    try:
        signer = HeadSigner(signing_key(store, OPTIONS.data_dir), OPTIONS.data_dir)
        check = seal_audit(store, signer)
        if check.ok:  # after the seal, signed with the same key: who vouched for the head
            ConsoleAudit(store, signer).done(None, "audit seal", f"head {check.head_seq}", 200)
    except BigfishError as exc:
        raise fail(exc) from exc
    if not check.ok:
        raise fail(check.reason or "the audit log does not verify")
    typer.echo(f"sealed: head {check.head_seq} {check.head_hash} signed by {check.signed_by}")


@app.command("lookup")
def lookup_command(
    value: str = typer.Argument(..., help="The phone number, URL, account, wallet or handle."),
    kind: str | None = typer.Option(
        None,
        "--kind",
        help="phone | url | domain | email | bank_account | crypto_wallet | handle | ip",
    ),
    country: str | None = typer.Option(None, "--country", help="Default region of phones."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """Everything the node knows about one identifier (as its operator).

    Example: bigfish lookup 081-234-5678 --kind phone --country TH --json
    """
    try:
        if kind is None:
            found = extract(value, country)
            if len(found) != 1:
                hint = "" if country else " (or --country, for a number without its country code)"
                raise fail(f"cannot tell the kind of this value; pass --kind{hint}")
            # The identifier found, not the whole text read as its kind: `โทร0812345678 ครับ`
            # is the phone in it (canonical forms read again as themselves); a bare domain is
            # the domain.
            meant = as_typed(found[0].identifier)
            kind, value = meant.canonical_kind.value, meant.canonical
        result = lookup(
            command_store(reads_only=True), Viewer.node_operator(), kind, value, country
        )
    except BigfishError as exc:
        raise fail(exc) from None
    if not result.valid:  # the answer is the same; the reason goes to stderr
        _say_why_invalid(kind, value, country)
    document = {
        "canonical_kind": result.canonical_kind,
        "canonical": result.canonical,
        "valid": result.valid,
        "report_count": result.report_count,
        "organizations": list(result.organizations),
        "countries": list(result.countries),
        "first_seen": iso_z(result.first_seen) if result.first_seen else None,
        "last_seen": iso_z(result.last_seen) if result.last_seen else None,
        "networks": list(result.networks),
        "links": result.links,
        "stopped": None
        if result.stopped is None
        else {"reason": result.stopped.reason, "detail": result.stopped.detail},
    }
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False))
        return
    for name, shown in document.items():
        if name not in ("links", "stopped"):
            typer.echo(f"{name}: {_plain(shown)}")
    if result.stopped is not None:  # the networks above are its reports', not joined by it
        typer.echo(
            f"links: no, shared infrastructure ({result.stopped.reason}: "
            f"{result.stopped.detail}); the networks are those its reports are in, "
            "not networks it joins"
        )
    else:
        typer.echo(f"links: {_plain(result.links)}")


def _say_why_invalid(kind: str, value: str, country: str | None) -> None:
    """Say on stderr why VALUE is no valid KIND (a local number: that --country finds it)."""
    reason = normalize(kind, value, country).error or "not a valid value"
    hint = "; pass --country, the number's country" if reason == NEEDS_COUNTRY else ""
    typer.echo(f"note: not a valid {kind}: {reason}{hint}", err=True)


def _plain(value: object) -> str:
    """VALUE as a person reads it: lists comma-separated, yes/no, "-" for nothing."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


@app.command("blind")
def blind_command(
    file: Path = typer.Argument(..., help='JSON lines {"kind", "value", "country"}; - for stdin.'),
    group: str = typer.Option(..., "--group", help="The sharing group whose community key to use."),
    out: Path | None = typer.Option(None, "--out", help="Where to write (default stdout)."),
) -> None:
    """Write the blinded form of every value for offline exchange: one JSON line
    {"line", "blinded"} per valid value; invalid lines are named on stderr.

    Example: bigfish blind accounts.jsonl --group mekong --out accounts.blinded.jsonl
    """
    try:
        key = community_key(command_store(), group)
        data = read_source(file, sys.stdin.buffer)
    except (BigfishError, OSError) as exc:
        raise fail(exc) from None
    items = []
    for number, line in numbered_lines(split_lines(data), str(file)):
        if isinstance(line, InputError):
            raise fail(str(line))
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            items.append((number, str(obj["kind"]), str(obj["value"]), obj.get("country")))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise fail(f'{file}:{number}: expected {{"kind", "value", "country"}}') from None
        if not isinstance(items[-1][3], str | None):  # normalizing it would raise, unnamed
            raise fail(f"{file}:{number}: 'country' must be a string")
    blinded = blind_lines(key, items)
    lines = [json.dumps({"line": b.line, "blinded": b.blinded}) for b in blinded if b.blinded]
    for b in blinded:
        if b.error is not None:
            typer.echo(f"{file}:{b.line}: not blinded: {b.error}", err=True)
    document = "\n".join(lines) + ("\n" if lines else "")
    if out is None:
        typer.echo(document, nl=False)
    else:
        out.write_text(document, encoding="utf-8")

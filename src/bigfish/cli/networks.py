"""`bigfish networks`, `bigfish network ID`, `bigfish link`, `bigfish pin` (spec/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bigfish.cli._app import LARGEST_ID, OPTIONS, app, command_store, fail
from bigfish.errors import BigfishError, NotFound
from bigfish.fx import load_rates
from bigfish.linking import (
    get_network,
    list_networks,
    networks_table,
    pin_value,
    rebuild_networks,
)
from bigfish.linking.warninglists import (
    LISTS_ENV,
    describe,
    load_warning_lists,
    operator_list_dirs,
)
from bigfish.sharing import Viewer

_RATES_HELP = "CSV currency,units_per_usd of your own rates (default: the shipped 2025 rates)."


def _dump(doc: object) -> None:
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=None))


@app.command("networks")
def networks_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON document (spec/cli.md)."),
    top: int | None = typer.Option(None, "--top", min=1, help="Only the N best-ranked networks."),
    min_countries: int | None = typer.Option(
        None, "--min-countries", min=1, help="Only networks reaching this many countries."
    ),
) -> None:
    """Networks ranked by score (losses, cross-border reach, growth); two reports or more.

    Example: bigfish networks --top 10 --json
    """
    try:
        store = command_store(reads_only=True)
        limit = top if top is not None else 1_000_000_000
        page = list_networks(
            store, Viewer.node_operator(), top=top, min_countries=min_countries, limit=limit
        )
    except BigfishError as exc:
        raise fail(exc) from None
    if as_json:
        _dump(page.to_json())
    else:
        typer.echo(networks_table(page, filtered=min_countries is not None))


@app.command("network")
def network_command(
    network_id: int = typer.Argument(..., help="The network id shown by `bigfish networks`."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document with every link."),
) -> None:
    """One network with the explanation of every link (which identifier joins which reports).

    Example: bigfish network 42 --json
    """
    if not 0 < network_id <= LARGEST_ID:  # past 64 bits the store cannot even be asked
        raise fail(NotFound("network", str(network_id)))
    try:
        detail = get_network(command_store(reads_only=True), Viewer.node_operator(), network_id)
    except BigfishError as exc:
        raise fail(exc) from None
    doc = detail.to_json()
    if as_json:
        _dump(doc)
        return
    typer.echo(
        f"network {doc['id']}: score {doc['score']}, {doc['report_count']} reports, "
        f"{', '.join(doc['countries'])}, {len(doc['organizations'])} organizations, "
        f"USD {doc['total_loss_usd']:,.2f}, {doc['first_seen'][:10]} → {doc['last_seen'][:10]}"
    )
    if detail.redirected_part:  # a viewer's part id: the operator sees its network whole
        typer.echo(
            f"  (network {doc['redirected_from']} is the id of a part of network {doc['id']}: "
            "a viewer that cannot see all of it is shown that part under it)"
        )
    elif "redirected_from" in doc:  # the id asked for names a network merged into this one
        typer.echo(f"  (network {doc['redirected_from']} was merged into network {doc['id']})")
    if doc["unknown_currency"]:  # not guessed (docs/scoring.md), so the total leaves them out
        losses = ", ".join(f"{c} in {n}" for c, n in doc["unknown_currency"].items())
        typer.echo(f"  losses with no exchange rate, not in the total: {losses}")
    typer.echo(f"  growth: {doc['growth_30d']} reports in the last 30 days")
    for label, counts in (("scam types", doc["scam_types"]), ("channels", doc["channels"])):
        if counts:
            typer.echo(f"  {label}: {', '.join(f'{k} {n}' for k, n in counts.items())}")
    if doc["community_split"]:
        typer.echo("  (split out of an implausibly large component by community detection)")
    typer.echo("links (identifier → reports):")
    for link in doc["links"]:
        refs = ", ".join(f"{r['org']}/{r['report_id']}" for r in link["reports"])
        typer.echo(f"  {link['kind']}:{link['canonical']} → {refs}")
    typer.echo("a minimal set of links connecting every report:")
    for link in doc["spanning_links"]:
        a, b, ident = link["a"], link["b"], link["identifier"]
        typer.echo(
            f"  {a['org']}/{a['report_id']} — {ident['kind']}:{ident['canonical']} — "
            f"{b['org']}/{b['report_id']}"
        )
    if doc["key_identifiers"]:
        keys = ", ".join(f"{k['kind']}:{k['canonical']}" for k in doc["key_identifiers"])
        typer.echo(f"key identifiers (removing one splits the network): {keys}")
    for item in doc["not_linking"]:
        value = f"{item['kind']}:{item['canonical']}"
        typer.echo(f"  not linking: {value} ({item['reason']}: {item['detail']})")
    if doc["events"]:  # its history: created, grown by merges, split (as --json gives it)
        typer.echo("history:")
        for event in doc["events"]:
            others = ", ".join(str(i) for i in event["other_ids"])
            typer.echo(
                f"  {event['at'][:19].replace('T', ' ')} {event['kind']}"
                + (f" ({others})" if others else "")
                + (f": {event['detail']}" if event["detail"] else "")
            )


@app.command("link")
def link_command(
    rates: Path | None = typer.Option(None, "--rates", help=_RATES_HELP),
    warning_lists: list[Path] = typer.Option(
        [], "--warning-lists", help=f"A directory of your own warning lists (also {LISTS_ENV})."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Rebuild every network from scratch (ids stay stable; merges and splits are recorded).

    Example: bigfish link --warning-lists ./our-lists
    """
    try:
        lists = load_warning_lists([*operator_list_dirs(), *warning_lists])
        summary = rebuild_networks(
            command_store(),
            rates=load_rates(rates) if rates else None,
            warning_lists=lists,
        )
    except BigfishError as exc:
        raise fail(exc) from None
    doc = summary.to_json()
    if as_json:  # and the lists the run stopped values with: the shipped ones and the operator's
        _dump(doc | {"warning_lists": describe(lists.lists)})
    else:
        typer.echo(", ".join(f"{k} {v}" for k, v in doc.items()))


@app.command("pin")
def pin_command(
    value: str = typer.Argument(..., help="The identifier as written, e.g. 02-888-8888."),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="phone, url, domain, email, bank_account, crypto_wallet, handle or ip.",
    ),
    link: bool = typer.Option(..., "--link/--no-link", help="Always link, or never link."),
    country: str | None = typer.Option(None, "--country", help="Default region for phones."),
    note: str | None = typer.Option(None, "--note", help="Why (shown to analysts)."),
) -> None:
    """Pin a value as linking or not linking; takes effect at the next `bigfish link`.

    Example: bigfish pin 02-888-8888 --kind phone --country TH --no-link --note "KBank hotline"
    """
    from bigfish.audit import console_audit

    try:
        store = command_store()
        audit = console_audit(store, OPTIONS.data_dir)
        canonical_kind, canonical = pin_value(
            store, kind, value, link=link, note=note, country=country
        )
        pinned = f"{canonical_kind}:{canonical} {'linking' if link else 'not linking'}"
        audit.done(None, "pin", pinned, 200)
    except BigfishError as exc:
        raise fail(exc) from None
    typer.echo(f"pinned {canonical_kind}:{canonical} as {'linking' if link else 'not linking'}")

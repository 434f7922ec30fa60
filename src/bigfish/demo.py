"""The demo partnership: synthesize, ingest per organization, link, and show the big fish."""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bigfish.accounts import add_user
from bigfish.errors import InputError
from bigfish.intake import IngestResult, ingest_file, load_mapping
from bigfish.linking.service import rebuild_networks
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import NewOrgs, add_group, add_org
from bigfish.store import Store, open_store

if TYPE_CHECKING:
    from bigfish.audit import ConsoleAudit


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo built, and how long each step took."""

    store_url: str
    data_dir: Path
    results: tuple[IngestResult, ...]
    synth_seconds: float
    ingest_seconds: float
    link_seconds: float
    users: tuple[str, ...] = ()
    password: str = ""  # the demo users' password, shown once


DEMO_GROUP = "mekong"
DEMO_GROUP_MEMBERS = frozenset({"th-aoc", "vn-police", "kh-police"})
DEMO_GROUP_ONLY = frozenset({"kh-police"})
DEMO_PRIVATE = frozenset({"sg-dbs"})

#: The file that marks a directory as the demo's own (the next demo may remove it).
MARKER = ".bigfish-demo"

#: The demo server's data directory (its node key, the audit log's signing marks), in WORKDIR.
DEMO_DATA_DIR = "bigfish-data"


def _org_sectors(partnership: dict[str, Any]) -> list[dict[str, Any]]:
    orgs = partnership.get("organizations")
    if not isinstance(orgs, list):
        raise InputError("partnership.json has no organizations list", field="organizations")
    return orgs


def check_workdir(workdir: Path) -> None:
    """InputError unless WORKDIR is new, empty or an earlier demo's (it holds `MARKER`): the
    only directories `build_demo` recreates."""
    if not workdir.exists():
        return
    made_by_demo = (workdir / MARKER).is_file() or _made_before_the_marker(workdir)
    if not workdir.is_dir() or (any(workdir.iterdir()) and not made_by_demo):
        raise InputError(
            f"{workdir} exists and was not made by `bigfish demo` (no {MARKER} in it);"
            " give a new or empty --workdir",
            field="workdir",
        )


def build_demo(
    workdir: Path,
    *,
    reports: int = 50_000,
    seed: int = 7,
    on_file: Callable[[IngestResult], None] | None = None,
) -> tuple[Store, DemoResult]:
    """Recreate WORKDIR with a synthetic partnership, ingested and linked in its own store.

    Only a directory an earlier demo made (it holds `MARKER`), an empty one or a new one is
    used: anything else raises InputError and is left as it is.

    The store is a node's like any other (the demo serves it, and console commands go on with
    it), so what the demo creates has its audit rows, as the commands that create it write
    them: each organization `org add by demo` (`NAME from PARTNERSHIP.json`) in its
    transaction, the group `group add by demo` and each user `user add by demo`, by the
    console's actor, the head signed as `console_audit` signs with the demo's data directory
    (`DEMO_DATA_DIR`, new here: unsigned until the demo's server signs it)."""
    from bigfish.audit import console_audit
    from bigfish.synth import generate

    check_workdir(workdir)
    if workdir.exists():
        _clear(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by bigfish demo; removed by the next demo\n", "utf-8")
    data_dir = workdir / "data"
    started = time.perf_counter()
    generate(data_dir, reports=reports, seed=seed)
    synth_seconds = time.perf_counter() - started
    url = f"sqlite:///{workdir / 'bigfish.db'}"
    store = open_store(url)
    try:  # whatever raises below, the caller gets no store to close: close it here
        partnership = json.loads((data_dir / "partnership.json").read_text("utf-8"))
        results: list[IngestResult] = []
        started = time.perf_counter()
        orgs = _org_sectors(partnership)
        audit = console_audit(store, workdir / DEMO_DATA_DIR)
        for org in orgs:
            created = NewOrgs(audit, "org add by demo", str(data_dir / "partnership.json"))
            add_org(
                store,
                str(org["name"]),
                country=org.get("country"),
                sector=org.get("sector"),
                audit=created,
            )
        names = {str(o["name"]) for o in orgs}
        members = sorted(DEMO_GROUP_MEMBERS & names)
        if members:
            group = add_group(store, DEMO_GROUP, owner=members[0], members=members[1:])
            audit.done(members[0], "group add by demo", group.name, 201)
        for org in orgs:
            name = str(org["name"])
            for entry in org.get("files", []):
                mapping = load_mapping(data_dir / entry["map"]) if entry.get("map") else None
                result = ingest_file(
                    store,
                    data_dir / entry["path"],
                    org=name,
                    mapping=mapping,
                    marking=demo_marking(name, grouped=bool(members)),
                )
                results.append(result)
                if on_file is not None:
                    on_file(result)
        ingest_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rebuild_networks(store)
        link_seconds = time.perf_counter() - started
        password = secrets.token_urlsafe(12)
        users = tuple(_add_demo_users(store, sorted(names), password, audit))
    except BaseException:
        store.close()
        raise
    return store, DemoResult(
        url, data_dir, tuple(results), synth_seconds, ingest_seconds, link_seconds, users, password
    )


def _clear(workdir: Path) -> None:
    """Remove what WORKDIR holds, not WORKDIR itself: it may be the current directory
    (`--workdir .`: removing it failed with "Invalid argument: ." after emptying it) or one whose
    parent the user may not write."""
    for entry in workdir.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _made_before_the_marker(workdir: Path) -> bool:
    """True when WORKDIR holds what a demo made before it left MARKER, and nothing else: its
    database (SQLite's and bigfish's files beside it start with its name) and its data. A
    node's own directory with a bigfish.db (the default --db) and a synthetic data/ beside its
    keys and evidence is not one."""
    if not (workdir / "bigfish.db").is_file() or not (workdir / "data/partnership.json").is_file():
        return False
    return all(p.name == "data" or p.name.startswith("bigfish.db") for p in workdir.iterdir())


def demo_marking(org: str, *, grouped: bool) -> Marking:
    """How each demo organization shares: most with the whole partnership (TLP:GREEN),
    Cambodia's police only within the Mekong group (TLP:AMBER), one bank keeps its reports to
    itself."""
    if org in DEMO_PRIVATE:
        return Marking(TLP.AMBER, Distribution.ORGANIZATION)
    if grouped and org in DEMO_GROUP_ONLY:
        return Marking(TLP.AMBER, Distribution.GROUP, DEMO_GROUP)
    return Marking(TLP.GREEN, Distribution.PARTNERSHIP)


def _add_demo_users(store: Store, orgs: list[str], password: str, audit: ConsoleAudit) -> list[str]:
    """One analyst per organization, all with PASSWORD (printed once by `bigfish demo`), each
    recorded by AUDIT as `user add` records it."""
    created = []
    for org in orgs:
        user = add_user(
            store, org=org, username=f"{org}-analyst", password=password, role=ApiRole.ANALYST
        )
        audit.done(user.org, "user add by demo", user.username, 201)
        created.append(user.username)
    return created

"""The partnership the browser tests and the screenshots run against: a synthetic partnership whose
organizations share with each other (TLP:GREEN, partnership), except th-kbank, which keeps its
reports to itself; plus a private ring of th-kbank and a ring whose narratives and identifiers
carry XSS payloads (spec/security-tests.md class 15)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bigfish.accounts import add_user
from bigfish.intake import ingest_file, load_mapping
from bigfish.linking.service import rebuild_networks
from bigfish.models import TLP, ApiRole, Distribution, Marking
from bigfish.organizations import add_org
from bigfish.store import Store, open_store
from bigfish.store.schema import identifiers, mentions, organizations, reports
from bigfish.store.schema_linking import network_members, networks
from bigfish.synth import generate

PASSWORD = "correct horse battery staple"
PRIVATE_ORG = "th-kbank"
PRIVATE_PHONE = "+66899990001"
HOSTILE_PHONE = "+66899990002"
XSS_NARRATIVE = (
    '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    '<svg onload="window.__xss=3"></svg>'
)
SHARED = Marking(TLP.GREEN, Distribution.PARTNERSHIP)


@dataclass(frozen=True)
class BrowserPartnership:
    """Where the data is and what the tests look for."""

    url: str
    private_network: int
    hostile_network: int
    local_phone: str  # a TH phone number in local format that shared reports mention
    canonical_phone: str


def _special_reports(path: Path) -> None:
    rows = [
        {
            "report_id": f"hostile-{i}",
            "reported_at": f"2025-11-0{i + 1}T10:00:00Z",
            "country": "TH",
            "scam_type": "investment",
            "loss_amount": "5000",
            "loss_currency": "THB",
            "narrative": XSS_NARRATIVE,
            "phones": [HOSTILE_PHONE],
            "urls": ["javascript:window.__xss=4", "data:text/html,<script>alert(5)</script>"],
            "handles": ["telegram:<b>evil</b>"],
        }
        for i in range(2)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _private_reports(path: Path) -> None:
    rows = [
        {
            "report_id": f"private-{i}",
            "reported_at": f"2025-10-0{i + 1}T10:00:00Z",
            "country": "TH",
            "scam_type": "loan",
            "loss_amount": "900",
            "loss_currency": "THB",
            "phones": [PRIVATE_PHONE],
        }
        for i in range(2)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _network_of(store: Store, phone: str) -> int:
    with store.connect() as conn:
        found = conn.execute(
            sa.select(network_members.c.network_id)
            .join(mentions, mentions.c.report_pk == network_members.c.report_pk)
            .join(identifiers, identifiers.c.id == mentions.c.identifier_id)
            .join(networks, networks.c.id == network_members.c.network_id)
            .where(identifiers.c.canonical == phone, networks.c.status == "active")
        ).first()
    assert found is not None, phone
    return int(found[0])


def _shared_th_phone(store: Store) -> str:
    with store.connect() as conn:
        value = conn.execute(
            sa.select(identifiers.c.canonical)
            .join(mentions, mentions.c.identifier_id == identifiers.c.id)
            .join(reports, reports.c.id == mentions.c.report_pk)
            .join(organizations, organizations.c.id == reports.c.org_id)
            .where(
                identifiers.c.kind == "phone",
                identifiers.c.country == "TH",
                identifiers.c.valid.is_(True),
                organizations.c.name != PRIVATE_ORG,
                identifiers.c.canonical.like("+668%"),
            )
            .order_by(identifiers.c.canonical)
            .limit(1)
        ).scalar_one()
    return str(value)


def build(workdir: Path, *, reports_count: int = 1500, seed: int = 11) -> BrowserPartnership:
    """Synthesize, ingest (shared except th-kbank), add the special rings and users, link."""
    if workdir.exists():
        shutil.rmtree(workdir)
    data = workdir / "data"
    generate(data, reports=reports_count, seed=seed)
    url = f"sqlite:///{workdir / 'bigfish.db'}"
    store = open_store(url)
    partnership = json.loads((data / "partnership.json").read_text("utf-8"))
    for org in partnership["organizations"]:
        name = str(org["name"])
        add_org(store, name, country=org.get("country"), sector=org.get("sector"))
        marking = Marking() if name == PRIVATE_ORG else SHARED
        for entry in org.get("files", []):
            mapping = load_mapping(data / entry["map"]) if entry.get("map") else None
            ingest_file(
                store,
                data / entry["path"],
                org=name,
                mapping=mapping,
                marking=marking,
                classify=False,
            )
    _special_reports(workdir / "hostile.jsonl")
    ingest_file(store, workdir / "hostile.jsonl", org="th-aoc", marking=SHARED, classify=False)
    _private_reports(workdir / "private.jsonl")
    ingest_file(store, workdir / "private.jsonl", org=PRIVATE_ORG, classify=False)
    add_user(store, org=PRIVATE_ORG, username="kanya", password=PASSWORD, role=ApiRole.ADMIN)
    add_user(store, org="vn-police", username="minh", password=PASSWORD, role=ApiRole.ANALYST)
    add_user(store, org="th-aoc", username="somchai", password=PASSWORD, role=ApiRole.ADMIN)
    rebuild_networks(store)
    phone = _shared_th_phone(store)
    local = "0" + phone[3:5] + "-" + phone[5:8] + "-" + phone[8:]
    result = BrowserPartnership(
        url, _network_of(store, PRIVATE_PHONE), _network_of(store, HOSTILE_PHONE), local, phone
    )
    store.close()
    return result
